import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sql } from 'drizzle-orm';
import type { Deps } from '../deps.js';
import { sha256Hex } from '../lib/crypto.js';
import { canonical } from '../modules/audit/audit.service.js';
import { sendProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { principal: string; key: string } | null;
  }
}

const WAIT_MS = 15_000;
// A holder that died mid-request leaves a `running` row; after this it may be taken over.
const STALE_MS = 60_000;

function bodyHash(req: FastifyRequest): string {
  const b = req.body;
  const text = typeof b === 'string' ? b : Buffer.isBuffer(b) ? b.toString('base64') : canonical(b ?? null);
  return sha256Hex(`${req.method} ${req.url}\n${text}`);
}

/**
 * Stripe semantics on every POST carrying `Idempotency-Key`: the first request runs and its response
 * is stored; a repeat with the same body gets the stored response; a different body → 409;
 * concurrent requests with one key run once (the others wait for the stored response).
 */
export const idempotencyPlugin = fp(async (app: FastifyInstance, opts: { deps: Deps }) => {
  const { db } = opts.deps;
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== 'POST') return;
    const key = req.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
      return sendProblem(reply, 400, 'validation', 'Idempotency-Key must be 1–255 characters', [{ path: 'headers.idempotency-key', message: 'must be 1–255 characters' }]);
    }
    // Unauthenticated POSTs (signed bank webhooks) scope keys by route instead of by caller.
    const principal = req.principal?.id ?? `anon:${req.routeOptions.url}`;
    const hash = bodyHash(req);
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const ins = (await db.execute(sql`
        INSERT INTO idempotency_keys (principal, key, method, path, request_hash, state)
        VALUES (${principal}, ${key}, ${req.method}, ${req.url}, ${hash}, 'running')
        ON CONFLICT (principal, key) DO UPDATE SET state = 'running', request_hash = EXCLUDED.request_hash, created_at = now()
          WHERE idempotency_keys.state = 'running' AND idempotency_keys.created_at < now() - make_interval(secs => ${STALE_MS / 1000})
        RETURNING key`)) as unknown as { rows: unknown[] };
      if (ins.rows.length > 0) {
        req.idempotency = { principal, key };
        return;
      }
      const r = (await db.execute(sql`
        SELECT request_hash, state, response_status, response_body, response_type FROM idempotency_keys
        WHERE principal = ${principal} AND key = ${key}`)) as unknown as {
        rows: { request_hash: string; state: string; response_status: number; response_body: string; response_type: string | null }[];
      };
      const row = r.rows[0];
      if (!row) continue; // released after a 5xx: try to claim it again
      if (row.request_hash !== hash) {
        return sendProblem(reply, 409, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request', [{ path: 'headers.idempotency-key', message: 'already used with a different body' }]);
      }
      if (row.state === 'done') {
        reply.header('idempotent-replayed', 'true');
        if (row.response_type) reply.type(row.response_type);
        return reply.code(row.response_status).send(row.response_body);
      }
      if (Date.now() > deadline) {
        return sendProblem(reply, 409, 'idempotency_in_progress', 'A request with this Idempotency-Key is still being processed');
      }
      await new Promise((res) => setTimeout(res, 25));
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const idem = req.idempotency;
    if (!idem) return payload;
    req.idempotency = null;
    if (reply.statusCode >= 500) {
      // A server failure is not an answer: free the key so a retry can run.
      await db.execute(sql`DELETE FROM idempotency_keys WHERE principal = ${idem.principal} AND key = ${idem.key}`);
      return payload;
    }
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : payload == null ? '' : String(payload);
    const type = reply.getHeader('content-type');
    await db.execute(sql`
      UPDATE idempotency_keys SET state = 'done', response_status = ${reply.statusCode}, response_body = ${body},
        response_type = ${typeof type === 'string' ? type : null}
      WHERE principal = ${idem.principal} AND key = ${idem.key}`);
    return payload;
  });
}, { name: 'idempotency', dependencies: ['auth'] });
