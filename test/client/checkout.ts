import createClient from 'openapi-fetch';
import type { paths } from './generated/orderflow.js';

/**
 * A storefront's checkout and an operator's fulfilment, written as an integrator would: against the types that
 * openapi-typescript generates from /docs/json, with openapi-fetch, and no casts. The contract test generates the
 * types, type-checks this file and runs it against a live API.
 */
export async function checkout(baseUrl: string, keys: { storefront: string; admin: string }) {
  const shop = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${keys.storefront}` } });
  const ops = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${keys.admin}` } });
  const wait = { prefer: 'wait=10' };

  const placed = await shop.POST('/v1/orders', {
    params: { header: { 'idempotency-key': crypto.randomUUID(), ...wait } },
    body: {
      externalId: 'client-1001',
      currency: 'USD',
      customer: { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' },
      items: [
        { sku: 'TSHIRT-M', name: 'T-shirt M', qty: 2, unitPrice: 1999, taxAmount: 400 },
        { sku: 'EBOOK-1', name: 'E-book', qty: 1, unitPrice: 999, stockable: false },
      ],
      shipping: { method: 'flatrate', title: 'Flat rate', amount: 500, taxAmount: 100 },
      billingAddress: { name: 'Ada Lovelace', line1: '1 Main St', city: 'London', postcode: 'N1 1AA', country: 'GB' },
      shippingAddress: { name: 'Ada Lovelace', line1: '1 Main St', city: 'London', postcode: 'N1 1AA', country: 'GB' },
      payment: { method: 'cashondelivery', captured: false },
      grandTotal: 5997,
    },
  });
  if (!placed.data) throw new Error(`placing the order failed: ${placed.error?.code}`);
  const orderId = placed.data.orderId;
  const order = await shop.GET('/v1/orders/{id}', { params: { path: { id: orderId } } });
  const shirt = order.data?.items.find((line) => line.sku === 'TSHIRT-M');
  if (!order.data || !shirt) throw new Error('the order reads back without its T-shirt line');

  const path = { id: orderId };
  const invoiced = await ops.POST('/v1/orders/{id}/invoices', { params: { path, header: wait } });
  const invoiceId = invoiced.data?.action.result?.invoiceId;
  if (!invoiceId) throw new Error(`invoicing failed: ${invoiced.error?.code}`);

  const shipped = await ops.POST('/v1/orders/{id}/shipments', {
    params: { path, header: wait },
    body: { source: 'main', carrier: { code: 'ups', title: 'UPS' }, trackingNumber: '1Z999' },
  });
  const shipmentId = shipped.data?.action.result?.shipmentId;
  if (!shipmentId) throw new Error(`shipping failed: ${shipped.error?.code}`);

  const delivered = await ops.POST('/v1/shipments/{id}/delivery', { params: { path: { id: shipmentId }, header: wait } });
  if (delivered.data?.action.status !== 'succeeded') throw new Error(`recording the delivery failed: ${delivered.error?.code}`);

  const refunded = await ops.POST('/v1/orders/{id}/refunds', {
    params: { path, header: wait },
    body: { items: [{ itemId: shirt.id, qty: 1, returnToStock: true }], reason: 'did not fit' },
  });
  const refundId = refunded.data?.action.result?.refundId;
  if (!refundId) throw new Error(`refunding failed: ${refunded.error?.code}`);
  const refund = await ops.GET('/v1/refunds/{id}', { params: { path: { id: refundId } } });

  // A rule the API refuses: the problem's code is one of the document's enum.
  const tooMuch = await ops.POST('/v1/orders/{id}/refunds', { params: { path, header: wait }, body: { adjustmentRefund: 999_999 } });
  const final = await shop.GET('/v1/orders/{id}', { params: { path } });

  return {
    orderNumber: order.data.number,
    placedStatus: placed.response.status,
    invoiceLocation: invoiced.response.headers.get('location'),
    refund: refund.data ? { number: refund.data.number, grandTotal: refund.data.grandTotal, items: refund.data.items.length } : null,
    refused: tooMuch.error ? { status: tooMuch.error.status, code: tooMuch.error.code } : null,
    status: final.data?.status,
    totals: final.data ? { paid: final.data.totals.paid, refunded: final.data.totals.refunded } : null,
  };
}

// Run as `ORDERFLOW_URL=… STOREFRONT_KEY=… ADMIN_KEY=… node --import tsx test/client/checkout.ts`: prints what it saw.
const { ORDERFLOW_URL, STOREFRONT_KEY, ADMIN_KEY } = process.env;
if (ORDERFLOW_URL && STOREFRONT_KEY && ADMIN_KEY) {
  console.log(JSON.stringify(await checkout(ORDERFLOW_URL, { storefront: STOREFRONT_KEY, admin: ADMIN_KEY })));
}
