/** The order of SPEC §4.1: a stockable T-shirt line and a non-stockable e-book, grand total 5997. */
export function orderBody(overrides: Record<string, unknown> = {}) {
  return {
    externalId: 'web-1001',
    channel: 'default',
    currency: 'USD',
    customer: { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' },
    items: [
      { sku: 'TSHIRT-M', name: 'T-shirt M', qty: 2, unitPrice: 1999, taxAmount: 400, discountAmount: 0 },
      { sku: 'EBOOK-1', name: 'E-book', qty: 1, unitPrice: 999, taxAmount: 0, stockable: false },
    ],
    shipping: { method: 'flatrate', title: 'Flat rate', amount: 500, taxAmount: 100, discountAmount: 0 },
    billingAddress: { name: 'Ada Lovelace', line1: '1 Main St', city: 'London', postcode: 'N1 1AA', country: 'GB' },
    shippingAddress: { name: 'Ada Lovelace', line1: '1 Main St', city: 'London', postcode: 'N1 1AA', country: 'GB' },
    payment: { method: 'cashondelivery', captured: false },
    grandTotal: 5997,
    ...overrides,
  };
}

/** A one-line order of `qty` units of `sku` at 1000 each, no tax, shipping or discount. */
export function singleLineOrder(sku: string, qty = 1) {
  return orderBody({
    items: [{ sku, name: sku, qty, unitPrice: 1000 }],
    shipping: { method: 'flatrate', title: 'Flat rate', amount: 0 },
    grandTotal: qty * 1000,
  });
}
