import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { eventually } from '../support/wait.js';
import { checkInvariants } from '../support/invariants.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.put('/v1/inventory/sources/main', { name: 'Main warehouse' });
  await h.put('/v1/inventory/sources/east', { name: 'East warehouse' });
  await h.put('/v1/inventory/items/TSHIRT-M', { sources: { main: 10, east: 5 } });
});
afterAll(() => h.close());

/** Posts an action and waits for it: returns the HTTP answer (201 or 422). */
async function act(path: string, body: unknown, key: 'storefront' | 'admin' = 'admin') {
  return h.post(path, body, { key, idempotencyKey: newKey(), prefer: 'wait=15' });
}

const stock = async () => (await h.get('/v1/inventory/items/TSHIRT-M')).json();

describe('the life of an order', () => {
  it('goes from placement through invoices, shipments, delivery and refunds to closed, every figure exact', async () => {
    const placed = await act(
      '/v1/orders',
      orderBody({
        items: [
          { sku: 'TSHIRT-M', name: 'T-shirt M', qty: 3, unitPrice: 1999, taxAmount: 400, discountAmount: 100 },
          { sku: 'EBOOK-1', name: 'E-book', qty: 1, unitPrice: 999, stockable: false },
        ],
        grandTotal: 3 * 1999 + 999 + 500 + 500 - 100,
      }),
      'storefront',
    );
    expect(placed.statusCode).toBe(201);
    const orderId: string = placed.json().orderId;
    const order0 = (await h.get(`/v1/orders/${orderId}`)).json();
    const [shirt, ebook] = order0.items;
    expect(order0.totals).toEqual({
      subTotal: 6996, shipping: 500, tax: 500, discount: 100, grandTotal: 7896,
      invoiced: 0, paid: 0, refunded: 0, refundable: 0, due: 0,
    });
    expect(await stock()).toMatchObject({ reserved: 3, salable: 12 });

    // Partial invoice: one shirt; shipping goes whole on this first invoice.
    const inv1 = await act(`/v1/orders/${orderId}/invoices`, { items: [{ itemId: shirt.id, qty: 1 }] });
    expect(inv1.statusCode).toBe(201);
    expect(inv1.headers.location).toBe(`/v1/invoices/${inv1.json().action.result.invoiceId}`);
    const invoice1 = (await h.get(inv1.headers.location as string)).json();
    expect(invoice1).toMatchObject({
      number: 'INV-000001', state: 'paid', subTotal: 1999, shipping: 500, shippingTax: 100,
      tax: 233, discount: 33, grandTotal: 1999 + 500 + 233 - 33, paidAmount: 2699,
    });
    expect(invoice1.items).toEqual([
      { itemId: shirt.id, sku: 'TSHIRT-M', qty: 1, unitPrice: 1999, rowTotal: 1999, taxAmount: 133, discountAmount: 33 },
    ]);

    // Partial shipment from two sources: one from east, one from main.
    const shp1 = await act(`/v1/orders/${orderId}/shipments`, {
      source: 'east', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z1', items: [{ itemId: shirt.id, qty: 1 }],
    });
    expect(shp1.statusCode).toBe(201);
    const shp2 = await act(`/v1/orders/${orderId}/shipments`, {
      source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z2', items: [{ itemId: shirt.id, qty: 1 }],
    });
    const shipment2 = (await h.get(shp2.headers.location as string)).json();
    expect(shipment2).toMatchObject({ number: 'SHP-000002', state: 'dispatched', source: 'main', trackingNumber: '1Z2' });
    expect(await stock()).toEqual({
      sku: 'TSHIRT-M',
      sources: [{ code: 'east', onHand: 4, active: true }, { code: 'main', onHand: 9, active: true }],
      reserved: 1,
      salable: 12,
    });

    const beforeDispatch = await act(`/v1/shipments/${shipment2.id}/delivery`, {
      deliveredAt: new Date(Date.now() - 3_600_000).toISOString(),
    });
    expect(beforeDispatch.json().code).toBe('INVALID_DELIVERY_TIME');
    const delivered = await act(`/v1/shipments/${shipment2.id}/delivery`, {});
    expect(delivered.statusCode).toBe(201);
    expect((await h.get(`/v1/shipments/${shipment2.id}`)).json().state).toBe('delivered');

    // Invoice the rest, pending (credit terms), then pay it in two parts.
    const inv2 = await act(`/v1/orders/${orderId}/invoices`, { state: 'pending', dueInDays: 14 });
    const invoice2 = (await h.get(inv2.headers.location as string)).json();
    expect(invoice2).toMatchObject({
      number: 'INV-000002', state: 'pending', subTotal: 2 * 1999 + 999, shipping: 0, tax: 267, discount: 67,
      grandTotal: 3998 + 999 + 267 - 67, paidAmount: 0,
    });
    expect((await h.get(`/v1/orders/${orderId}`)).json()).toMatchObject({
      status: 'pending_payment', totals: { invoiced: 2699 + 5197, paid: 2699, due: 5197, refundable: 2699 },
    });
    const overpay = await act(`/v1/invoices/${invoice2.id}/payments`, { amount: 5198, method: 'banktransfer' });
    expect(overpay.statusCode).toBe(422);
    expect(overpay.json()).toMatchObject({ code: 'PAYMENT_EXCEEDS_DUE', action: { error: { details: { due: 5197 } } } });
    expect((await act(`/v1/invoices/${invoice2.id}/payments`, { amount: 5000, method: 'banktransfer', reference: 'BT-1' })).statusCode).toBe(201);
    expect((await act(`/v1/invoices/${invoice2.id}/payments`, { amount: 197, method: 'banktransfer', reference: 'BT-2' })).statusCode).toBe(201);
    expect((await h.get(`/v1/invoices/${invoice2.id}`)).json()).toMatchObject({ state: 'paid', paidAmount: 5197 });
    const paidAgain = await act(`/v1/invoices/${invoice2.id}/payments`, { amount: 1, method: 'banktransfer' });
    expect(paidAgain.json().code).toBe('INVOICE_ALREADY_PAID');

    // Refund one shirt with restock: it comes from the unshipped unit first (releasing its reservation).
    const rf1 = await act(`/v1/orders/${orderId}/refunds`, { items: [{ itemId: shirt.id, qty: 1, returnToStock: true }] });
    expect(rf1.statusCode).toBe(201);
    const refund1 = (await h.get(rf1.headers.location as string)).json();
    expect(refund1).toMatchObject({
      number: 'RFD-000001', subTotal: 1999, tax: 133, discount: 33, shipping: 0, grandTotal: 1999 + 133 - 33, paymentStatus: expect.any(String),
    });
    expect(await stock()).toMatchObject({ reserved: 0, salable: 13 });

    // Refund a shipped shirt with restock: back on hand at main, where the most recent shipment left from.
    const rf2 = await act(`/v1/orders/${orderId}/refunds`, { items: [{ itemId: shirt.id, qty: 1, returnToStock: true }], shipping: 500 });
    const refund2 = (await h.get(rf2.headers.location as string)).json();
    expect(refund2).toMatchObject({ subTotal: 1999, tax: 133 + 100, discount: 33, shipping: 500, shippingTax: 100, grandTotal: 1999 + 233 + 500 - 33 });
    expect(await stock()).toMatchObject({
      sources: [{ code: 'east', onHand: 4, active: true }, { code: 'main', onHand: 10, active: true }],
      reserved: 0,
    });

    // Over-refunding shipping is refused; the rest (last shirt without restock, the e-book) closes the order.
    const tooMuchShipping = await act(`/v1/orders/${orderId}/refunds`, { shipping: 1 });
    expect(tooMuchShipping.json().code).toBe('INVALID_SHIPPING_AMOUNT');
    const rf3 = await act(`/v1/orders/${orderId}/refunds`, {
      items: [{ itemId: shirt.id, qty: 1 }, { itemId: ebook.id, qty: 1 }],
    });
    expect(rf3.statusCode).toBe(201);
    const refund3 = (await h.get(rf3.headers.location as string)).json();
    expect(refund3).toMatchObject({ subTotal: 1999 + 999, tax: 134, discount: 34, grandTotal: 2998 + 134 - 34 });

    const closed = (await h.get(`/v1/orders/${orderId}`)).json();
    expect(closed.status).toBe('closed');
    expect(closed.totals).toEqual({
      subTotal: 6996, shipping: 500, tax: 500, discount: 100, grandTotal: 7896,
      invoiced: 7896, paid: 7896, refunded: 7896, refundable: 0, due: 0,
    });
    expect(closed.items[0]).toMatchObject({ qtyOrdered: 3, qtyInvoiced: 3, qtyShipped: 2, qtyRefunded: 3, qtyToShip: 0, qtyToRefund: 0 });
    expect(closed.refunds.map((r: { number: string }) => r.number)).toEqual(['RFD-000001', 'RFD-000002', 'RFD-000003']);
    expect(await stock()).toMatchObject({ sources: [{ code: 'east', onHand: 4 }, { code: 'main', onHand: 10 }], reserved: 0 });

    const nothingLeft = await act(`/v1/orders/${orderId}/refunds`, { adjustmentRefund: 1 });
    expect(nothingLeft.json().code).toBe('REFUND_NOT_ALLOWED');

    // After commit: the provider is paid back once per refund; e-mails are recorded (no SMTP_URL: logged).
    await eventually('refund payments', async () => {
      const rows = await h.sql<{ payment_status: string }>('select payment_status from refunds');
      return rows.every((row) => row.payment_status === 'succeeded') && rows.length === 3;
    });
    const expectedEmails = [
      'order_placed', 'invoice_created', 'shipment_dispatched', 'shipment_dispatched', 'invoice_created',
      'refund_issued', 'refund_issued', 'refund_issued',
    ];
    await eventually('e-mails', async () => {
      const rows = await h.sql('select 1 from emails where status = ? and order_id = ?', ['logged', orderId]);
      return rows.length === expectedEmails.length;
    });
    const emails = await h.sql<{ kind: string; recipient: string }>(
      'select kind, recipient from emails where order_id = ? order by created_at, kind',
      [orderId],
    );
    expect(emails.map((e) => e.kind).sort()).toEqual([...expectedEmails].sort());
    expect(new Set(emails.map((e) => e.recipient))).toEqual(new Set(['ada@example.com']));

    const history = (await h.get(`/v1/orders/${orderId}/history`)).json().items.map((e: { type: string; data: { to?: string } }) =>
      e.type === 'status.changed' ? `status:${e.data.to}` : e.type,
    );
    const effects = new Set(['refund.payment', 'action.rejected', 'email.logged']);
    expect(history.filter((t: string) => !effects.has(t))).toEqual([
      'order.place', 'status:pending',
      'invoice.create', 'status:processing',
      'shipment.create', 'shipment.create', 'shipment.deliver',
      'invoice.create', 'status:pending_payment',
      'invoice.pay', 'invoice.pay', 'status:processing',
      'refund.create', 'status:completed', // nothing left to invoice or ship once the unshipped unit is refunded
      'refund.create', 'refund.create', 'status:closed',
    ]);
    expect(history.filter((t: string) => t === 'refund.payment')).toHaveLength(3);
    expect(history.filter((t: string) => t === 'email.logged')).toHaveLength(expectedEmails.length);
    expect(await checkInvariants(h.sql)).toEqual([]);
    expect(history.filter((t: string) => t === 'action.rejected')).toHaveLength(5);
  });
});
