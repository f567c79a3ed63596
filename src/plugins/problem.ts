import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, type FieldError } from '../lib/errors.js';

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export function sendProblem(reply: FastifyReply, status: number, code: string, detail: string, errors?: FieldError[]) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: `https://wageguard.cn/problems/${code}`, title: TITLES[status] ?? 'Error', status, detail, code, ...(errors ? { errors } : {}) });
}

/** AJV instancePath `/lines/0/netFen` → `lines[0].netFen`, prefixed by where it came from. */
function ajvPath(e: { instancePath?: string; params?: Record<string, unknown> }, context?: string): string {
  let p = (e.instancePath ?? '').split('/').filter(Boolean).map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('');
  const missing = e.params?.missingProperty ?? e.params?.additionalProperty;
  if (typeof missing === 'string') p += `.${missing}`;
  const root = context === 'querystring' ? 'query' : context ?? 'body';
  return (root + p).replace(/^\./, '');
}

const OUTAGE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300']);

/** Pool exhaustion, a connection refused or a server shutting down: answer 503 + Retry-After. */
function isDependencyOutage(err: unknown): boolean {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  for (const x of [e, e.cause]) {
    if (!x) continue;
    if (x.code && OUTAGE_CODES.has(x.code)) return true;
    if (x.message && /timeout exceeded when trying to connect|Connection terminated|Connection is closed/i.test(x.message)) return true;
  }
  return false;
}

/** One error handler for the whole app: RFC 9457 problem+json, 5xx never leaks internals. */
export const problemPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError & { validationContext?: string }, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) {
      // An error that knows when to come back (sign-in limits) says so.
      const wait = (err as { retryAfterSec?: unknown }).retryAfterSec;
      if (typeof wait === 'number') reply.header('retry-after', String(wait));
      return sendProblem(reply, err.status, err.code, err.message, err.errors);
    }
    if (err.validation) {
      const errors = err.validation.map((v) => ({ path: ajvPath(v as never, err.validationContext), message: v.message ?? 'invalid' }));
      return sendProblem(reply, 400, 'validation', 'The request is not valid', errors);
    }
    if (isDependencyOutage(err)) {
      // Database or Redis saturated/away: a retryable condition, not a bug.
      reply.header('retry-after', '2');
      return sendProblem(reply, 503, 'unavailable', 'A dependency is temporarily unavailable; retry shortly');
    }
    const status = err.statusCode ?? 500;
    if (status === 413) return sendProblem(reply, 413, 'body_too_large', 'The request body is larger than allowed');
    if (status === 429) return sendProblem(reply, 429, 'rate_limited', err.message);
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (bad JSON, unsupported media type…) are safe to describe.
      return sendProblem(reply, status, (err.code ?? 'client_error').toLowerCase(), err.message);
    }
    req.log.error({ err }, 'unhandled error');
    return sendProblem(reply, 500, 'internal', 'An internal error occurred; it has been logged');
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, 404, 'not_found', `No route ${req.method} ${req.url.split('?')[0]}`));
}, { name: 'problem' });
