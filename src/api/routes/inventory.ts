import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { InventoryItem, InventorySource, Stock } from '../../db/entities/inventory.js';
import { lockStockLevels, readStockLevels } from '../../db/stock.js';
import type { Runtime } from '../../runtime.js';
import { notFound, Problem } from '../problem.js';
import { Sku, SourceCode, Strict, Text } from '../../actions/schemas.js';
import { cursorCodec } from '../cursor.js';

const SourceBody = Strict({
  name: Text(200),
  contactEmail: Type.Optional(Type.String({ maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' })),
  active: Type.Boolean({ default: true }),
});
export const SourceView = Type.Object({
  code: Type.String(),
  name: Type.String(),
  contactEmail: Type.Union([Type.String(), Type.Null()]),
  active: Type.Boolean(),
}, { title: 'Source' });

const StockBody = Strict({
  sources: Type.Record(SourceCode, Type.Integer({ minimum: 0, maximum: 1_000_000_000 }), {
    maxProperties: 100,
    description: 'on hand per source; sources not named hold none of this SKU',
  }),
});
export const StockView = Type.Object({
  sku: Type.String(),
  sources: Type.Array(Type.Object({ code: Type.String(), onHand: Type.Integer(), active: Type.Boolean() })),
  reserved: Type.Integer(),
  salable: Type.Integer({ description: 'on hand over active sources minus reserved' }),
}, { title: 'Stock' });

const sourceView = (source: InventorySource) => ({
  code: source.code,
  name: source.name,
  contactEmail: source.contactEmail ?? null,
  active: source.active,
});

const ItemsQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);
/** Where a page of SKUs ended: the last SKU (they are listed in SKU order). */
const skuCursor = cursorCodec(Type.Object({ sku: Sku }, { additionalProperties: false }));

/** Inventory is configuration, not an order action: it is written at once, in one transaction. */
export const inventoryRoutes: FastifyPluginAsyncTypebox<{ runtime: Runtime }> = async (app, { runtime }) => {
  app.put(
    '/v1/inventory/sources/:code',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'putInventorySource', summary: 'Create or update an inventory source',
        tags: ['inventory'],
        params: Type.Object({ code: SourceCode }),
        body: { ...SourceBody, title: 'PutInventorySourceBody' },
        response: { 200: SourceView, 201: SourceView },
      },
    },
    async (request, reply) => {
      const em = runtime.orm.em.fork();
      const now = new Date();
      const existing = await em.findOne(InventorySource, { code: request.params.code });
      const fields = {
        name: request.body.name,
        contactEmail: request.body.contactEmail ?? null,
        active: request.body.active,
        updatedAt: now,
      };
      const source = existing
        ? em.assign(existing, fields)
        : em.create(InventorySource, { code: request.params.code, createdAt: now, ...fields });
      await em.flush();
      return reply.code(existing ? 200 : 201).send(sourceView(source));
    },
  );

  app.get(
    '/v1/inventory/sources',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listInventorySources', summary: 'Every inventory source, by code',
        tags: ['inventory'],
        response: { 200: Type.Object({ items: Type.Array(SourceView) }) },
      },
    },
    async () => {
      const sources = await runtime.orm.em.fork().find(InventorySource, {}, { orderBy: { code: 'asc' } });
      return { items: sources.map(sourceView) };
    },
  );

  app.get(
    '/v1/inventory/items',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listStock', summary: 'Stock of every managed SKU, in SKU order: on hand per source, reserved, salable',
        tags: ['inventory'],
        querystring: ItemsQuery,
        response: { 200: Type.Object({ items: Type.Array(StockView), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const em = runtime.orm.em.fork();
      const after = cursor ? { sku: { $gt: skuCursor.decode(cursor).sku } } : {};
      const items = await em.find(InventoryItem, after, { orderBy: { sku: 'asc' }, limit: limit + 1, fields: ['sku'] });
      const page = items.slice(0, limit);
      const levels = await readStockLevels(em, page.map((item) => item.sku));
      const last = page.at(-1);
      return { items: levels, nextCursor: items.length > limit && last ? skuCursor.encode({ sku: last.sku }) : null };
    },
  );

  app.put(
    '/v1/inventory/items/:sku',
    {
      config: { role: 'admin', problems: [422] }, // UNKNOWN_SOURCE
      schema: {
        operationId: 'putStock', summary: 'Set the on-hand quantity of a SKU at every source; makes the SKU stock-managed',
        tags: ['inventory'],
        params: Type.Object({ sku: Sku }),
        body: { ...StockBody, title: 'PutStockBody' },
        response: { 200: StockView },
      },
    },
    async (request) => {
      const { sku } = request.params;
      const codes = Object.keys(request.body.sources);
      return runtime.orm.em.fork().transactional(async (em) => {
        const known = await em.find(InventorySource, { code: { $in: codes } });
        const unknown = codes.filter((code) => !known.some((source) => source.code === code));
        if (unknown.length > 0) {
          throw new Problem(422, 'UNKNOWN_SOURCE', 'Unknown source', `No inventory source ${unknown.join(', ')}; create it with PUT /v1/inventory/sources/{code} first.`, {
            sources: unknown,
          });
        }
        const now = new Date();
        await em.execute(
          `insert into inventory_items (sku, created_at, updated_at) values (?, ?, ?)
           on conflict (sku) do update set updated_at = excluded.updated_at`,
          [sku, now, now],
        );
        // Lock the SKU like a placement does, so a stock change and a reservation never interleave.
        await lockStockLevels(em, [sku]);
        await em.nativeDelete(Stock, codes.length > 0 ? { sku, sourceCode: { $nin: codes } } : { sku });
        for (const [sourceCode, onHand] of Object.entries(request.body.sources)) {
          await em.upsert(Stock, { sku, sourceCode, onHand });
        }
        const [level] = await readStockLevels(em, [sku]);
        return level!;
      });
    },
  );

  app.get(
    '/v1/inventory/items/:sku',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'getStock', summary: 'Stock of a SKU: on hand per source, reserved, salable',
        tags: ['inventory'],
        params: Type.Object({ sku: Sku }),
        response: { 200: StockView },
      },
    },
    async (request) => {
      const [level] = await readStockLevels(runtime.orm.em.fork(), [request.params.sku]);
      if (!level) throw notFound('inventory item', request.params.sku);
      return level;
    },
  );
};
