import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../../config/config.js';
import { formatMoney } from '../domain/money.js';
import { RETURN_REASON_WORDS } from '../domain/returns.js';
import { Invoice, InvoiceItem } from '../db/entities/invoices.js';
import { Order, OrderAddress } from '../db/entities/orders.js';
import { Refund, RefundItem } from '../db/entities/refunds.js';
import { Return, ReturnItem } from '../db/entities/returns.js';

export type PdfKind = 'invoice' | 'refund' | 'return';

/** Everything a PDF shows, gathered before rendering so that rendering is a function of data alone. */
export interface PdfData {
  title: string;
  number: string;
  date: Date;
  orderNumber: string;
  currency: string;
  seller: Config['seller'];
  customer: { name: string; email: string };
  billing: string[];
  shipping: string[] | null;
  /** A document's lines with their amounts; a return slip's lines carry units and why (`detail`) only. */
  lines: { sku: string; name: string; qty: number; amounts: PricedAmounts | null; detail?: string }[];
  totals: [label: string, amount: number][];
  notes: string[];
}

interface PricedAmounts {
  unitPrice: number;
  taxAmount: number;
  discountAmount: number;
  rowTotal: number;
}

const addressLines = (address: OrderAddress | undefined): string[] | null =>
  address
    ? [
        address.name,
        address.company,
        address.line1,
        address.line2,
        [address.postcode, address.city].filter(Boolean).join(' '),
        address.region,
        address.country,
      ].filter((line): line is string => typeof line === 'string' && line !== '')
    : null;

const day = (date: Date) => date.toISOString().slice(0, 10);

/**
 * Renders an invoice, a credit memo or a return slip as an A4 PDF. The creation date is the document's, so output is
 * repeatable. pdfkit is loaded on the first document, not with the process: most processes never render one.
 */
export async function renderPdf(data: PdfData): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: { Title: `${data.title} ${data.number}`, Author: data.seller.name, CreationDate: data.date },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const money = (amount: number) => formatMoney(amount, data.currency);

  if (data.seller.logoPath) doc.image(data.seller.logoPath, 50, 45, { fit: [120, 50] });
  doc.fontSize(10).text(
    [data.seller.name, ...data.seller.address, data.seller.email, data.seller.vatId ? `VAT ${data.seller.vatId}` : null]
      .filter((line): line is string => Boolean(line))
      .join('\n'),
    300,
    50,
    { align: 'right' },
  );
  doc.moveDown(2).fontSize(20).text(`${data.title} ${data.number}`, 50);
  doc.fontSize(10).text(`Date: ${day(data.date)}    Order: ${data.orderNumber}`);
  for (const note of data.notes) doc.text(note);
  doc.moveDown();

  const top = doc.y;
  doc.text(['Bill to', ...data.billing, data.customer.email].join('\n'), 50, top, { width: 240 });
  if (data.shipping) doc.text(['Ship to', ...data.shipping].join('\n'), 300, top, { width: 240 });
  doc.moveDown(2);

  const priced = data.lines.every((line) => line.amounts !== null);
  const columns = priced
    ? [
        { label: 'SKU / item', x: 50, width: 170, align: 'left' as const },
        { label: 'Qty', x: 220, width: 40, align: 'right' as const },
        { label: 'Unit price', x: 260, width: 75, align: 'right' as const },
        { label: 'Tax', x: 335, width: 65, align: 'right' as const },
        { label: 'Discount', x: 400, width: 65, align: 'right' as const },
        { label: 'Row total', x: 465, width: 80, align: 'right' as const },
      ]
    : [
        { label: 'SKU / item', x: 50, width: 250, align: 'left' as const },
        { label: 'Qty', x: 300, width: 40, align: 'right' as const },
        { label: 'Why', x: 360, width: 185, align: 'left' as const },
      ];
  const row = (cells: string[], bold = false) => {
    const y = doc.y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica');
    let bottom = y;
    cells.forEach((cell, i) => {
      const column = columns[i]!;
      doc.text(cell, column.x, y, { width: column.width, align: column.align });
      bottom = Math.max(bottom, doc.y);
    });
    doc.y = bottom + 4;
  };
  row(columns.map((c) => c.label), true);
  for (const line of data.lines) {
    const { amounts } = line;
    row(
      amounts
        ? [`${line.sku}\n${line.name}`, String(line.qty), money(amounts.unitPrice), money(amounts.taxAmount), money(amounts.discountAmount), money(amounts.rowTotal)]
        : [`${line.sku}\n${line.name}`, String(line.qty), line.detail ?? ''],
    );
  }
  doc.moveDown();
  for (const [label, amount] of data.totals) {
    const y = doc.y;
    const bold = label === 'Grand total';
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica');
    doc.text(label, 300, y, { width: 140, align: 'right' });
    doc.text(money(amount), 445, y, { width: 100, align: 'right' });
  }
  doc.font('Helvetica').moveDown(2).fontSize(9).text(data.seller.footer, 50, undefined, { align: 'center' });
  doc.end();
  return done;
}

