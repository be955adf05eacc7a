import type { EntityManager } from '@mikro-orm/postgresql';
import type { InvoiceState, OrderStatus } from '../domain/order.js';
import type { ReturnFacts } from '../domain/returns.js';

/**
 * What the action pipeline reads: a claimed action and its order as one JSON document, for a whole batch in one
 * statement. Keys are the domain's names; timestamps arrive as text and are turned into dates here, once.
 */

export interface SnapshotLine {
  id: string;
  sku: string;
  name: string;
  stockable: boolean;
  unitPrice: number;
  taxAmount: number;
  discountAmount: number;
  qtyOrdered: number;
  qtyInvoiced: number;
  qtyShipped: number;
  qtyRefunded: number;
  qtyCanceled: number;
  /** Inventory manages the line's SKU (now): restocking puts units back on hand. */
  managed: boolean;
  /** The line holds a reservation (its SKU was managed when the order was placed). */
  reserved: boolean;
}

export interface SnapshotInvoice {
  id: string;
  number: string;
  state: InvoiceState;
  grandTotal: number;
  paidAmount: number;
  shippingAmount: number;
  shippingTax: number;
  shippingDiscount: number;
  dueAt: Date | null;
  remindersSent: number;
  lastReminderAt: Date | null;
  createdAt: Date;
}

export interface SnapshotShipment {
  id: string;
  number: string;
  state: 'dispatched' | 'delivered';
  source: string;
  createdAt: Date;
  deliveredAt: Date | null;
  items: { lineId: string; qty: number }[];
}

export interface SnapshotRefund {
  id: string;
  grandTotal: number;
  shippingAmount: number;
  items: { lineId: string; qty: number; fromShipped: { source: string; qty: number }[] }[];
}

export interface OrderSnapshot {
  id: string;
  number: string;
  placedBy: string;
  status: OrderStatus;
  held: boolean;
  currency: string;
  customerEmail: string;
  paymentMethod: string;
  shipping: { amount: number; taxAmount: number; discountAmount: number };
  grandTotal: number;
  createdAt: Date;
  lines: SnapshotLine[];
  invoices: SnapshotInvoice[];
  /** Loaded for action types that name `shipments` among their needs; empty otherwise. */
  shipments: SnapshotShipment[];
  /** Loaded for action types that name `refunds` among their needs; empty otherwise. */
  refunds: SnapshotRefund[];
  /** Loaded for action types that name `returns` among their needs; empty otherwise. */
  returns: ReturnFacts[];
}

/** Parts of an order beyond its row, lines and invoices, loaded only for the action types that need them. */
export type SnapshotPart = 'shipments' | 'refunds' | 'returns';

export interface ClaimedAction {
  id: string;
  seq: number;
  type: string;
  orderId: string;
  payload: Record<string, unknown>;
  actorName: string;
  actorRole: string;
  requestId: string | null;
  createdAt: Date;
  attempts: number;
  order: OrderSnapshot | null;
}

/** Each asked-for action: claimed (with its order), or why not. */
export type Claim = { id: string; claimed: ClaimedAction } | { id: string; claimed: null; status: string | null };

/** Which action types lock the stock of which SKUs before they plan (their stock must not move meanwhile). */
export interface StockLocks {
  /** Types whose payload `items` carry the SKUs (placements): stockable items' SKUs. */
  payloadItems: readonly string[];
  /** Types that lock their order's stockable lines' SKUs (shipments). */
  orderLines: readonly string[];
}

