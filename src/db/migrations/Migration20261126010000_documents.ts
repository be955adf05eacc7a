import { Migration } from '@mikro-orm/migrations';

/** Invoices and their payments, shipments, refunds (credit memos): the documents of an order. */
export class Migration20261126010000_documents extends Migration {
  override up(): void {
    this.addSql(`
      create table invoices (
        id uuid primary key,
        order_id uuid not null references orders (id),
        number text not null unique,
        state text not null check (state in ('pending', 'overdue', 'paid')),
        due_at timestamptz,
        sub_total bigint not null check (sub_total >= 0),
        shipping_amount bigint not null check (shipping_amount >= 0),
        shipping_tax bigint not null check (shipping_tax >= 0),
        shipping_discount bigint not null check (shipping_discount >= 0),
        tax bigint not null check (tax >= 0),
        discount bigint not null check (discount >= 0),
        grand_total bigint not null check (grand_total >= 0),
        paid_amount bigint not null check (paid_amount >= 0 and paid_amount <= grand_total),
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql('create index invoices_order on invoices (order_id, created_at)');
    this.addSql(`
      create table invoice_items (
        invoice_id uuid not null references invoices (id) deferrable initially deferred,
        line_id uuid not null references order_lines (id),
        qty integer not null check (qty > 0),
        unit_price bigint not null,
        row_total bigint not null,
        tax_amount bigint not null,
        discount_amount bigint not null,
        primary key (invoice_id, line_id)
      )`);
    this.addSql(`
      create table payments (
        id uuid primary key,
        invoice_id uuid not null references invoices (id) deferrable initially deferred,
        order_id uuid not null references orders (id),
        amount bigint not null check (amount > 0),
        method text not null,
        reference text,
        created_at timestamptz not null
      )`);
    this.addSql('create index payments_invoice on payments (invoice_id)');
    this.addSql('create index payments_order on payments (order_id)');

    this.addSql(`
      create table shipments (
        id uuid primary key,
        order_id uuid not null references orders (id),
        number text not null unique,
        state text not null check (state in ('dispatched', 'delivered')),
        source_code text not null references inventory_sources (code),
        carrier_code text not null,
        carrier_title text not null,
        tracking_number text not null,
        delivered_at timestamptz,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql('create index shipments_order on shipments (order_id, created_at)');
    this.addSql(`
      create table shipment_items (
        shipment_id uuid not null references shipments (id) deferrable initially deferred,
        line_id uuid not null references order_lines (id),
        qty integer not null check (qty > 0),
        primary key (shipment_id, line_id)
      )`);

    this.addSql(`
      create table refunds (
        id uuid primary key,
        order_id uuid not null references orders (id),
        number text not null unique,
        sub_total bigint not null check (sub_total >= 0),
        shipping_amount bigint not null check (shipping_amount >= 0),
        shipping_tax bigint not null check (shipping_tax >= 0),
        tax bigint not null check (tax >= 0),
        discount bigint not null check (discount >= 0),
        adjustment_refund bigint not null check (adjustment_refund >= 0),
        adjustment_fee bigint not null check (adjustment_fee >= 0),
        grand_total bigint not null check (grand_total > 0),
        reason text,
        payment_status text not null check (payment_status in ('pending', 'succeeded', 'failed')),
        payment_reference text,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql('create index refunds_order on refunds (order_id, created_at)');
    this.addSql(`
      create table refund_items (
        refund_id uuid not null references refunds (id) deferrable initially deferred,
        line_id uuid not null references order_lines (id),
        qty integer not null check (qty > 0),
        return_to_stock boolean not null,
        from_unshipped integer not null check (from_unshipped >= 0 and from_unshipped <= qty),
        from_shipped jsonb not null default '[]',
        unit_price bigint not null,
        row_total bigint not null,
        tax_amount bigint not null,
        discount_amount bigint not null,
        primary key (refund_id, line_id)
      )`);
  }
}
