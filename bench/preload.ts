/**
 * Fills a bench database with `orders` orders as the lifecycle leaves them (placed, invoiced and paid, shipped, one
 * unit refunded), written directly in SQL: every table that grows with orders holds what that many orders would
 * have written, so the bench can show whether an action costs more on a full database than on an empty one.
 */
type Sql = (text: string, params?: unknown[]) => Promise<unknown[]>;

export async function preload(sql: Sql, orders: number, sku: string): Promise<void> {
  await sql(`create temporary table preload as
    select g, gen_random_uuid() as order_id, gen_random_uuid() as line_id, gen_random_uuid() as invoice_id,
           gen_random_uuid() as shipment_id, gen_random_uuid() as refund_id,
           now() - make_interval(mins => g) as at
    from generate_series(1, $1::int) g`, [orders]);
  await sql(`insert into orders (id, number, external_id, channel, placed_by, status, currency, customer_email,
      customer_first_name, customer_last_name, payment_method, payment_captured, shipping_method, shipping_title,
      shipping_amount, shipping_tax, shipping_discount, sub_total, tax, discount, grand_total, held, created_at, updated_at)
    select order_id, 'PRE-' || g, 'pre-' || g, 'default', 'bench', 'processing', 'USD', 'bench@example.com', 'Bench', 'Mark',
      'banktransfer', true, 'flatrate', 'Flat rate', 500, 100, 0, 3998, 500, 0, 4998, false, at, at from preload`);
  await sql(`insert into order_lines (id, order_id, position, sku, name, stockable, unit_price, tax_amount, discount_amount,
      qty_ordered, qty_invoiced, qty_shipped, qty_refunded, qty_canceled)
    select line_id, order_id, 0, $1, 'Bench item', true, 1999, 400, 0, 2, 2, 2, 1, 0 from preload`, [sku]);
  await sql(`insert into order_addresses (order_id, kind, name, line1, city, country)
    select order_id, kind, 'Bench Mark', '1 Main St', 'London', 'GB' from preload, (values ('billing'), ('shipping')) k(kind)`);
  await sql(`insert into reservations (line_id, order_id, sku, qty) select line_id, order_id, $1, 0 from preload`, [sku]);
  await sql(`insert into invoices (id, order_id, number, state, sub_total, shipping_amount, shipping_tax, shipping_discount,
      tax, discount, grand_total, paid_amount, created_at, updated_at)
    select invoice_id, order_id, 'PRE-INV-' || g, 'paid', 3998, 500, 100, 0, 500, 0, 4998, 4998, at, at from preload`);
  await sql(`insert into invoice_items (invoice_id, line_id, qty, unit_price, row_total, tax_amount, discount_amount)
    select invoice_id, line_id, 2, 1999, 3998, 400, 0 from preload`);
  await sql(`insert into payments (id, invoice_id, order_id, amount, method, created_at)
    select gen_random_uuid(), invoice_id, order_id, 4998, 'banktransfer', at from preload`);
  await sql(`insert into shipments (id, order_id, number, state, source_code, carrier_code, carrier_title, tracking_number, created_at, updated_at)
    select shipment_id, order_id, 'PRE-SHP-' || g, 'dispatched', 'main', 'ups', 'UPS', '1Z', at, at from preload`);
  await sql(`insert into shipment_items (shipment_id, line_id, qty) select shipment_id, line_id, 2 from preload`);
  await sql(`insert into refunds (id, order_id, number, sub_total, shipping_amount, shipping_tax, tax, discount,
      adjustment_refund, adjustment_fee, grand_total, payment_status, created_at, updated_at)
    select refund_id, order_id, 'PRE-RFD-' || g, 1999, 0, 0, 200, 0, 0, 0, 2199, 'succeeded', at, at from preload`);
  await sql(`insert into refund_items (refund_id, line_id, qty, return_to_stock, from_unshipped, from_shipped,
      unit_price, row_total, tax_amount, discount_amount)
    select refund_id, line_id, 1, true, 0, '[{"source": "main", "qty": 1}]', 1999, 1999, 200, 0 from preload`);
  await sql(`insert into actions (id, type, order_id, payload, actor_name, actor_role, idempotency_key, request_hash,
      status, result, attempts, created_at, updated_at, finished_at)
    select gen_random_uuid(), type, order_id, '{}', 'bench', 'admin', null, 'preload', 'succeeded', '{}', 1, at, at, at
    from preload, (values ('order.place'), ('invoice.create'), ('shipment.create'), ('refund.create')) t(type)`);
  await sql(`insert into order_events (order_id, type, actor, data, created_at)
    select order_id, type, 'bench', '{}', at from preload,
      (values ('order.place'), ('status.changed'), ('invoice.create'), ('status.changed'), ('shipment.create'),
              ('refund.create'), ('refund.payment')) t(type)`);
  await sql(`insert into outbox (id, queue, name, payload, created_at, due_at, done_at, outcome)
    select gen_random_uuid(), 'refunds', 'refund.payment', jsonb_build_object('refundId', refund_id), at, at, now() - interval '1 hour', 'done' from preload`);
  await sql('drop table preload');
  await sql('analyze');
}