const PARTS: Record<SnapshotPart, string> = {
  shipments: `(select coalesce(jsonb_agg(jsonb_build_object(
      'id', s.id, 'number', s.number, 'state', s.state, 'source', s.source_code, 'createdAt', s.created_at,
      'deliveredAt', s.delivered_at,
      'items', (select coalesce(jsonb_agg(jsonb_build_object('lineId', si.line_id, 'qty', si.qty)), '[]')
                from shipment_items si where si.shipment_id = s.id))
      order by s.created_at, s.id), '[]') from shipments s where s.order_id = o.id)`,
  refunds: `(select coalesce(jsonb_agg(jsonb_build_object(
      'id', r.id, 'grandTotal', r.grand_total, 'shippingAmount', r.shipping_amount,
      'items', (select coalesce(jsonb_agg(jsonb_build_object('lineId', ri.line_id, 'qty', ri.qty, 'fromShipped', ri.from_shipped)), '[]')
                from refund_items ri where ri.refund_id = r.id))
      order by r.created_at, r.id), '[]') from refunds r where r.order_id = o.id)`,
  returns: `(select coalesce(jsonb_agg(jsonb_build_object(
      'id', rt.id, 'number', rt.number, 'state', rt.state,
      'items', (select coalesce(jsonb_agg(jsonb_build_object('lineId', ri.line_id, 'qty', ri.qty, 'reason', ri.reason, 'note', ri.note,
                                                          'qtyResellable', ri.qty_resellable, 'qtyDamaged', ri.qty_damaged)), '[]')
                from return_items ri where ri.return_id = rt.id))
      order by rt.created_at, rt.id), '[]') from returns rt where rt.order_id = o.id)`,
};

/**
 * Claims the actions that may run now, and loads each one's order, in one statement. An action is claimed unless
 * it has finished, an earlier action of its order has not, or another transaction is applying it right now (a
 * second delivery of the same job, skipped rather than waited for, so that it never holds up a batch): actions of
 * one order apply in the order they were accepted, so a batch never holds two actions of one order, and nothing
 * else changes a claimed action's order until the claim's transaction ends.
 * The inventory rows of the SKUs that placements and shipments need are locked too, in SKU order (no deadlock
 * between batches). A claim counts an attempt.
 */
function claimStatement(parts: readonly SnapshotPart[]): string {
  const optional = (part: SnapshotPart) => (parts.includes(part) ? PARTS[part] : `'[]'::jsonb`);
  return `
    with asked as (select id, position from unnest(?::uuid[]) with ordinality as asked(id, position)),
    claimable as (
      select a.id from actions a
      where a.id = any(?::uuid[]) and a.status in ('queued', 'processing', 'failed')
        and not exists (
          select 1 from actions p
          where p.order_id = a.order_id and p.seq < a.seq and p.status not in ('succeeded', 'rejected'))
      for update skip locked),
    claimed as (
      update actions a set status = 'processing', attempts = a.attempts + 1, updated_at = now()
      from claimable where a.id = claimable.id
      returning a.id, a.seq, a.type, a.order_id, a.payload, a.actor_name, a.actor_role, a.request_id, a.created_at, a.attempts),
    locks as (select ?::jsonb as types),
    locked as (
      select i.sku from inventory_items i
      where i.sku in (
        select item->>'sku' from claimed c, jsonb_array_elements(c.payload->'items') item
        where jsonb_exists((select types->'payloadItems' from locks), c.type) and coalesce((item->>'stockable')::boolean, true)
        union
        select l.sku from claimed c join order_lines l on l.order_id = c.order_id
        where jsonb_exists((select types->'orderLines' from locks), c.type) and l.stockable)
      order by i.sku
      for update of i)
    select asked.id, a.status, c.seq, c.type, c.order_id, c.payload, c.actor_name, c.actor_role, c.request_id, c.created_at,
      c.attempts, (select count(*) from locked) as locked,
      case when c.id is not null then (
        select jsonb_build_object(
          'id', o.id, 'number', o.number, 'placedBy', o.placed_by, 'status', o.status, 'held', o.held,
          'currency', o.currency, 'customerEmail', o.customer_email, 'paymentMethod', o.payment_method,
          'shipping', jsonb_build_object('amount', o.shipping_amount, 'taxAmount', o.shipping_tax, 'discountAmount', o.shipping_discount),
          'grandTotal', o.grand_total, 'createdAt', o.created_at,
          'lines', (select coalesce(jsonb_agg(jsonb_build_object(
              'id', l.id, 'sku', l.sku, 'name', l.name, 'stockable', l.stockable, 'unitPrice', l.unit_price,
              'taxAmount', l.tax_amount, 'discountAmount', l.discount_amount, 'qtyOrdered', l.qty_ordered,
              'qtyInvoiced', l.qty_invoiced, 'qtyShipped', l.qty_shipped, 'qtyRefunded', l.qty_refunded,
              'qtyCanceled', l.qty_canceled,
              'managed', exists (select 1 from inventory_items ii where ii.sku = l.sku),
              'reserved', exists (select 1 from reservations rs where rs.line_id = l.id))
              order by l.position), '[]') from order_lines l where l.order_id = o.id),
          'invoices', (select coalesce(jsonb_agg(jsonb_build_object(
              'id', i.id, 'number', i.number, 'state', i.state, 'grandTotal', i.grand_total, 'paidAmount', i.paid_amount,
              'shippingAmount', i.shipping_amount, 'shippingTax', i.shipping_tax, 'shippingDiscount', i.shipping_discount,
              'dueAt', i.due_at, 'remindersSent', i.reminders_sent, 'lastReminderAt', i.last_reminder_at,
              'createdAt', i.created_at)
              order by i.created_at, i.id), '[]') from invoices i where i.order_id = o.id),
          'shipments', ${optional('shipments')},
          'refunds', ${optional('refunds')},
          'returns', ${optional('returns')})
        from orders o where o.id = c.order_id)
      end as snapshot
    from asked
    left join lateral (select status from actions where id = asked.id) a on true
    left join claimed c on c.id = asked.id
    order by c.seq nulls last, asked.position`;
}

