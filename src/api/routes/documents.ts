import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Uuid } from '../../actions/schemas.js';
import { Invoice, InvoiceItem } from '../../db/entities/invoices.js';
import { OrderLine } from '../../db/entities/orders.js';
import { Refund, RefundItem } from '../../db/entities/refunds.js';
import { Return, ReturnItem } from '../../db/entities/returns.js';
import { Shipment, ShipmentItem } from '../../db/entities/shipments.js';
import { ensurePdf } from '../../effects/pdf.js';
import type { Runtime } from '../../runtime.js';
import { notFound } from '../problem.js';
import { typeName } from '../views/actions.js';
import { InvoiceView, invoiceView, RefundView, refundView, ReturnView, returnView, ShipmentView, shipmentView } from '../views/documents.js';
import { knownOrder } from '../writes.js';

const DocumentParams = (what: string) => Type.Object({ id: Uuid(`${what} id`) });

async function linesOf(em: EntityManager, orderId: string): Promise<Map<string, OrderLine>> {
  const lines = await em.find(OrderLine, { order: orderId });
  return new Map(lines.map((line) => [line.id, line]));
}

/** Invoices, shipments, refunds and returns: reading them and their PDFs. What changes them are write routes. */
export const documentRoutes: FastifyPluginAsyncTypebox<{ runtime: Runtime }> = async (app, { runtime }) => {
  const em = () => runtime.orm.em.fork();

  app.get(
    '/v1/invoices/:id',
    {
      config: { role: 'admin' },
      schema: { operationId: 'getInvoice', summary: 'Read an invoice', tags: ['invoices'], params: DocumentParams('invoice'), response: { 200: InvoiceView } },
    },
    async (request) => {
      const fork = em();
      const invoice = await fork.findOne(Invoice, request.params.id);
      if (!invoice) throw notFound('invoice', request.params.id);
      const items = await fork.find(InvoiceItem, { invoiceId: invoice.id });
      return invoiceView(invoice, items, await linesOf(fork, invoice.orderId));
    },
  );

  app.get(
    '/v1/shipments/:id',
    {
      config: { role: 'admin' },
      schema: { operationId: 'getShipment', summary: 'Read a shipment', tags: ['shipments'], params: DocumentParams('shipment'), response: { 200: ShipmentView } },
    },
    async (request) => {
      const fork = em();
      const shipment = await fork.findOne(Shipment, request.params.id);
      if (!shipment) throw notFound('shipment', request.params.id);
      const items = await fork.find(ShipmentItem, { shipmentId: shipment.id });
      return shipmentView(shipment, items, await linesOf(fork, shipment.orderId));
    },
  );

  app.get(
    '/v1/refunds/:id',
    {
      config: { role: 'admin' },
      schema: { operationId: 'getRefund', summary: 'Read a refund (credit memo)', tags: ['refunds'], params: DocumentParams('refund'), response: { 200: RefundView } },
    },
    async (request) => {
      const fork = em();
      const refund = await fork.findOne(Refund, request.params.id);
      if (!refund) throw notFound('refund', request.params.id);
      const items = await fork.find(RefundItem, { refundId: refund.id });
      return refundView(refund, items, await linesOf(fork, refund.orderId));
    },
  );

  app.get(
    '/v1/returns/:id',
    {
      config: { role: 'storefront' },
      schema: { operationId: 'getReturn', summary: 'Read a return', tags: ['returns'], params: DocumentParams('return'), response: { 200: ReturnView } },
    },
    async (request) => {
      const fork = em();
      const ret = await fork.findOne(Return, request.params.id);
      // A storefront key reads the returns of orders it placed; others are as unknown as ids never used.
      if (!ret || !(await knownOrder(fork, ret.orderId, request.actor))) throw notFound('return', request.params.id);
      const items = await fork.find(ReturnItem, { returnId: ret.id }, { orderBy: { lineId: 'asc' } });
      return returnView(ret, items, await linesOf(fork, ret.orderId));
    },
  );

  const PDFS = [
    { kind: 'invoice', role: 'admin', table: 'invoices', summary: 'The invoice as PDF' },
    { kind: 'refund', role: 'admin', table: 'refunds', summary: 'The credit memo as PDF' },
    { kind: 'return', role: 'storefront', table: 'returns', summary: 'The return slip as PDF: what to send back, and the number for the parcel' },
  ] as const;
  for (const { kind, role, table, summary } of PDFS) {
    app.get(
      `/v1/${kind}s/:id/pdf`,
      {
        config: { role },
        schema: {
          operationId: `get${typeName(kind)}Pdf`,
          summary,
          tags: [`${kind}s`],
          params: DocumentParams(kind),
          produces: ['application/pdf'],
          response: {
            200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'application/pdf' }),
          },
        },
      },
      async (request, reply) => {
        const fork = em();
        const [document] = await fork.execute<{ order_id: string }[]>(`select order_id from ${table} where id = ?`, [request.params.id]);
        if (!document || !(await knownOrder(fork, document.order_id, request.actor))) throw notFound(kind, request.params.id);
        // Rendered on the first request and stored: later requests, and the e-mails that attach it, get the same file.
        const pdf = await ensurePdf(runtime, kind, request.params.id);
        return reply
          .type('application/pdf')
          .header('content-disposition', `inline; filename="${pdf.fileName}"`)
          .send(pdf.content);
      },
    );
  }
};
