/**
 * The invariants every orderflow database keeps, whatever failed on the way: one query each, returning the rows
 * that break it. `checkInvariants` lists every violation found (an empty list means the database is sound).
 */
type Sql = <T = Record<string, unknown>>(query: string, params?: unknown[]) => Promise<T[]>;

const CHECKS: Record<string, string> = {
  'line counters within bounds': `
    select id from order_lines
    where qty_invoiced + qty_canceled > qty_ordered or qty_shipped + qty_canceled > qty_ordered
       or qty_refunded > qty_invoiced or least(qty_invoiced, qty_shipped, qty_refunded, qty_canceled) < 0`,
  'line counters equal their documents': `
    select l.id from order_lines l
    where l.qty_invoiced <> coalesce((select sum(qty) from invoice_items where line_id = l.id), 0)
       or l.qty_shipped <> coalesce((select sum(qty) from shipment_items where line_id = l.id), 0)
       or l.qty_refunded <> coalesce((select sum(qty) from refund_items where line_id = l.id), 0)`,
  'invoice totals add up': `
    select i.id from invoices i
    where i.grand_total <> i.sub_total + i.shipping_amount + i.tax - i.discount
       or i.sub_total <> coalesce((select sum(row_total) from invoice_items where invoice_id = i.id), 0)
       or i.paid_amount <> coalesce((select sum(amount) from payments where invoice_id = i.id), 0)
       or (i.state = 'paid') <> (i.paid_amount = i.grand_total)`,
  'refund totals add up': `
    select r.id from refunds r
    where r.grand_total <> r.sub_total + r.tax + r.shipping_amount + r.adjustment_refund - r.adjustment_fee - r.discount
       or r.sub_total <> coalesce((select sum(row_total) from refund_items where refund_id = r.id), 0)`,
  'refunded money within paid money': `
    select o.id from orders o
    where coalesce((select sum(grand_total) from refunds where order_id = o.id), 0)
        > coalesce((select sum(amount) from payments where order_id = o.id), 0)`,
  'order totals add up': `
    select o.id from orders o
    where o.grand_total <> o.sub_total + o.shipping_amount + o.tax - o.discount
       or o.sub_total <> (select sum(unit_price * qty_ordered) from order_lines where order_id = o.id)`,
  'reservations equal what is left to ship': `
    select r.line_id from reservations r join order_lines l on l.id = r.line_id
    where r.qty <> greatest(0, l.qty_ordered - l.qty_shipped - l.qty_refunded - l.qty_canceled)`,
  'stock never negative': `select sku from stock where on_hand < 0`,
  'order numbers gapless': `
    select count(*) from orders having count(*) > 0 and max(number::bigint) - min(number::bigint) + 1 <> count(*)`,
  'invoice numbers gapless': `
    select count(*) from invoices having count(*) > 0 and max(substr(number, 5)::int) <> count(*)`,
  'shipment numbers gapless': `
    select count(*) from shipments having count(*) > 0 and max(substr(number, 5)::int) <> count(*)`,
  'refund numbers gapless': `
    select count(*) from refunds having count(*) > 0 and max(substr(number, 5)::int) <> count(*)`,
  'return numbers gapless': `
    select count(*) from returns having count(*) > 0 and max(substr(number, 5)::int) <> count(*)`,
  'returned units within shipped units, per line': `
    select l.id from order_lines l
    where coalesce((select sum(ri.qty_resellable + ri.qty_damaged) from return_items ri where ri.line_id = l.id), 0) > l.qty_shipped
       or coalesce((select sum(case when r.state in ('requested', 'approved') then ri.qty
                                    when r.state in ('received', 'refunded') then ri.qty_resellable + ri.qty_damaged else 0 end)
                    from return_items ri join returns r on r.id = ri.return_id where ri.line_id = l.id), 0) > l.qty_shipped`,
  'received units within requested units': `
    select return_id, line_id from return_items where qty_resellable + qty_damaged > qty or least(qty_resellable, qty_damaged) < 0`,
  'a return received once, before it is refunded': `
    select r.id from returns r
    where (r.state in ('received', 'refunded')) <> (r.received_at is not null and r.source_code is not null)
       or (r.state in ('requested', 'approved', 'rejected', 'canceled')
           and exists (select 1 from return_items ri where ri.return_id = r.id and ri.qty_resellable + ri.qty_damaged > 0))`,
  'every refunded return has exactly one credit memo, and they point at each other': `
    select r.id from returns r
    where (r.state = 'refunded') <> (r.refund_id is not null)
       or (select count(*) from refunds f where f.return_id = r.id) <> (case when r.state = 'refunded' then 1 else 0 end)
       or (r.refund_id is not null and not exists (select 1 from refunds f where f.id = r.refund_id and f.return_id = r.id))`,
  'one history entry per applied action': `
    select a.id from actions a
    where a.status = 'succeeded'
      and (select count(*) from order_events e where e.action_id = a.id and e.type = a.type) <> 1`,
  'no history entry for an action not applied': `
    select e.id from order_events e join actions a on a.id = e.action_id
    where e.type = a.type and a.status <> 'succeeded'`,
  'every succeeded placement made its order': `
    select a.id from actions a where a.type = 'order.place' and a.status = 'succeeded'
      and not exists (select 1 from orders o where o.id = a.order_id)`,
};

