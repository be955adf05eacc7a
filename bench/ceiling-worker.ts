/**
 * The pipeline ceiling: a bare BullMQ worker whose every job runs one PostgreSQL transaction of three inserts, the
 * least an action does (its document, its history, its outcome). orderflow's workers are measured against it.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';

const { DATABASE_URL, REDIS_URL, CONCURRENCY = '8', QUEUE_PREFIX = '{ceiling}', DB_POOL_MAX = '10' } = process.env;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: Number(DB_POOL_MAX) });
await pool.query('create table if not exists ceiling_rows (id bigint generated always as identity primary key, job text not null, n int not null)');
const worker = new Worker(
  'ceiling-pipeline',
  async (job) => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      for (let n = 0; n < 3; n++) await client.query('insert into ceiling_rows (job, n) values ($1, $2)', [job.id, n]);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
  },
  {
    connection: new Redis(REDIS_URL!, { maxRetriesPerRequest: null }),
    prefix: QUEUE_PREFIX,
    concurrency: Number(CONCURRENCY),
    removeOnComplete: { count: 0 },
  },
);
worker.on('error', (error) => console.error(error));
console.log('ready');
