import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openOrm } from '../../src/db/orm.js';

/** The server tests run against: TEST_DATABASE_SERVER or the local default. */
export const SERVER_URL = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';

export const databaseUrl = (name: string) => `${SERVER_URL}/${name}`;

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;

export async function createTemplateDatabase(): Promise<string> {
  const name = uniqueName('orderflow_tpl');
  await admin((client) => client.query(`create database ${name}`));
  const orm = await openOrm(databaseUrl(name), 2);
  try {
    await migrate(orm, databaseUrl(name));
  } finally {
    await orm.close();
  }
  return name;
}

/** A fresh, migrated database for one test file. */
export async function createTestDatabase(template: string): Promise<string> {
  const name = uniqueName('orderflow_test');
  for (let attempt = 1; ; attempt++) {
    try {
      await admin((client) => client.query(`create database ${name} template ${template}`));
      return name;
    } catch (error) {
      // Two files copying the template at the same instant can collide; the copy is retried.
      if (attempt >= 10 || !/being accessed by other users/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`drop database if exists ${name} with (force)`));
}
