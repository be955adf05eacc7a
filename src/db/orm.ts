import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { entities } from './entities/all.js';
import { Migration20261126000000_initial } from './migrations/Migration20261126000000_initial.js';
import { Migration20261126010000_documents } from './migrations/Migration20261126010000_documents.js';
import { Migration20261126020000_operations } from './migrations/Migration20261126020000_operations.js';
import { Migration20261126030000_effects } from './migrations/Migration20261126030000_effects.js';
import { Migration20261201000000_effect_ledger } from './migrations/Migration20261201000000_effect_ledger.js';
import { Migration20261201010000_order_owner } from './migrations/Migration20261201010000_order_owner.js';
import { Migration20261201020000_immediate_keys } from './migrations/Migration20261201020000_immediate_keys.js';
import { Migration20261202000000_order_lookup } from './migrations/Migration20261202000000_order_lookup.js';
import { Migration20261202010000_returns } from './migrations/Migration20261202010000_returns.js';

/** Migrations are listed statically: file discovery of .ts does not work under every runner. */
export const migrationsList = [
  { name: 'Migration20261126000000_initial', class: Migration20261126000000_initial },
  { name: 'Migration20261126010000_documents', class: Migration20261126010000_documents },
  { name: 'Migration20261126020000_operations', class: Migration20261126020000_operations },
  { name: 'Migration20261126030000_effects', class: Migration20261126030000_effects },
  { name: 'Migration20261201000000_effect_ledger', class: Migration20261201000000_effect_ledger },
  { name: 'Migration20261201010000_order_owner', class: Migration20261201010000_order_owner },
  { name: 'Migration20261201020000_immediate_keys', class: Migration20261201020000_immediate_keys },
  { name: 'Migration20261202000000_order_lookup', class: Migration20261202000000_order_lookup },
  { name: 'Migration20261202010000_returns', class: Migration20261202010000_returns },
];

export function ormOptions(databaseUrl: string, poolMax: number): Options {
  return {
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    pool: { min: 0, max: poolMax },
    discovery: { warnWhenNoEntities: true },
    allowGlobalContext: false,
    forceUtcTimezone: true,
    debug: false,
  };
}

export async function openOrm(databaseUrl: string, poolMax: number): Promise<MikroORM> {
  return MikroORM.init(ormOptions(databaseUrl, poolMax));
}

/** Creates the database named in the URL when it does not exist yet (connecting to the `postgres` database). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`create database ${pg.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
      if (error.code !== '42P04') throw error; // created meanwhile by another process
    });
    return true;
  } finally {
    await client.end();
  }
}

const MIGRATION_LOCK = 727_001;

/**
 * Applies pending migrations. Processes starting together (API and workers) take turns on an advisory lock held
 * by a connection of its own, so each migration runs once.
 */
export async function migrate(orm: MikroORM, databaseUrl: string): Promise<string[]> {
  const lock = new pg.Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await orm.getMigrator().up();
    return applied.map((m) => m.name);
  } finally {
    await lock.end();
  }
}

/** Names of migrations the code knows but the database has not applied. */
export async function pendingMigrations(orm: MikroORM): Promise<string[]> {
  return (await orm.getMigrator().getPendingMigrations()).map((m) => m.name);
}
