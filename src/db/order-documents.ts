import type { EntityManager } from '@mikro-orm/postgresql';
import type { ShippedUnits } from '../domain/refund.js';

export interface OrderMoneySums {
  invoiced: number;
  paid: number;
  refunded: number;
  shippingInvoiced: { amount: number; taxAmount: number; discountAmount: number };
  shippingRefunded: number;
}

/** Sums over an order's invoices, payments and refunds, in one round trip. */
export async function readOrderMoney(em: EntityManager, orderId: string): Promise<OrderMoneySums> {
  const [row] = await em.execute<Record<string, string>[]>(
    `select
       (select coalesce(sum(grand_total), 0) from invoices where order_id = ?) as invoiced,
       (select coalesce(sum(amount), 0) from payments where order_id = ?) as paid,
       (select coalesce(sum(grand_total), 0) from refunds where order_id = ?) as refunded,
       (select coalesce(sum(shipping_amount), 0) from invoices where order_id = ?) as shipping_invoiced,
       (select coalesce(sum(shipping_tax), 0) from invoices where order_id = ?) as shipping_tax_invoiced,
       (select coalesce(sum(shipping_discount), 0) from invoices where order_id = ?) as shipping_discount_invoiced,
       (select coalesce(sum(shipping_amount), 0) from refunds where order_id = ?) as shipping_refunded`,
    Array(7).fill(orderId),
  );
  const n = (key: string) => Number(row?.[key] ?? 0);
  return {
    invoiced: n('invoiced'),
    paid: n('paid'),
    refunded: n('refunded'),
    shippingInvoiced: {
      amount: n('shipping_invoiced'),
      taxAmount: n('shipping_tax_invoiced'),
      discountAmount: n('shipping_discount_invoiced'),
    },
    shippingRefunded: n('shipping_refunded'),
  };
}

export interface ShipmentHistory {
  latestDelivery: Date | null;
  latestShipment: Date | null;
  /** Per line: units shipped and not taken back by a refund, per source, newest shipment first. */
  shippedByLine: Map<string, ShippedUnits[]>;
}

/** What left the warehouse for an order, and from where, less what refunds took back. */
export async function readShipmentHistory(em: EntityManager, orderId: string): Promise<ShipmentHistory> {
  const [times] = await em.execute<{ latest_delivery: Date | null; latest_shipment: Date | null }[]>(
    'select max(delivered_at) as latest_delivery, max(created_at) as latest_shipment from shipments where order_id = ?',
    [orderId],
  );
  const rows = await em.execute<{ line_id: string; source: string; qty: number }[]>(
    `with shipped as (
       select si.line_id, s.source_code as source, sum(si.qty)::int as qty, max(s.created_at) as last_at
       from shipment_items si join shipments s on s.id = si.shipment_id
       where s.order_id = ?
       group by si.line_id, s.source_code),
     returned as (
       select ri.line_id, f.source, sum(f.qty)::int as qty
       from refund_items ri join refunds r on r.id = ri.refund_id,
            jsonb_to_recordset(ri.from_shipped) as f(source text, qty int)
       where r.order_id = ?
       group by ri.line_id, f.source)
     select shipped.line_id, shipped.source, shipped.qty - coalesce(returned.qty, 0) as qty
     from shipped left join returned using (line_id, source)
     order by shipped.line_id, shipped.last_at desc, shipped.source`,
    [orderId, orderId],
  );
  const shippedByLine = new Map<string, ShippedUnits[]>();
  for (const row of rows) {
    if (row.qty <= 0) continue;
    shippedByLine.set(row.line_id, [...(shippedByLine.get(row.line_id) ?? []), { source: row.source, qty: row.qty }]);
  }
  const asDate = (value: Date | string | null | undefined) => (value ? new Date(value) : null);
  return {
    latestDelivery: asDate(times?.latest_delivery),
    latestShipment: asDate(times?.latest_shipment),
    shippedByLine,
  };
}
