/**
 * The intake ceiling: the least a durable intake can do per request on this machine — one INSERT into
 * PostgreSQL and one BullMQ add — behind a bare Fastify route. orderflow's intake is measured against it.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';

const { DATABASE_URL, REDIS_URL, PORT = '3100', QUEUE_PREFIX = '{ceiling}' } = process.env;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
await pool.query('create table if not exists ceiling_intake (id uuid primary key, body jsonb not null, created_at timestamptz not null default now())');
const queue = new Queue('ceiling', { connection: new Redis(REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }), prefix: QUEUE_PREFIX });
const app = Fastify();
app.post('/ceiling', async (request, reply) => {
  const id = randomUUID();
  await pool.query('insert into ceiling_intake (id, body) values ($1, $2)', [id, JSON.stringify(request.body)]);
  await queue.add('ceiling', { id }, { jobId: id, removeOnComplete: true });
  return reply.code(202).send({ id });
});
await app.listen({ port: Number(PORT), host: '127.0.0.1' });
console.log('ready');
