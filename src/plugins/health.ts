import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../deps.js';

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error('timeout')), ms))]);

/** Liveness never touches dependencies; readiness checks Postgres and Redis with short timeouts. */
export async function healthRoutes(app: FastifyInstance, opts: { deps: Deps }) {
  const { pool, redis } = opts.deps;
  const Check = Type.Object({ status: Type.String(), checks: Type.Optional(Type.Record(Type.String(), Type.String())) });
  app.get('/healthz', { schema: { operationId: 'healthz', tags: ['ops'], summary: 'Liveness', response: { 200: Check } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', {
    schema: { operationId: 'readyz', tags: ['ops'], summary: 'Readiness: Postgres and Redis reachable', response: { 200: Check, 503: Check } },
  }, async (_req, reply) => {
    const [pg, rd] = await Promise.allSettled([withTimeout(pool.query('SELECT 1'), 2_000), withTimeout(redis.ping(), 2_000)]);
    const checks = { postgres: pg.status === 'fulfilled' ? 'ok' : 'down', redis: rd.status === 'fulfilled' ? 'ok' : 'down' };
    const ok = checks.postgres === 'ok' && checks.redis === 'ok';
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
  });
}
