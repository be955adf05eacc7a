import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus series of one process (API, workers, or both). */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  jobDuration: Histogram<'queue' | 'name' | 'outcome'>;
  actionsApplied: Counter<'type' | 'outcome'>;
  relayEnqueued: Counter<'kind'>;
  effects: Counter<'name' | 'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'orderflow_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'orderflow_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'orderflow_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30],
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'orderflow_job_duration_seconds',
      help: 'Time a worker spent on a job, by queue, job name (action type) and outcome',
      labelNames: ['queue', 'name', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    actionsApplied: new Counter({
      name: 'orderflow_actions_finished_total',
      help: 'Actions this process finished, by type and outcome (succeeded, rejected, failed)',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    }),
    relayEnqueued: new Counter({
      name: 'orderflow_relay_enqueued_total',
      help: 'Work the relay found in PostgreSQL and enqueued again, by kind (action, follow-up)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    effects: new Counter({
      name: 'orderflow_effects_total',
      help: 'Work after commit by job name (email.send, webhook.deliver, pdf.render, refund.payment, …) and outcome',
      labelNames: ['name', 'outcome'],
      registers: [registry],
    }),
  };
}

/** Gauges read at scrape time from the shared stores, so every process reports the same global figures. */
export function registerStoreGauges(
  metrics: Metrics,
  read: {
    jobCounts(): Promise<{ queue: string; state: string; count: number }[]>;
    actionCounts(): Promise<{ type: string; status: string; count: number }[]>;
  },
): void {
  new Gauge({
    name: 'orderflow_queue_jobs',
    help: 'Jobs per queue and state (waiting, active, delayed, failed, completed)',
    labelNames: ['queue', 'state'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const row of await read.jobCounts()) this.set({ queue: row.queue, state: row.state }, row.count);
    },
  });
  new Gauge({
    name: 'orderflow_actions_unfinished',
    help: 'Actions not yet applied, by type and status (queued, processing, failed)',
    labelNames: ['type', 'status'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const row of await read.actionCounts()) this.set({ type: row.type, status: row.status }, row.count);
    },
  });
}
