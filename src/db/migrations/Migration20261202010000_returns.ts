import { Migration } from '@mikro-orm/migrations';

/**
 * Returns (RMA, SPEC §3.9): what a customer asks to send back, why, and what arrived in which condition; the
 * credit memo of a return and the return point at each other. The return slip is a PDF like the others.
 */
export class Migration20261202010000_returns extends Migration {
  override up(): void {
    this.addSql(`
      create table returns (
        id uuid primary key,
        order_id uuid not null references orders (id),
        number text not null unique,
        state text not null check (state in ('requested', 'approved', 'rejected', 'canceled', 'received', 'refunded')),
        note text,
        decision_reason text,
        source_code text references inventory_sources (code),
        refund_id uuid,
        requested_by text not null,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        received_at timestamptz
      )`);
    this.addSql('create index returns_order on returns (order_id, created_at)');
    this.addSql(`
      create table return_items (
        return_id uuid not null references returns (id),
        line_id uuid not null references order_lines (id),
        qty integer not null check (qty > 0),
        reason text not null check (reason in ('did_not_fit', 'damaged', 'wrong_item', 'not_as_described', 'changed_mind', 'other')),
        note text,
        qty_resellable integer not null default 0 check (qty_resellable >= 0),
        qty_damaged integer not null default 0 check (qty_damaged >= 0),
        check (qty_resellable + qty_damaged <= qty),
        primary key (return_id, line_id)
      )`);
    this.addSql('alter table refunds add column return_id uuid references returns (id)');
    this.addSql('alter table returns add constraint returns_refund_id_fkey foreign key (refund_id) references refunds (id)');
    this.addSql('create unique index refunds_return on refunds (return_id) where return_id is not null');
    this.addSql('alter table pdf_documents drop constraint pdf_documents_kind_check');
    this.addSql(`alter table pdf_documents add constraint pdf_documents_kind_check check (kind in ('invoice', 'refund', 'return'))`);
  }
}
