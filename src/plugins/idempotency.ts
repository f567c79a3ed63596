import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sql } from 'drizzle-orm';
import type { Deps } from '../deps.js';
import { sha256Hex } from '../lib/crypto.js';
import { isDigestible } from '../lib/spool.js';
import { canonical } from '../modules/audit/audit.service.js';
import { sendProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { principal: string; key: string } | null;
  }
  interface FastifyContextConfig {
    /** The route answers with a secret shown once (API key, webhook secret): store a marker, never the body. */
    secretResponse?: boolean;
  }
}

const WAIT_MS = 15_000;
// A holder that died mid-request leaves a `running` row; after this it may be taken over.
const STALE_MS = 60_000;

async function bodyHash(req: FastifyRequest): Promise<string> {
  const b = req.body;
  // An upload streamed to its handler hashes its bytes (spooled first); before, every file hashed alike.
  const text = isDigestible(b) ? `stream:${await b.digest()}` : typeof b === 'string' ? b : Buffer.isBuffer(b) ? b.toString('base64') : canonical(b ?? null);
  return sha256Hex(`${req.method} ${req.url}\n${text}`);
}

/**
 * Secrets a response may carry: `whsec_…` webhook/subscription secrets and `wg_<role>_…` API keys. A route may
 * also declare `config: { secretResponse: true }`; the scan is the safety net for one that forgets.
 */
const SECRET = /"(whsec_[A-Za-z0-9+/=]{8,}|wg_[a-z]+_[A-Za-z0-9_-]{16,})"/g;
const SHOWN_ONCE = '[shown once, not stored]';
export const holdsSecret = (body: string): boolean => body.search(SECRET) >= 0;
export const withoutSecrets = (body: string): string => body.replace(SECRET, JSON.stringify(SHOWN_ONCE));

/**
 * Stripe semantics on every POST carrying `Idempotency-Key`: the first request runs and its response
 * is stored; a repeat with the same body gets the stored response; a different body → 409;
 * concurrent requests with one key run once (the others wait for the stored response).
 * What is stored is not a vault: a response holding a secret is kept as a marker (the body with the secret
 * blanked) and its replay answers 409 "the secret was shown once"; records expire after IDEMPOTENCY_TTL_HOURS
 * (purged by the maintenance job); anonymous callers (signed bank webhooks, deduplicated by webhook-id) get none.
 */
export const idempotencyPlugin = fp(async (app: FastifyInstance, opts: { deps: Deps }) => {
  const { db } = opts.deps;
  const ttlSecs = opts.deps.config.idempotencyTtlHours * 3600;
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== 'POST') return;
    const key = req.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
      return sendProblem(reply, 400, 'validation', 'Idempotency-Key must be 1–255 characters', [{ path: 'headers.idempotency-key', message: 'must be 1–255 characters' }]);
    }
    // No records for anonymous callers: nobody could tell their keys apart, and anyone could fill the table.
    if (!req.principal) return;
    const principal = req.principal.id;
    const hash = await bodyHash(req);
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const ins = (await db.execute(sql`
        INSERT INTO idempotency_keys (principal, key, method, path, request_hash, state)
        VALUES (${principal}, ${key}, ${req.method}, ${req.url}, ${hash}, 'running')
        ON CONFLICT (principal, key) DO UPDATE SET state = 'running', request_hash = EXCLUDED.request_hash, created_at = now(),
            method = EXCLUDED.method, path = EXCLUDED.path, response_status = NULL, response_body = NULL, response_type = NULL, secret_withheld = false
          WHERE (idempotency_keys.state = 'running' AND idempotency_keys.created_at < now() - make_interval(secs => ${STALE_MS / 1000}))
            -- expired but not yet purged: the key is free again
            OR idempotency_keys.created_at < now() - make_interval(secs => ${ttlSecs})
        RETURNING key`)) as unknown as { rows: unknown[] };
      if (ins.rows.length > 0) {
        req.idempotency = { principal, key };
        return;
      }
      const r = (await db.execute(sql`
        SELECT request_hash, state, response_status, response_body, response_type, secret_withheld FROM idempotency_keys
        WHERE principal = ${principal} AND key = ${key}`)) as unknown as {
        rows: { request_hash: string; state: string; response_status: number; response_body: string | null; response_type: string | null; secret_withheld: boolean }[];
      };
      const row = r.rows[0];
      if (!row) continue; // released after a 5xx: try to claim it again
      if (row.request_hash !== hash) {
        return sendProblem(reply, 409, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request', [{ path: 'headers.idempotency-key', message: 'already used with a different body' }]);
      }
      if (row.state === 'done' && row.secret_withheld) {
        reply.header('idempotent-replayed', 'true');
        // Sent as text: the routes' problem schema would drop the extra members.
        return reply.code(409).type('application/problem+json').send(JSON.stringify({
          type: 'https://wageguard.cn/problems/idempotency_secret_shown_once', title: 'Conflict', status: 409, code: 'idempotency_secret_shown_once',
          detail: `The secret was shown once: the original request succeeded (${row.response_status}) and its response held a secret, which is not stored. Look the resource up, or rotate or reissue the secret.`,
          originalStatus: row.response_status,
          // The original response with the secret blanked, so the caller still learns the resource's id.
          original: row.response_body ? (JSON.parse(row.response_body) as unknown) : null,
          errors: [{ path: 'headers.idempotency-key', message: 'the secret was shown once' }],
        }));
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
    const scanned = holdsSecret(body);
    const secret = scanned || req.routeOptions.config.secretResponse === true;
    const stored = !secret ? body : scanned && reply.statusCode < 300 && /json/.test(String(type)) ? withoutSecrets(body) : null;
    await db.execute(sql`
      UPDATE idempotency_keys SET state = 'done', response_status = ${reply.statusCode}, response_body = ${stored},
        response_type = ${typeof type === 'string' ? type : null}, secret_withheld = ${secret}
      WHERE principal = ${idem.principal} AND key = ${idem.key}`);
    return payload;
  });
}, { name: 'idempotency', dependencies: ['auth'] });
