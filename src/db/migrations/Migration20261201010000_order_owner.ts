import { Migration } from '@mikro-orm/migrations';

/**
 * Who placed an order: the name of the API key. A storefront key sees and acts on only the orders it placed (an
 * admin key on all), so the order carries its owner. Existing orders take the actor of their placement.
 */
export class Migration20261201010000_order_owner extends Migration {
  override up(): void {
    this.addSql('alter table orders add column placed_by text');
    this.addSql(`update orders o set placed_by = a.actor_name
      from actions a where a.order_id = o.id and a.type = 'order.place' and a.status = 'succeeded'`);
    this.addSql(`update orders set placed_by = 'unknown' where placed_by is null`);
    this.addSql('alter table orders alter column placed_by set not null');
  }
}
