/** Everything the page says, in one place: numbers, durations and the four ways an order ends. */

const numbers = new Intl.NumberFormat('en');

/** 4213 → "4,213". */
export const count = (n: number): string => numbers.format(n);

const part = (n: number, unit: string) => `${count(n)} ${unit}${n === 1 ? '' : 's'}`;

/** A wait in words, to the second, at most two units: "2 minutes 5 seconds", "1 second", "3 hours 12 minutes". */
export function duration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const units: [number, string][] = [
    [Math.floor(total / 86_400), 'day'],
    [Math.floor((total % 86_400) / 3600), 'hour'],
    [Math.floor((total % 3600) / 60), 'minute'],
    [total % 60, 'second'],
  ];
  const first = units.findIndex(([n]) => n > 0);
  if (first === -1) return part(0, 'second');
  return units
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => part(n, unit))
    .join(' ');
}

/** How an order ended: what the gears decided, or what the door answered before any order was made. */
export type Outcome =
  | { readonly kind: 'unit'; readonly unit: number }
  | { readonly kind: 'sold_out' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'closed' };

/** The headline of a decided order. */
export function outcomeHeadline(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'unit':
      return `Unit ${count(outcome.unit)} is yours`;
    case 'sold_out':
      return 'Sold out';
    case 'duplicate':
      return 'You already have one';
    case 'closed':
      return 'The sale is closed';
  }
}

/** The line under the headline of a decided order. */
export function outcomeDetail(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'unit':
      return 'It is set aside for you. Thank you for shopping.';
    case 'sold_out':
      return 'Every unit found a buyer before your order.';
    case 'duplicate':
      return 'One unit per customer, and this account has its unit.';
    case 'closed':
      return 'Your order came after the sale had ended.';
  }
}

/** The line of a retry: "Trying again in 3 seconds", then "Trying again now". */
export function retryWords(msLeft: number): string {
  return msLeft <= 0 ? 'Trying again now' : `Trying again in ${duration(msLeft)}`;
}
