import Fastify, { type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Deps } from './deps.js';
import { newId } from './lib/ids.js';
import { authPlugin } from './modules/auth/auth.plugin.js';
import { MODULE_ROUTES } from './modules/index.js';
import { closedProjectGuard } from './modules/lifecycle/life-guard.js';
import { SHARED_SCHEMAS } from './modules/platform/common.schemas.js';
import { healthRoutes } from './plugins/health.js';
import AjvCompiler from '@fastify/ajv-compiler';
import { exactNumbersPlugin } from './plugins/exact-numbers.js';
import { idempotencyPlugin } from './plugins/idempotency.js';
import { metricsPlugin } from './plugins/metrics.js';
import { livenessMetrics } from './modules/liveness/liveness.metrics.js';
import { problemPlugin } from './plugins/problem.js';

/** Paths pino must never print in clear: PII and secrets, wherever they appear in a logged object. */
export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers["webhook-signature"]',
  '*.idNumber', '*.bankCardNumber', '*.phone', '*.cardNumber', '*.contactPhone', '*.creditorCardNumber',
  '*.*.idNumber', '*.*.bankCardNumber', '*.*.phone', '*.*.cardNumber', 'body', 'key', 'webhookSecret', 'secret',
];

export interface BuildOptions {
  logger?: boolean | object;
  /** A ready pino instance (the process logger) instead of logger options. */
  loggerInstance?: import('fastify').FastifyBaseLogger;
}

/** One pool of compiled validators per process (compiling is the expensive part of building an app). */
const ajvPool = AjvCompiler();

export async function buildApp(deps: Deps, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    ...(opts.loggerInstance
      ? { loggerInstance: opts.loggerInstance }
      : { logger: opts.logger ?? { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } } }),
    bodyLimit: config.bodyLimitBytes,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && /^[\w-]{1,64}$/.test(h) ? h : newId();
    },
    requestIdHeader: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true }, plugins: [] },
    // Query strings, path parameters and headers are text and are coerced to their schema types.
    // Bodies are JSON and are taken as typed: coercion turned `"netFen": null` into a 0-fen wage line
    // and `"daysPresent": null` into 0 days, silently. A body field of the wrong type is a 400.
    schemaController: {
      compilersFactory: {
        buildValidator: ((externalSchemas, ajv) => {
          const coercing = ajvPool(externalSchemas, ajv);
          // Never JTD here (no `mode` is configured): the options are Ajv's.
          const strict = ajvPool(externalSchemas, { plugins: ajv?.plugins, customOptions: { ...(ajv?.customOptions as AjvCompiler.Options), coerceTypes: false } });
          return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route));
        }) satisfies AjvCompiler.BuildCompilerFromPool,
      },
    },
    routerOptions: { maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  for (const s of SHARED_SCHEMAS) app.addSchema(s);

  await app.register(problemPlugin);
  await app.register(helmet, {
    // Swagger UI and the console need inline styles; everything else stays locked down.
    contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'], scriptSrc: ["'self'"] } },
  });
  await app.register(rateLimit, {
    max: config.rateLimitPerMinute,
    timeWindow: '1 minute',
    // The resolved principal (auth's onRequest hook runs first), or the IP when there is none: a junk
    // Authorization header resolves to nobody and counts against its IP, so a fresh one per request
    // escapes nothing. Anonymous calls to protected routes are counted too (auth's 401 check runs
    // after this limiter, see auth.plugin.ts).
    keyGenerator: (req) => (req.principal ? 'p:' + req.principal.id : 'ip:' + req.ip),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'WageGuard API', version: '1.0.0', description: 'Wage-payment escrow and real-name payroll for construction work. Money is integer fen.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key' } } },
      security: [{ bearer: [] }],
      tags: [
        { name: 'ops' }, { name: 'auth' }, { name: 'audit' }, { name: 'registry' }, { name: 'roster' }, { name: 'escrow' },
        { name: 'payroll' }, { name: 'bank' }, { name: 'reconciliation' }, { name: 'enforcement' }, { name: 'credit' }, { name: 'alerts' }, { name: 'lifecycle' }, { name: 'reports' }, { name: 'workers' }, { name: 'complaints' },
      ],
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(metricsPlugin);
  await app.register(livenessMetrics, { deps });
  await app.register(exactNumbersPlugin);
  await app.register(authPlugin, { deps });
  await app.register(idempotencyPlugin, { deps });
  await app.register(closedProjectGuard, { deps });

  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes, { deps });
  for (const routes of MODULE_ROUTES) await app.register(routes, { deps });
  return app;
}
