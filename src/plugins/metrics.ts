import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { requireRole } from '../modules/auth/auth.plugin.js';

/** Prometheus metrics on a per-app registry (tests build many apps in one process). */
export const metricsPlugin = fp(async (app: FastifyInstance) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const http = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.decorate('metricsRegistry', registry);
  app.addHook('onResponse', async (req, reply) => {
    http.observe({ method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  // Admins only: route names, error rates and process figures tell an outsider what to attack and when.
  // (The auth plugin's onRequest hook is global, so the principal is resolved here too.)
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    requireRole(req, 'admin');
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}, { name: 'metrics' });

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
  }
}
