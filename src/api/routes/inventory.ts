import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { InventorySource, Stock } from '../../db/entities/inventory.js';
import { lockStockLevels, readStockLevels } from '../../db/stock.js';
import type { Runtime } from '../../runtime.js';
import { notFound, Problem } from '../problem.js';
import { Sku, SourceCode, Strict, Text } from '../../actions/schemas.js';


const SourceBody = Strict({
  name: Text(200),
  contactEmail: Type.Optional(Type.String({ maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' })),
  active: Type.Boolean({ default: true }),
});
const SourceView = Type.Object({
  code: Type.String(),
  name: Type.String(),
  contactEmail: Type.Union([Type.String(), Type.Null()]),
  active: Type.Boolean(),
});

const StockBody = Strict({
  sources: Type.Record(SourceCode, Type.Integer({ minimum: 0, maximum: 1_000_000_000 }), {
    maxProperties: 100,
    description: 'on hand per source; sources not named hold none of this SKU',
  }),
});
const StockView = Type.Object({
  sku: Type.String(),
  sources: Type.Array(Type.Object({ code: Type.String(), onHand: Type.Integer(), active: Type.Boolean() })),
  reserved: Type.Integer(),
  salable: Type.Integer({ description: 'on hand over active sources minus reserved' }),
});

/** Inventory is configuration, not an order action: it is written at once, in one transaction. */
export const inventoryRoutes: FastifyPluginAsyncTypebox<{ runtime: Runtime }> = async (app, { runtime }) => {
  app.put(
    '/v1/inventory/sources/:code',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Create or update an inventory source',
        tags: ['inventory'],
        params: Type.Object({ code: SourceCode }),
        body: SourceBody,
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
      return reply.code(existing ? 200 : 201).send({
        code: source.code,
        name: source.name,
        contactEmail: source.contactEmail ?? null,
        active: source.active,
      });
    },
  );

  app.put(
    '/v1/inventory/items/:sku',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Set the on-hand quantity of a SKU at every source; makes the SKU stock-managed',
        tags: ['inventory'],
        params: Type.Object({ sku: Sku }),
        body: StockBody,
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
        summary: 'Stock of a SKU: on hand per source, reserved, salable',
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