/** What every document of an order shows besides its own figures: seller, order, customer, addresses, lines. */
async function documentBase(
  em: EntityManager,
  config: Config,
  document: { number: string; createdAt: Date; orderId: string },
  items: readonly (InvoiceItem | RefundItem)[],
): Promise<Omit<PdfData, 'title' | 'totals' | 'notes'>> {
  const { order, base } = await orderBase(em, config, document);
  const lines = new Map(order.lines.getItems().map((line) => [line.id, line]));
  return {
    ...base,
    lines: items.map((item) => ({
      sku: lines.get(item.lineId)?.sku ?? '',
      name: lines.get(item.lineId)?.name ?? '',
      qty: item.qty,
      amounts: { unitPrice: item.unitPrice, taxAmount: item.taxAmount, discountAmount: item.discountAmount, rowTotal: item.rowTotal },
    })),
  };
}

/** The seller, order, customer and addresses every document shows. */
async function orderBase(em: EntityManager, config: Config, document: { number: string; createdAt: Date; orderId: string }) {
  const order = await em.findOneOrFail(Order, document.orderId, { populate: ['lines', 'addresses'] });
  const addresses = order.addresses.getItems();
  const base = {
    number: document.number,
    date: document.createdAt,
    orderNumber: order.number,
    currency: order.currency,
    seller: config.seller,
    customer: { name: `${order.customerFirstName} ${order.customerLastName}`, email: order.customerEmail },
    billing: addressLines(addresses.find((a) => a.kind === 'billing')) ?? [],
    shipping: addressLines(addresses.find((a) => a.kind === 'shipping')),
  };
  return { order, base };
}

export async function invoicePdfData(em: EntityManager, config: Config, invoiceId: string): Promise<PdfData> {
  const invoice = await em.findOneOrFail(Invoice, invoiceId);
  const base = await documentBase(em, config, invoice, await em.find(InvoiceItem, { invoiceId }));
  const unpaid = invoice.state !== 'paid';
  return {
    ...base,
    title: 'Invoice',
    totals: [
      ['Subtotal', invoice.subTotal],
      ['Shipping', invoice.shippingAmount],
      ['Tax', invoice.tax],
      ['Discount', -invoice.discount],
      ['Grand total', invoice.grandTotal],
      ...(unpaid ? ([['Amount due', invoice.grandTotal - invoice.paidAmount]] as [string, number][]) : []),
    ],
    notes: unpaid ? [`Payment due ${invoice.dueAt ? day(invoice.dueAt) : ''} (${invoice.state})`] : ['Paid'],
  };
}

export async function refundPdfData(em: EntityManager, config: Config, refundId: string): Promise<PdfData> {
  const refund = await em.findOneOrFail(Refund, refundId);
  const base = await documentBase(em, config, refund, await em.find(RefundItem, { refundId }));
  return {
    ...base,
    title: 'Credit memo',
    totals: [
      ['Subtotal', refund.subTotal],
      ['Shipping', refund.shippingAmount],
      ['Tax', refund.tax],
      ['Discount', -refund.discount],
      ['Adjustment refund', refund.adjustmentRefund],
      ['Adjustment fee', -refund.adjustmentFee],
      ['Grand total', refund.grandTotal],
    ],
    notes: refund.reason ? [`Reason: ${refund.reason}`] : [],
  };
}

/** The return slip: what to put in the parcel, and the number to write on it. */
export async function returnPdfData(em: EntityManager, config: Config, returnId: string): Promise<PdfData> {
  const ret = await em.findOneOrFail(Return, returnId);
  const { order, base } = await orderBase(em, config, ret);
  const lines = new Map(order.lines.getItems().map((line) => [line.id, line]));
  const items = await em.find(ReturnItem, { returnId }, { orderBy: { lineId: 'asc' } });
  return {
    ...base,
    title: 'Return slip',
    lines: items.map((item) => ({
      sku: lines.get(item.lineId)?.sku ?? '',
      name: lines.get(item.lineId)?.name ?? '',
      qty: item.qty,
      amounts: null,
      detail: [RETURN_REASON_WORDS[item.reason], item.note].filter(Boolean).join(': '),
    })),
    totals: [],
    notes: [`Send the items below to ${config.seller.name} at the address above, with ${ret.number} written on the parcel.`],
  };
}

const PDF_DATA: Record<PdfKind, (em: EntityManager, config: Config, id: string) => Promise<PdfData>> = {
  invoice: invoicePdfData,
  refund: refundPdfData,
  return: returnPdfData,
};

export interface StoredPdf {
  fileName: string;
  content: Buffer;
}

/** The stored PDF of a document, or null while it is not rendered yet. */
export async function readPdf(em: EntityManager, documentId: string): Promise<StoredPdf | null> {
  const [row] = await em.execute<{ file_name: string; content: Buffer }[]>(
    'select file_name, content from pdf_documents where document_id = ?',
    [documentId],
  );
  return row ? { fileName: row.file_name, content: row.content } : null;
}

/**
 * Renders a document's PDF once and stores it in PostgreSQL (every API and worker machine reads the same copy).
 * Safe to call again: a stored PDF is returned as it is.
 */
export async function ensurePdf(deps: { orm: MikroORM; config: Config }, kind: PdfKind, documentId: string): Promise<StoredPdf> {
  const em = deps.orm.em.fork();
  const stored = await readPdf(em, documentId);
  if (stored) return stored;
  const data = await PDF_DATA[kind](em, deps.config, documentId);
  const content = await renderPdf(data);
  const fileName = `${data.number}.pdf`;
  await em.execute(
    `insert into pdf_documents (document_id, kind, file_name, content, rendered_at) values (?, ?, ?, ?, now())
     on conflict (document_id) do nothing`,
    [documentId, kind, fileName, content],
  );
  return { fileName, content };
}
