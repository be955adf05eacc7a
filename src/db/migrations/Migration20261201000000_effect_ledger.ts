import { Migration } from '@mikro-orm/migrations';

/**
 * The outbox becomes the ledger of work after commit: a row stays open until its effect happened (or failed for
 * good), whatever Redis lost in between. `due_at` is when the relay next makes sure a job exists for an open row.
 *
 * Rows the old relay had handed to Redis are taken as done (that was their meaning); rows never handed over stay
 * open. Webhook events waiting to be fanned out become one delivery per live subscription that wants them, as the
 * action's transaction now writes them, and every pending delivery gets an open row of its own. PDFs are rendered
 * when first asked for, so their rendering jobs are gone.
 */
export class Migration20261201000000_effect_ledger extends Migration {
  override up(): void {
    this.addSql(`alter table outbox add column due_at timestamptz not null default now(),
      add column done_at timestamptz,
      add column outcome text check (outcome in ('done', 'failed')),
      add check ((done_at is null) = (outcome is null))`);
    this.addSql(`update outbox set done_at = enqueued_at, outcome = 'done' where enqueued_at is not null`);
    this.addSql(`update outbox set done_at = now(), outcome = 'done' where name = 'pdf.render' and done_at is null`);
    this.addSql(`
      insert into webhook_deliveries (id, subscription_id, event_id, event_type, order_id, payload, status, created_at, updated_at)
      select gen_random_uuid(), s.id, (e.payload->>'id')::uuid, e.payload->>'type',
             (select id from orders where id = (e.payload->>'orderId')::uuid),
             jsonb_build_object('id', e.payload->'id', 'type', e.payload->'type', 'createdAt', e.payload->'occurredAt',
                                'orderId', e.payload->'orderId', 'data', e.payload->'data'),
             'pending', now(), now()
      from outbox e join webhook_subscriptions s
        on s.deleted_at is null and (s.event_types ? (e.payload->>'type') or s.event_types ? '*')
      where e.name = 'webhook.publish' and e.done_at is null
      on conflict (subscription_id, event_id) do nothing`);
    // Deliveries went to Redis directly until now: every pending one gets its open row.
    this.addSql(`
      insert into outbox (id, queue, name, payload, created_at, due_at)
      select gen_random_uuid(), 'webhooks', 'webhook.deliver', jsonb_build_object('deliveryId', d.id), now(), now()
      from webhook_deliveries d where d.status = 'pending'`);
    this.addSql(`update outbox set done_at = now(), outcome = 'done' where name = 'webhook.publish' and done_at is null`);
    // Like an e-mail, a delivery is claimed while a job sends it (src/effects/claims.ts).
    this.addSql('alter table webhook_deliveries add column claimed_at timestamptz');
    this.addSql('drop index outbox_unsent');
    this.addSql('alter table outbox drop column enqueued_at');
    this.addSql('create index outbox_open on outbox (due_at) where done_at is null');
    this.addSql('create index outbox_done on outbox (done_at) where done_at is not null');
  }
}