const statements = new Map<string, string>();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface ClaimRow {
  id: string;
  status: string | null;
  seq: string | null;
  type: string;
  order_id: string;
  payload: Record<string, unknown>;
  actor_name: string;
  actor_role: string;
  request_id: string | null;
  created_at: Date | string;
  attempts: number;
  snapshot: (Omit<OrderSnapshot, 'createdAt'> & { createdAt: string }) | null;
}

const date = (value: Date | string) => new Date(value);
const maybeDate = (value: Date | string | null) => (value === null ? null : new Date(value));

/** Dates of a snapshot, which JSON carries as text. */
function withDates(raw: NonNullable<ClaimRow['snapshot']>): OrderSnapshot {
  const json = raw as unknown as Record<string, unknown> & {
    invoices: (SnapshotInvoice & Record<'dueAt' | 'lastReminderAt' | 'createdAt', string | null>)[];
    shipments: (SnapshotShipment & Record<'createdAt' | 'deliveredAt', string | null>)[];
  };
  return {
    ...(raw as unknown as OrderSnapshot),
    createdAt: date(raw.createdAt),
    invoices: json.invoices.map((i) => ({ ...i, dueAt: maybeDate(i.dueAt), lastReminderAt: maybeDate(i.lastReminderAt), createdAt: date(i.createdAt!) })),
    shipments: json.shipments.map((s) => ({ ...s, createdAt: date(s.createdAt!), deliveredAt: maybeDate(s.deliveredAt) })),
  };
}

/** Claims what it can of `ids` and loads the claimed actions' orders, in the caller's transaction, in one statement. */
export async function claimAndLoad(
  em: EntityManager,
  ids: readonly string[],
  parts: readonly SnapshotPart[],
  locks: StockLocks,
): Promise<Claim[]> {
  const key = [...parts].sort().join(',');
  const sql = statements.get(key) ?? claimStatement(parts);
  statements.set(key, sql);
  // Ids as array constants: the planner knows how many there are and finds each by its index.
  const array = `{${ids.map((id) => (UUID.test(id) ? id : 'invalid')).join(',')}}`;
  const rows = await em.execute<ClaimRow[]>(sql, [array, array, JSON.stringify(locks)]);
  return rows.map((row): Claim => {
    if (row.seq === null) return { id: row.id, claimed: null, status: row.status };
    return {
      id: row.id,
      claimed: {
        id: row.id,
        seq: Number(row.seq),
        type: row.type,
        orderId: row.order_id,
        payload: row.payload,
        actorName: row.actor_name,
        actorRole: row.actor_role,
        requestId: row.request_id,
        createdAt: date(row.created_at),
        attempts: row.attempts,
        order: row.snapshot ? withDates(row.snapshot) : null,
      },
    };
  });
}
