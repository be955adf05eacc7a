import { randomUUID } from 'node:crypto';
import { PDFParse } from 'pdf-parse';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody } from '../support/fixtures.js';
import { newKey, startHarness, type Harness } from '../support/harness.js';

/**
 * SPEC §3.4 and §3.6: every invoice and credit memo has a PDF, rendered when first asked for (GET
 * /v1/invoices/{id}/pdf and /v1/refunds/{id}/pdf, or the invoice e-mail) and stored once. The text is read back out of the PDF with pdf-parse.
 */
let h: Harness;

const SELLER = {
  SELLER_NAME: 'Lovelace & Babbage Trading Ltd',
  SELLER_ADDRESS: '12 Engine Row|Cambridge CB2 1TN',
  SELLER_EMAIL: 'billing@engine.example',
  SELLER_VAT_ID: 'GB999999973',
  PDF_FOOTER: 'Thank you for shopping with the Engine.',
};

beforeAll(async () => {
  h = await startHarness({ env: SELLER });
});
afterAll(() => h?.close());

async function act(path: string, body: unknown, key: 'storefront' | 'admin' = 'admin') {
  const res = await h.post(path, body, { key, idempotencyKey: newKey(), prefer: 'wait=15' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().action.result as Record<string, string>;
}

/** The text of a PDF, one trimmed line per entry, runs of white space as one space. */
async function pdfLines(content: Buffer): Promise<string[]> {
  const parser = new PDFParse({ data: new Uint8Array(content) });
  try {
    const { text } = await parser.getText();
    return text
      .split('\n')
      .map((line) => line.replace(/\s+/g, ' ').trim())
      .filter((line) => line !== '' && !/^-- \d+ of \d+ --$/.test(line));
  } finally {
    await parser.destroy();
  }
}

function expectPdf(res: LightMyRequestResponse, fileName: string) {
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('application/pdf');
  expect(res.headers['content-disposition']).toBe(`inline; filename="${fileName}"`);
  expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
}

const sellerLines = [
  'Lovelace & Babbage Trading Ltd',
  '12 Engine Row',
  'Cambridge CB2 1TN',
  'billing@engine.example',
  'VAT GB999999973',
];

describe('invoice and credit memo PDFs', () => {
  let orderId: string;
  let orderNumber: string;
  let invoiceId: string;

  it('renders a paid USD invoice: number, order, customer, lines, totals in USD and the seller', async () => {
    orderId = (await act('/v1/orders', orderBody({ externalId: 'pdf-1' }), 'storefront')).orderId!;
    const order = (await h.get(`/v1/orders/${orderId}`)).json();
    orderNumber = order.number;
    invoiceId = (await act(`/v1/orders/${orderId}/invoices`, {})).invoiceId!;
    const invoice = (await h.get(`/v1/invoices/${invoiceId}`)).json();
    expect(invoice).toMatchObject({ number: 'INV-000001', state: 'paid', subTotal: 4997, shipping: 500, tax: 500, grandTotal: 5997 });

    const res = await h.get(`/v1/invoices/${invoiceId}/pdf`);
    expectPdf(res, 'INV-000001.pdf');
    const lines = await pdfLines(res.rawPayload);
    expect(lines.slice(0, sellerLines.length)).toEqual(sellerLines);
    expect(lines).toEqual(
      expect.arrayContaining([
        'Invoice INV-000001',
        `Date: ${invoice.createdAt.slice(0, 10)} Order: ${orderNumber}`,
        'Paid',
        'Bill to',
        'Ada Lovelace',
        '1 Main St',
        'N1 1AA London',
        'GB',
        'ada@example.com',
        'Ship to',
        'SKU / item Qty Unit price Tax Discount Row total',
        'TSHIRT-M',
        'T-shirt M',
        '2 USD 19.99 USD 4.00 USD 0.00 USD 39.98',
        'EBOOK-1',
        'E-book',
        '1 USD 9.99 USD 0.00 USD 0.00 USD 9.99',
        'Subtotal USD 49.97',
        'Shipping USD 5.00',
        'Tax USD 5.00',
        'Discount USD 0.00',
        'Grand total USD 59.97',
        'Thank you for shopping with the Engine.',
      ]),
    );
    expect(lines.some((line) => line.startsWith('Payment due') || line.startsWith('Amount due'))).toBe(false);
    expect(orderNumber).toMatch(/^\d{9}$/);
  });

  it('renders the credit memo with its lines, adjustment, refund total and reason', async () => {
    const [shirt] = (await h.get(`/v1/orders/${orderId}`)).json().items;
    const refundId = (await act(`/v1/orders/${orderId}/refunds`, {
      items: [{ itemId: shirt.id, qty: 1 }],
      adjustmentFee: 99,
      reason: 'did not fit',
    })).refundId!;
    const refund = (await h.get(`/v1/refunds/${refundId}`)).json();
    expect(refund).toMatchObject({ number: 'RFD-000001', subTotal: 1999, tax: 200, shipping: 0, adjustmentFee: 99, grandTotal: 2100 });

    const res = await h.get(`/v1/refunds/${refundId}/pdf`);
    expectPdf(res, 'RFD-000001.pdf');
    const lines = await pdfLines(res.rawPayload);
    expect(lines.slice(0, sellerLines.length)).toEqual(sellerLines);
    expect(lines).toEqual(
      expect.arrayContaining([
        'Credit memo RFD-000001',
        `Date: ${refund.createdAt.slice(0, 10)} Order: ${orderNumber}`,
        'Reason: did not fit',
        'Ada Lovelace',
        'TSHIRT-M',
        'T-shirt M',
        '1 USD 19.99 USD 2.00 USD 0.00 USD 19.99',
        'Subtotal USD 19.99',
        'Shipping USD 0.00',
        'Tax USD 2.00',
        'Adjustment refund USD 0.00',
        'Adjustment fee USD -0.99',
        'Grand total USD 21.00',
      ]),
    );
    expect(lines).not.toContain('EBOOK-1');

    // A refund id is not an invoice id, and the other way round.
    expect((await h.get(`/v1/invoices/${refundId}/pdf`)).statusCode).toBe(404);
    expect((await h.get(`/v1/refunds/${invoiceId}/pdf`)).statusCode).toBe(404);
  });

  it('shows the due date and the pending state on an invoice on credit terms', async () => {
    const pendingOrder = (await act('/v1/orders', orderBody({ externalId: 'pdf-2' }), 'storefront')).orderId!;
    const id = (await act(`/v1/orders/${pendingOrder}/invoices`, { state: 'pending', dueInDays: 14 })).invoiceId!;
    const invoice = (await h.get(`/v1/invoices/${id}`)).json();
    expect(invoice).toMatchObject({ state: 'pending', grandTotal: 5997, paidAmount: 0 });
    expect(Date.parse(invoice.dueAt) - Date.parse(invoice.createdAt)).toBe(14 * 86_400_000);

    const res = await h.get(`/v1/invoices/${id}/pdf`);
    expectPdf(res, `${invoice.number}.pdf`);
    const lines = await pdfLines(res.rawPayload);
    expect(lines).toEqual(
      expect.arrayContaining([
        `Invoice ${invoice.number}`,
        `Payment due ${invoice.dueAt.slice(0, 10)} (pending)`,
        'Grand total USD 59.97',
        'Amount due USD 59.97',
      ]),
    );
    expect(lines).not.toContain('Paid');
  });

  it('formats amounts with the decimals of the currency: JPY none, KWD three', async () => {
    const cases = [
      {
        currency: 'JPY',
        items: [{ sku: 'TEAPOT-JP', name: 'Iron teapot', qty: 2, unitPrice: 1999, taxAmount: 200 }],
        shipping: { method: 'flatrate', title: 'Flat rate', amount: 1000 },
        grandTotal: 5198,
        expected: ['2 JPY 1,999 JPY 200 JPY 0 JPY 3,998', 'Subtotal JPY 3,998', 'Shipping JPY 1,000', 'Tax JPY 200', 'Grand total JPY 5,198'],
      },
      {
        currency: 'KWD',
        items: [{ sku: 'DATES-KW', name: 'Dates box', qty: 3, unitPrice: 1999, taxAmount: 3 }],
        shipping: { method: 'flatrate', title: 'Flat rate', amount: 1500 },
        grandTotal: 7500,
        expected: ['3 KWD 1.999 KWD 0.003 KWD 0.000 KWD 5.997', 'Subtotal KWD 5.997', 'Shipping KWD 1.500', 'Tax KWD 0.003', 'Grand total KWD 7.500'],
      },
    ];
    for (const { expected, ...order } of cases) {
      const placed = (await act('/v1/orders', orderBody({ externalId: `pdf-${order.currency}`, ...order }), 'storefront')).orderId!;
      const id = (await act(`/v1/orders/${placed}/invoices`, {})).invoiceId!;
      const invoice = (await h.get(`/v1/invoices/${id}`)).json();
      expect(invoice.grandTotal).toBe(order.grandTotal);
      const res = await h.get(`/v1/invoices/${id}/pdf`);
      expectPdf(res, `${invoice.number}.pdf`);
      const lines = await pdfLines(res.rawPayload);
      expect(lines).toEqual(expect.arrayContaining([`Invoice ${invoice.number}`, order.items[0]!.sku, order.items[0]!.name, ...expected]));
      expect(lines.join('\n')).not.toContain('USD');
    }
  });

  it('renders a PDF on its first request and stores it once: no job, the same file every time after', async () => {
    const path = `/v1/invoices/${invoiceId}/pdf`;
    const before = await h.get(path);
    expectPdf(before, 'INV-000001.pdf');
    expect(await h.sql('delete from pdf_documents where document_id = ? returning document_id', [invoiceId])).toHaveLength(1);

    const [first, second] = await Promise.all([h.get(path), h.get(path)]);
    expectPdf(first!, 'INV-000001.pdf');
    expect(second!.rawPayload.equals(first!.rawPayload)).toBe(true);
    expect(await pdfLines(first!.rawPayload)).toEqual(await pdfLines(before.rawPayload));
    expect(await h.sql('select count(*)::int as n from pdf_documents where document_id = ?', [invoiceId])).toEqual([{ n: 1 }]);
    expect((await h.get(path)).rawPayload.equals(first!.rawPayload)).toBe(true);
  });

  it('answers 404 for an unknown document and 403 for a storefront key', async () => {
    for (const kind of ['invoices', 'refunds']) {
      const res = await h.get(`/v1/${kind}/${randomUUID()}/pdf`);
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().code).toBe('NOT_FOUND');
    }
    expect((await h.get(`/v1/invoices/${invoiceId}/pdf`, { key: 'storefront' })).statusCode).toBe(403);
  });
});
