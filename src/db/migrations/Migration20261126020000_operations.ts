import { Migration } from '@mikro-orm/migrations';

/**
 * The request that recorded an action (its id follows the action into the worker's logs), and an index over every
 * unfinished status, including `failed`, for the relay and the metrics.
 */
export class Migration20261126020000_operations extends Migration {
  override up(): void {
    this.addSql('alter table actions add column request_id text');
    this.addSql('drop index actions_unfinished');
    this.addSql(`create index actions_unfinished on actions (updated_at)
      where status in ('queued', 'processing', 'failed')`);
  }
}
