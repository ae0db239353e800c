import { alertContract } from './alert.contract';
import { completionContract } from './completion.contract';
import type { Contract } from './contract';
import { customerContract } from './customer.contract';
import { deadLetterContract } from './dead-letter.contract';
import { orderContract } from './order.contract';
import { rejectionContract } from './rejection.contract';
import { saleReportContract } from './sale-report.contract';

/** Every contract by name, for tools that meet a contract name at run time (replay, inspection). */
export const contracts = {
  customer: customerContract,
  order: orderContract,
  completion: completionContract,
  rejection: rejectionContract,
  alert: alertContract,
  'dead-letter': deadLetterContract,
  'sale-report': saleReportContract,
} as const;

export type ContractName = keyof typeof contracts;

/** The contract of that name, or undefined. */
export function contractByName(name: string): Contract | undefined {
  return Object.hasOwn(contracts, name) ? contracts[name as ContractName] : undefined;
}
