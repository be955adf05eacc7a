import { Migration } from '@mikro-orm/migrations';

/**
 * Foreign keys checked at the end of each statement instead of at commit. They were deferred because the unit of
 * work could insert a child before its parent within one flush; the action pipeline now writes an action's rows in
 * one statement, where parents and children are checked together, and a key checked at commit ran as a statement of
 * its own.
 */
const DEFERRED = [
  ['order_events', 'order_events_order_id_fkey'],
  ['reservations', 'reservations_line_id_fkey'],
  ['reservations', 'reservations_order_id_fkey'],
  ['invoice_items', 'invoice_items_invoice_id_fkey'],
  ['payments', 'payments_invoice_id_fkey'],
  ['shipment_items', 'shipment_items_shipment_id_fkey'],
  ['refund_items', 'refund_items_refund_id_fkey'],
] as const;

export class Migration20261201020000_immediate_keys extends Migration {
  override up(): void {
    for (const [table, constraint] of DEFERRED) this.addSql(`alter table ${table} alter constraint ${constraint} not deferrable`);
  }
}
