import { Migration } from '@mikro-orm/migrations';

/**
 * The action pipeline, orders and inventory. Money is bigint minor units; counters carry their bounds as checks.
 * Tables that refer to an order by a plain id column check that reference at commit (deferred), since the ORM
 * may insert them before the order within one flush.
 */
export class Migration20261126000000_initial extends Migration {
  override up(): void {
    this.addSql(`
      create table actions (
        id uuid primary key,
        seq bigint generated always as identity unique,
        type text not null,
        order_id uuid not null,
        payload jsonb not null,
        actor_name text not null,
        actor_role text not null,
        idempotency_key text,
        request_hash text not null,
        status text not null default 'queued'
          check (status in ('queued', 'processing', 'succeeded', 'rejected', 'failed')),
        result jsonb,
        error jsonb,
        attempts integer not null default 0,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        finished_at timestamptz
      )`);
    this.addSql(`create unique index actions_idempotency on actions (actor_name, idempotency_key)
      where idempotency_key is not null`);
    this.addSql('create index actions_order on actions (order_id, seq)');
    this.addSql(`create index actions_unfinished on actions (updated_at)
      where status in ('queued', 'processing')`);

    this.addSql(`
      create table orders (
        id uuid primary key,
        number text not null unique,
        external_id text,
        channel text not null,
        status text not null,
        currency char(3) not null,
        customer_email text not null,
        customer_first_name text not null,
        customer_last_name text not null,
        customer_id text,
        payment_method text not null,
        payment_captured boolean not null,
        shipping_method text not null,
        shipping_title text not null,
        shipping_amount bigint not null check (shipping_amount >= 0),
        shipping_tax bigint not null check (shipping_tax >= 0),
        shipping_discount bigint not null check (shipping_discount >= 0),
        sub_total bigint not null,
        tax bigint not null,
        discount bigint not null,
        grand_total bigint not null check (grand_total >= 0),
        held boolean not null default false,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql('create index orders_created on orders (created_at, id)');
    this.addSql('create index orders_status_created on orders (status, created_at, id)');
    this.addSql('create index orders_customer_email on orders (lower(customer_email), created_at, id)');

    this.addSql(`
      create table order_addresses (
        order_id uuid not null references orders (id),
        kind text not null check (kind in ('billing', 'shipping')),
        name text not null,
        company text,
        line1 text not null,
        line2 text,
        city text not null,
        region text,
        postcode text,
        country char(2) not null,
        phone text,
        primary key (order_id, kind)
      )`);

    this.addSql(`
      create table order_lines (
        id uuid primary key,
        order_id uuid not null references orders (id),
        position integer not null,
        sku text not null,
        name text not null,
        stockable boolean not null,
        unit_price bigint not null check (unit_price >= 0),
        tax_amount bigint not null check (tax_amount >= 0),
        discount_amount bigint not null check (discount_amount >= 0),
        qty_ordered integer not null check (qty_ordered > 0),
        qty_invoiced integer not null default 0 check (qty_invoiced >= 0),
        qty_shipped integer not null default 0 check (qty_shipped >= 0),
        qty_refunded integer not null default 0 check (qty_refunded >= 0),
        qty_canceled integer not null default 0 check (qty_canceled >= 0),
        unique (order_id, position),
        check (qty_invoiced + qty_canceled <= qty_ordered),
        check (qty_shipped + qty_canceled <= qty_ordered),
        check (qty_refunded <= qty_invoiced)
      )`);

    this.addSql(`
      create table order_events (
        id bigint generated always as identity primary key,
        order_id uuid not null references orders (id) deferrable initially deferred,
        type text not null,
        actor text not null,
        action_id uuid,
        data jsonb not null default '{}',
        created_at timestamptz not null default now()
      )`);
    this.addSql('create index order_events_order on order_events (order_id, id)');
    this.addSql(`
      create function order_events_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'order history is append-only';
      end $$`);
    this.addSql(`create trigger order_events_append_only before update or delete on order_events
      for each row execute function order_events_append_only()`);

    this.addSql(`
      create table outbox (
        id uuid primary key,
        queue text not null,
        name text not null,
        payload jsonb not null,
        created_at timestamptz not null default now(),
        enqueued_at timestamptz
      )`);
    this.addSql('create index outbox_unsent on outbox (created_at) where enqueued_at is null');

    this.addSql(`
      create table sequences (
        name text primary key,
        value bigint not null
      )`);

    this.addSql(`
      create table inventory_sources (
        code text primary key,
        name text not null,
        contact_email text,
        active boolean not null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql(`
      create table inventory_items (
        sku text primary key,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql(`
      create table stock (
        sku text not null references inventory_items (sku),
        source_code text not null references inventory_sources (code),
        on_hand integer not null check (on_hand >= 0),
        primary key (sku, source_code)
      )`);
    this.addSql(`
      create table reservations (
        line_id uuid primary key references order_lines (id) deferrable initially deferred,
        order_id uuid not null references orders (id) deferrable initially deferred,
        sku text not null references inventory_items (sku),
        qty integer not null check (qty >= 0)
      )`);
    this.addSql('create index reservations_sku on reservations (sku) where qty > 0');
  }
}
