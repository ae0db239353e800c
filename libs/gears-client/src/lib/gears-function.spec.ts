import { saleKeys } from '@popup-store/keys';
import { saleStatusFunction } from './functions/sale-status';
import { takeOrderFunction } from './functions/take-order';
import { gearsCommand } from './gears-function';

describe('gearsCommand', () => {
  it('counts the keys and puts them before the arguments', () => {
    expect(gearsCommand(takeOrderFunction, saleKeys('s'), { customerId: 'c', fields: ['v', '1'] })).toEqual([
      'FCALL',
      'popup_take_order',
      2,
      '{sale:s}:buyers',
      '{sale:s}:customers',
      'c',
      'v',
      '1',
    ]);
  });

  it('calls a read-only function with FCALL_RO, which a replica may answer', () => {
    expect(gearsCommand(saleStatusFunction, saleKeys('s'), undefined)).toEqual([
      'FCALL_RO',
      'popup_sale_status',
      1,
      '{sale:s}:state',
    ]);
  });
});
