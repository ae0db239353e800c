import { GearsError, GearsErrorCode, toGearsError } from './gears-error';

describe('toGearsError', () => {
  it('maps a library error reply to its code, keeping the detail', () => {
    const error = toGearsError(new Error('ERR_POPUP_SALE_STARTED 3 units sold already'), 'popup_configure_sale');
    expect(error).toBeInstanceOf(GearsError);
    expect(error).toMatchObject({
      code: GearsErrorCode.SaleStarted,
      fn: 'popup_configure_sale',
      detail: '3 units sold already',
      message: 'popup_configure_sale: ERR_POPUP_SALE_STARTED 3 units sold already',
    });
  });

  it('drops the script position Redis appends to raised errors', () => {
    const raised = new Error('ERR_POPUP_BAD_ARG stock must be an integer script: popup_x, on @user_function:12.');
    expect(toGearsError(raised, 'popup_x')).toMatchObject({ detail: 'stock must be an integer' });
  });

  it('recognises a Redis without Functions, old and new wordings', () => {
    for (const message of [
      "ERR unknown command 'FUNCTION', with args beginning with: 'LOAD' ",
      'ERR unknown command `FCALL`, with args beginning with: `popup_version`, `0`, ',
    ]) {
      expect(toGearsError(new Error(message), 'f')).toMatchObject({ code: GearsErrorCode.FunctionsUnsupported });
    }
  });

  it('recognises a missing library and leaves other errors alone', () => {
    expect(toGearsError(new Error('ERR Function not found'), 'f')).toMatchObject({ code: GearsErrorCode.LibraryNotLoaded });
    const other = new Error('Connection is closed.');
    expect(toGearsError(other, 'f')).toBe(other);
    expect(toGearsError('text', 'f')).toBe('text');
  });
});
