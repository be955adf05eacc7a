import { Migration } from '@mikro-orm/migrations';

/** What happens after commit: rendered PDFs, e-mails, webhook subscriptions and deliveries, invoice reminders. */
export class Migration20261126030000_effects extends Migration {
  override up(): void {
    this.addSql(`
      create table pdf_documents (
        document_id uuid primary key,
        kind text not null check (kind in ('invoice', 'refund')),
        file_name text not null,
        content bytea not null,
        rendered_at timestamptz not null
      )`);

    this.addSql(`
      create table emails (
        id uuid primary key,
        event_id uuid not null,
        order_id uuid not null references orders (id),
        kind text not null,
        recipient text not null,
        subject text not null,
        status text not null check (status in ('pending', 'sending', 'sent', 'logged', 'failed')),
        attempts integer not null default 0,
        claimed_at timestamptz,
        provider_id text,
        last_error text,
        created_at timestamptz not null,
        sent_at timestamptz,
        unique (event_id, kind)
      )`);
    this.addSql('create index emails_order on emails (order_id, created_at)');

    this.addSql(`
      create table webhook_subscriptions (
        id uuid primary key,
        url text not null,
        secret text not null,
        event_types jsonb not null,
        created_at timestamptz not null,
        deleted_at timestamptz
      )`);
    this.addSql(`
      create table webhook_deliveries (
        id uuid primary key,
        subscription_id uuid not null references webhook_subscriptions (id),
        event_id uuid not null,
        event_type text not null,
        order_id uuid references orders (id),
        payload jsonb not null,
        status text not null check (status in ('pending', 'delivered', 'failed')),
        attempts integer not null default 0,
        response_status integer,
        response_excerpt text,
        duration_ms integer,
        last_error text,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        delivered_at timestamptz,
        unique (subscription_id, event_id)
      )`);
    this.addSql('create index webhook_deliveries_subscription on webhook_deliveries (subscription_id, created_at desc)');

    this.addSql('alter table invoices add column reminders_sent integer not null default 0');
    this.addSql('alter table invoices add column last_reminder_at timestamptz');
    this.addSql(`create index invoices_unpaid on invoices (due_at) where state in ('pending', 'overdue')`);
  }
}
