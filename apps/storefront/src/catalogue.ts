/**
 * What each sale sells, as the page shows it. The store's backend knows stock and window, not products: the shop's
 * copy lives with its page. A sale missing here is shown with the generic entry.
 */
export interface Product {
  readonly name: string;
  readonly blurb: string;
  readonly price: string;
}

const CATALOGUE: Record<string, Product> = {
  popup: {
    name: 'The Pop-up Tee',
    blurb: 'Heavyweight organic cotton, printed for this sale only. One per customer, while they last.',
    price: '€35',
  },
};

export function productOf(saleId: string): Product {
  return (
    CATALOGUE[saleId] ?? {
      name: `Sale ${saleId}`,
      blurb: 'A limited run, one per customer, while they last.',
      price: '',
    }
  );
}