/** Per SKU and source: what is on hand, what left in shipments, and what refunds and received returns put back. */
const STOCK_MOVEMENTS = `
  select s.sku, s.source_code as source, s.on_hand::int as "onHand",
    coalesce((select sum(si.qty) from shipment_items si
              join shipments sh on sh.id = si.shipment_id join order_lines l on l.id = si.line_id
              where l.sku = s.sku and sh.source_code = s.source_code), 0)::int as shipped,
    (coalesce((select sum((moved->>'qty')::int) from refund_items ri
               join order_lines l on l.id = ri.line_id cross join jsonb_array_elements(ri.from_shipped) moved
               where ri.return_to_stock and l.sku = s.sku and moved->>'source' = s.source_code), 0)
     + coalesce((select sum(ri.qty_resellable) from return_items ri
                 join returns r on r.id = ri.return_id join order_lines l on l.id = ri.line_id
                 where l.sku = s.sku and r.source_code = s.source_code), 0))::int as restocked
  from stock s`;

/** On hand per SKU and source, as set by the last inventory update before the orders came. */
export type InitialStock = Record<string, Record<string, number>>;

/**
 * Every violation found. With `initialStock`, also checks that each listed SKU's stock is its initial stock minus
 * what shipped plus what refunds and received returns put back (valid when the stock was not set again after the
 * orders began).
 */
export async function checkInvariants(sql: Sql, options: { initialStock?: InitialStock } = {}): Promise<string[]> {
  const violations: string[] = [];
  for (const [name, query] of Object.entries(CHECKS)) {
    const rows = await sql(query);
    if (rows.length > 0) violations.push(`${name}: ${JSON.stringify(rows.slice(0, 5))}`);
  }
  if (options.initialStock) {
    const rows = await sql<{ sku: string; source: string; onHand: number; shipped: number; restocked: number }>(STOCK_MOVEMENTS);
    const wrong = Object.entries(options.initialStock).flatMap(([sku, sources]) =>
      Object.entries(sources).flatMap(([source, initial]) => {
        const row = rows.find((r) => r.sku === sku && r.source === source);
        const expected = initial - (row?.shipped ?? 0) + (row?.restocked ?? 0);
        return row?.onHand === expected ? [] : [{ sku, source, initial, ...row, expected }];
      }),
    );
    if (wrong.length > 0) violations.push(`stock = initial - shipped + restocked: ${JSON.stringify(wrong.slice(0, 5))}`);
  }
  return violations;
}
