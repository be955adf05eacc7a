import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';
import { problem, type HistoryEvent } from '../support/http.js';
import { checkInvariants } from '../support/invariants.js';
import { RECEIVER_ON_LOOPBACK, startReceiver, type Receiver } from '../support/receiver.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';
import { eventually } from '../support/wait.js';

/**
 * SPEC §3.9 returns over HTTP: a customer asks to send goods back, an operator approves, receives them (some
 * resellable, some damaged) and refunds what arrived; every rejection of §3.9 writes nothing and takes no number.
 */
let h: Harness;
let smtp: TestSmtp;
let receiver: Receiver;
const CUSTOMER = 'ada@example.com';

beforeAll(async () => {
  [smtp, receiver] = await Promise.all([startSmtp(), startReceiver()]);
  receiver.route('/hooks', () => ({ status: 204 }));
  h = await startHarness({
    env: { ...RECEIVER_ON_LOOPBACK, SMTP_URL: smtp.url, SELLER_NAME: 'Engine Supplies', SELLER_ADDRESS: '12 Engine Row|Cambridge CB2 1TN' },
  });
  expect((await h.put('/v1/inventory/sources/main', { name: 'Main warehouse' })).statusCode).toBe(201);
  expect((await h.put('/v1/inventory/items/TSHIRT-M', { sources: { main: 100 } })).statusCode).toBe(200);
  expect((await h.post('/v1/webhooks', { url: `${receiver.url}/hooks`, eventTypes: ['*'] })).statusCode).toBe(201);
});
afterAll(async () => {
  await h?.close();
  await Promise.all([smtp?.close(), receiver?.close()]);
});

async function act(path: string, body: unknown, key: 'storefront' | 'admin' | 'otherStorefront' = 'admin') {
  return h.post(path, body, { key, idempotencyKey: newKey(), prefer: 'wait=15' });
}
async function applied(path: string, body: unknown, key: 'storefront' | 'admin' = 'admin') {
  const res = await act(path, body, key);
  expect(res.statusCode, res.body).toBe(201);
  return res;
}
/** The rejection of an action with `Prefer: wait`: 422 problem+json carrying the code and the rejected action. */
async function rejected(path: string, body: unknown, code: string, key: 'storefront' | 'admin' = 'admin') {
  return problem(await act(path, body, key), 422, code);
}

const getOrder = async (id: string) => (await h.get(`/v1/orders/${id}`)).json();
const getReturn = async (id: string, key: 'storefront' | 'admin' = 'admin') => (await h.get(`/v1/returns/${id}`, { key })).json();
const onHand = async () => (await h.get('/v1/inventory/items/TSHIRT-M')).json().sources[0].onHand as number;

