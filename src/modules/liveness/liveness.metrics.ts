import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import type { Deps } from '../../deps.js';
import { deadJobCounts } from './liveness.service.js';

/**
 * /metrics figures for jobs that failed for good, read from `dead_jobs` at scrape time:
 * - `wageguard_jobs_failed_for_good_total{queue}`: failures ever recorded (only grows);
 * - `wageguard_jobs_failed_for_good_open{queue}`: jobs not yet completed by a retry (alert on > 0).
 */
export const livenessMetrics = fp(async (app: FastifyInstance, { deps }: { deps: Pick<Deps, 'db'> }) => {
  let cached: Promise<Awaited<ReturnType<typeof deadJobCounts>>> | null = null;
  // Both gauges are collected in one scrape: share one query.
  const counts = () => (cached ??= deadJobCounts(deps).catch(() => []).finally(() => setTimeout(() => { cached = null; }, 0)));
  new Gauge({
    name: 'wageguard_jobs_failed_for_good_total', help: 'Jobs BullMQ failed for good (recorded by the liveness loop), by queue',
    labelNames: ['queue'], registers: [app.metricsRegistry],
    async collect() {
      this.reset();
      for (const c of await counts()) this.set({ queue: c.queue }, c.failures);
    },
  });
  new Gauge({
    name: 'wageguard_jobs_failed_for_good_open', help: 'Jobs failed for good and not yet completed by a retry, by queue',
    labelNames: ['queue'], registers: [app.metricsRegistry],
    async collect() {
      this.reset();
      for (const c of await counts()) this.set({ queue: c.queue }, c.open);
    },
  });
}, { name: 'liveness-metrics', dependencies: ['metrics'] });
