import { Migration } from '@mikro-orm/migrations';

/**
 * Finding an order by the storefront's id (GET /v1/orders?externalId= or ?q=): without an index that lookup scans
 * every order. Number and e-mail are indexed already.
 */
export class Migration20261202000000_order_lookup extends Migration {
  override up(): void {
    this.addSql('create index orders_external_id on orders (external_id) where external_id is not null');
  }
}