/** The order of SPEC §4.1 (2 T-shirts and an e-book, 5997), invoiced in full and its T-shirts shipped from main. */
async function shippedOrder(externalId: string) {
  const placed = await applied('/v1/orders', orderBody({ externalId }), 'storefront');
  const orderId: string = placed.json().orderId;
  await applied(`/v1/orders/${orderId}/invoices`, {});
  const shipment = await applied(`/v1/orders/${orderId}/shipments`, { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z' });
  const order = await getOrder(orderId);
  return { orderId, number: order.number as string, shirt: order.items[0].id as string, ebook: order.items[1].id as string, shipmentId: shipment.json().action.result.shipmentId as string };
}

/** What a refused return action must not change: returns, their items, refunds, stock and the number counters. */
const written = async () => ({
  returns: await h.sql('select id, state, decision_reason, source_code, refund_id from returns order by id'),
  items: await h.sql('select return_id, line_id, qty, qty_resellable, qty_damaged from return_items order by return_id, line_id'),
  refunds: await h.sql('select id from refunds order by id'),
  stock: await h.sql('select sku, source_code, on_hand from stock order by sku, source_code'),
  sequences: await h.sql('select name, value from sequences order by name'),
});

async function pdfText(content: Buffer): Promise<string> {
  const parser = new PDFParse({ data: new Uint8Array(content) });
  try {
    return (await parser.getText()).text.replace(/\s+/g, ' ');
  } finally {
    await parser.destroy();
  }
}

describe("a customer's return", () => {
  it('goes from request through approval and a partial receipt to its credit memo, every figure exact', async () => {
    const { orderId, number, shirt, ebook } = await shippedOrder('ret-1');
    expect(await onHand()).toBe(98);
    const before = await getOrder(orderId);
    expect(before.items.map((line: { qtyToReturn: number }) => line.qtyToReturn)).toEqual([2, 0]);

    // The storefront asks; it may read the return it asked for.
    const requested = await applied(`/v1/orders/${orderId}/returns`, { items: [{ itemId: shirt, qty: 2, reason: 'did_not_fit', note: 'too small' }], note: 'sorry' }, 'storefront');
    const returnId: string = requested.json().action.result.returnId;
    expect(requested.headers.location).toBe(`/v1/returns/${returnId}`);
    expect(await getReturn(returnId, 'storefront')).toMatchObject({
      id: returnId,
      number: 'RMA-000001',
      orderId,
      state: 'requested',
      note: 'sorry',
      decisionReason: null,
      source: null,
      refundId: null,
      moves: ['approve', 'reject', 'cancel'],
      receivedAt: null,
      items: [{ itemId: shirt, sku: 'TSHIRT-M', qty: 2, reason: 'did_not_fit', note: 'too small', qtyReceived: 0, qtyResellable: 0, qtyDamaged: 0, condition: null }],
    });
    const open = await getOrder(orderId);
    expect(open.items.map((line: { qtyToReturn: number }) => line.qtyToReturn)).toEqual([0, 0]);
    expect(open.returns).toEqual([{ id: returnId, number: 'RMA-000001', state: 'requested' }]);

    await applied(`/v1/returns/${returnId}/approve`, { note: 'Use the original box.' });
    const approval = await eventually('the approval e-mail', async () => smtp.to(CUSTOMER).find((m) => m.parsed.subject === 'Your return RMA-000001 is approved'));
    expect(approval.parsed.text).toContain('Please send the items listed on the attached return slip to:\nEngine Supplies\n12 Engine Row\nCambridge CB2 1TN');
    expect(approval.parsed.text).toContain('Write RMA-000001 on the parcel');
    expect(approval.parsed.attachments.map((a) => a.filename)).toEqual(['RMA-000001.pdf']);
    const slip = await h.get(`/v1/returns/${returnId}/pdf`, { key: 'storefront' });
    expect(slip.statusCode).toBe(200);
    expect(slip.headers['content-type']).toBe('application/pdf');
    const slipText = await pdfText(slip.rawPayload);
    for (const text of ['Return slip RMA-000001', `Order: ${number}`, 'TSHIRT-M', 'did not fit: too small', 'with RMA-000001 written on the parcel', '12 Engine Row']) {
      expect(slipText).toContain(text);
    }

    // Of the two T-shirts one can be sold again; the damaged one does not go back on hand.
    await applied(`/v1/returns/${returnId}/receive`, {
      source: 'main',
      items: [
        { itemId: shirt, qty: 1, condition: 'resellable' },
        { itemId: shirt, qty: 1, condition: 'damaged' },
      ],
    });
    expect(await onHand()).toBe(99);
    expect(await getReturn(returnId)).toMatchObject({
      state: 'received',
      source: 'main',
      moves: ['refund'],
      receivedAt: expect.any(String),
      items: [{ itemId: shirt, qty: 2, qtyReceived: 2, qtyResellable: 1, qtyDamaged: 1, condition: 'mixed' }],
    });

    // A restocking fee of 2.00; the credit memo restocks nothing again.
    const refunded = await applied(`/v1/returns/${returnId}/refund`, { adjustmentFee: 200, reason: 'returned' });
    const { refundId } = refunded.json().action.result;
    expect(refunded.json().action.result).toEqual({ returnId, refundId });
    expect(refunded.headers.location).toBe(`/v1/refunds/${refundId}`);
    expect((await h.get(`/v1/refunds/${refundId}`)).json()).toMatchObject({
      number: 'RFD-000001',
      subTotal: 3998,
      shipping: 0,
      tax: 400,
      discount: 0,
      adjustmentRefund: 0,
      adjustmentFee: 200,
      grandTotal: 4198,
      reason: 'returned',
      items: [{ itemId: shirt, sku: 'TSHIRT-M', qty: 2, unitPrice: 1999, rowTotal: 3998, taxAmount: 400, discountAmount: 0, returnToStock: false }],
    });
    expect(await onHand()).toBe(99);
    expect(await getReturn(returnId)).toMatchObject({ state: 'refunded', refundId, moves: [] });
    expect(await h.sql('select return_id from refunds where id = ?', [refundId])).toEqual([{ return_id: returnId }]);
    const after = await getOrder(orderId);
    expect(after.totals).toEqual({ subTotal: 4997, shipping: 500, tax: 500, discount: 0, grandTotal: 5997, invoiced: 5997, paid: 5997, refunded: 4198, refundable: 1799, due: 0 });
    expect(after.items.map((line: { id: string; qtyRefunded: number; qtyToReturn: number }) => [line.id, line.qtyRefunded, line.qtyToReturn])).toEqual([
      [shirt, 2, 0],
      [ebook, 0, 0],
    ]);
    expect(after.returns).toEqual([{ id: returnId, number: 'RMA-000001', state: 'refunded' }]);
    expect(after.refunds).toEqual([{ id: refundId, number: 'RFD-000001', grandTotal: 4198 }]);

    // The money goes back once; the history tells the story; e-mails and webhooks went out.
    await eventually('the refund to be paid', async () => (await h.get(`/v1/refunds/${refundId}`)).json().paymentStatus === 'succeeded');
    const history: HistoryEvent[] = (await h.get(`/v1/orders/${orderId}/history`)).json().items;
    const story = history.filter((e) => e.type.startsWith('return.') || e.type === 'refund.payment').map((e) => [e.type, e.actor]);
    expect(story).toEqual([
      ['return.request', 'shop'],
      ['return.approve', 'ops'],
      ['return.receive', 'ops'],
      ['return.refund', 'ops'],
      ['refund.payment', 'system'],
    ]);
    expect(history.find((e) => e.type === 'return.receive')!.data).toEqual({
      returnId,
      number: 'RMA-000001',
      state: 'received',
      source: 'main',
      items: [{ itemId: shirt, sku: 'TSHIRT-M', qtyResellable: 1, qtyDamaged: 1 }],
    });
    await eventually('the refund e-mail', async () => smtp.to(CUSTOMER).some((m) => m.parsed.subject === `Refund for order ${number}`));
    const hooks = await eventually('the return webhooks', async () => {
      const types = receiver.at('/hooks').map((r) => JSON.parse(r.body) as { type: string; orderId: string }).filter((e) => e.orderId === orderId).map((e) => e.type);
      return types.includes('refund.issued') && types.includes('return.refunded') ? types : null;
    });
    expect(hooks.filter((type) => type.startsWith('return.') || type === 'refund.issued').sort()).toEqual(
      ['refund.issued', 'return.approved', 'return.received', 'return.refunded', 'return.requested'].sort(),
    );
    expect(await checkInvariants(h.sql)).toEqual([]);
  });

  it('a return asked for inside the window is refunded after the window ended', async () => {
    const { orderId, shirt, shipmentId } = await shippedOrder('ret-window');
    const { returnId } = (await applied(`/v1/orders/${orderId}/returns`, { items: [{ itemId: shirt, qty: 1, reason: 'changed_mind' }] }, 'storefront')).json().action.result;
    await applied(`/v1/returns/${returnId}/approve`, {});
    await applied(`/v1/returns/${returnId}/receive`, { source: 'main' });
    // The goods left 40 days ago now: a plain refund of them would need an override.
    await h.sql(`update shipments set created_at = now() - interval '40 days' where id = ?`, [shipmentId]);
    await rejected(`/v1/orders/${orderId}/refunds`, { items: [{ itemId: shirt, qty: 1 }] }, 'REFUND_WINDOW_EXPIRED');
    const refund = await applied(`/v1/returns/${returnId}/refund`, {});
    expect((await h.get(refund.headers.location as string)).json()).toMatchObject({ subTotal: 1999, tax: 200, grandTotal: 2199 });
    // And a new return is refused: the window that limits it has ended.
    const other = await rejected(`/v1/orders/${orderId}/returns`, { items: [{ itemId: shirt, qty: 1, reason: 'other' }] }, 'RETURN_WINDOW_EXPIRED', 'storefront');
    expect(other.action.error.details.windowEndedAt).toEqual(expect.any(String));
  });
});

describe('every rejection of SPEC §3.9 writes nothing and takes no number', () => {
  it('refuses a request as the rules say, in order', async () => {
    const placed = await applied('/v1/orders', orderBody({ externalId: 'ret-refused' }), 'storefront');
    const orderId: string = placed.json().orderId;
    const [shirt] = (await getOrder(orderId)).items;
    const path = `/v1/orders/${orderId}/returns`;
    const ask = (qty: number, itemId: string = shirt.id) => ({ items: [{ itemId, qty, reason: 'did_not_fit' }] });
    const refuse = async (body: unknown, code: string) => {
      const before = await written();
      const refusal = await rejected(path, body, code, 'storefront');
      expect(await written()).toEqual(before);
      return refusal;
    };

    const counter = async () => Number((await h.sql<{ value: string }>(`select value from sequences where name = 'return'`))[0]?.value ?? 0);
    const last = await counter();
    expect((await refuse(ask(1), 'RETURN_NOT_ALLOWED')).detail).toContain('nothing to return');
    await applied(`/v1/orders/${orderId}/invoices`, {});
    // On hold comes first, before nothing being returnable yet.
    await applied(`/v1/orders/${orderId}/hold`, { reason: 'check' });
    await refuse(ask(1), 'ORDER_ON_HOLD');
    await applied(`/v1/orders/${orderId}/unhold`, {});
    await applied(`/v1/orders/${orderId}/shipments`, { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z' });
    expect((await refuse(ask(1, '0193a000-0000-7000-8000-0000000000aa'), 'UNKNOWN_ITEM')).action.error.details).toEqual({
      itemIds: ['0193a000-0000-7000-8000-0000000000aa'],
    });
    expect((await refuse(ask(3), 'INVALID_QUANTITY')).action.error.details).toEqual({
      items: [{ itemId: shirt.id, sku: 'TSHIRT-M', requested: 3, available: 2 }],
    });
    await refuse(ask(0), 'RETURN_EMPTY');
    problem(await h.post(path, { items: [{ itemId: shirt.id, qty: 1, reason: 'too_big' }] }, { key: 'storefront' }), 400, 'VALIDATION_FAILED');
    problem(await h.post(path, { items: [] }, { key: 'storefront' }), 400, 'VALIDATION_FAILED');

    // The next return gets the next number: the refusals took none.
    const { returnId } = (await applied(path, ask(2), 'storefront')).json().action.result;
    expect((await getReturn(returnId)).number).toBe(`RMA-${String(last + 1).padStart(6, '0')}`);
    // Nothing returnable is left while that return is open.
    await refuse(ask(1), 'RETURN_NOT_ALLOWED');
  });

  it('refuses every move that the state of the return does not allow, naming the state, and what arrival cannot be', async () => {
    const { orderId, shirt } = await shippedOrder('ret-moves');
    const { returnId } = (await applied(`/v1/orders/${orderId}/returns`, { items: [{ itemId: shirt, qty: 2, reason: 'damaged' }] }, 'storefront')).json().action.result;
    const move = (step: string) => `/v1/returns/${returnId}/${step}`;
    const refuse = async (step: string, body: unknown, code: string, key: 'storefront' | 'admin' = 'admin') => {
      const before = await written();
      const refusal = await rejected(move(step), body, code, key);
      expect(await written()).toEqual(before);
      return refusal;
    };

    const early = await refuse('receive', { source: 'main' }, 'RETURN_STATE_INVALID');
    expect(early.detail).toContain('is requested');
    expect(early.action.error.details).toEqual({ state: 'requested', move: 'receive' });
    expect((await refuse('refund', {}, 'RETURN_STATE_INVALID')).action.error.details.state).toBe('requested');
    problem(await h.post(move('reject'), {}), 400, 'VALIDATION_FAILED');
    await applied(move('approve'), {});
    expect((await refuse('approve', {}, 'RETURN_STATE_INVALID')).action.error.details).toEqual({ state: 'approved', move: 'approve' });
    expect((await refuse('reject', { reason: 'late' }, 'RETURN_STATE_INVALID')).action.error.details.state).toBe('approved');
    expect((await refuse('receive', { source: 'attic' }, 'UNKNOWN_SOURCE')).action.error.details).toEqual({ source: 'attic' });
    expect((await refuse('receive', { source: 'main', items: [{ itemId: shirt, qty: 3 }] }, 'INVALID_QUANTITY')).action.error.details).toEqual({
      items: [{ itemId: shirt, sku: 'TSHIRT-M', requested: 3, available: 2 }],
    });
    await refuse('receive', { source: 'main', items: [{ itemId: shirt, qty: 0 }] }, 'RETURN_EMPTY');
    await refuse('receive', { source: 'main', items: [{ itemId: '0193a000-0000-7000-8000-0000000000bb', qty: 1 }] }, 'UNKNOWN_ITEM');

    // The customer changes their mind; a canceled return moves no more, and its units are returnable again.
    await applied(move('cancel'), { reason: 'kept it' }, 'storefront');
    expect((await refuse('receive', { source: 'main' }, 'RETURN_STATE_INVALID')).action.error.details.state).toBe('canceled');
    await refuse('cancel', {}, 'RETURN_STATE_INVALID', 'storefront');
    expect((await getOrder(orderId)).items[0].qtyToReturn).toBe(2);
  });

  it('rejects a return with the reason, told to the customer; a rejected return moves no more', async () => {
    const { orderId, number, shirt } = await shippedOrder('ret-rejected');
    const { returnId } = (await applied(`/v1/orders/${orderId}/returns`, { items: [{ itemId: shirt, qty: 1, reason: 'changed_mind' }] }, 'storefront')).json().action.result;
    await applied(`/v1/returns/${returnId}/reject`, { reason: 'Worn and washed.' });
    expect(await getReturn(returnId)).toMatchObject({ state: 'rejected', decisionReason: 'Worn and washed.' });
    const mail = await eventually('the rejection e-mail', async () =>
      smtp.to(CUSTOMER).find((m) => m.parsed.subject?.startsWith('Your return RMA-') && m.parsed.subject.endsWith('was not accepted') && m.parsed.text?.includes(number)),
    );
    expect(mail.parsed.text).toContain('Reason: Worn and washed.');
    expect((await rejected(`/v1/returns/${returnId}/cancel`, {}, 'RETURN_STATE_INVALID', 'storefront')).action.error.details.state).toBe('rejected');
  });
});

describe('who may see and act on a return', () => {
  it("another shop's storefront key gets 404 for it, its slip and its cancel, as for an unknown id; admin keys see all", async () => {
    const { orderId, shirt } = await shippedOrder('ret-tenant');
    const { returnId } = (await applied(`/v1/orders/${orderId}/returns`, { items: [{ itemId: shirt, qty: 1, reason: 'other' }] }, 'storefront')).json().action.result;
    problem(await h.get(`/v1/returns/${returnId}`, { key: 'otherStorefront' }), 404, 'NOT_FOUND');
    problem(await h.get(`/v1/returns/${returnId}/pdf`, { key: 'otherStorefront' }), 404, 'NOT_FOUND');
    problem(await h.post(`/v1/returns/${returnId}/cancel`, {}, { key: 'otherStorefront' }), 404, 'NOT_FOUND');
    problem(await h.post(`/v1/orders/${orderId}/returns`, { items: [{ itemId: shirt, qty: 1, reason: 'other' }] }, { key: 'otherStorefront' }), 404, 'NOT_FOUND');
    problem(await h.post(`/v1/returns/${returnId}/approve`, {}, { key: 'storefront' }), 403, 'FORBIDDEN');
    expect((await h.get(`/v1/returns/${returnId}`, { key: 'admin' })).statusCode).toBe(200);
    expect((await getReturn(returnId, 'storefront')).state).toBe('requested');
  });
});
