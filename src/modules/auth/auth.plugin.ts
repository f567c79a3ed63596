import { expandCountyScope } from '../../lib/divisions.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sql } from 'drizzle-orm';
import type { Deps } from '../../deps.js';
import { safeEqual, sha256Hex } from '../../lib/crypto.js';
import { ForbiddenError, UnauthorizedError } from '../../lib/errors.js';
import type { Principal, Role } from './auth.types.js';
import { CSRF_HEADER, readCookie, readSessionCookie, resolveSession } from '../console/session.service.js';
import { resolveWorkerSession, WORKER_COOKIE, WORKER_CSRF_HEADER, WORKER_TOKEN_PREFIX } from '../workers-door/worker-session.service.js';

const PUBLIC_V1 = [/^\/v1\/openapi\.json$/, /^\/v1\/webhooks\//, /^\/v1\/projects\/:id\/notice-board(\.html)?$/, ...WORKER_PUBLIC_V1()];

/** The worker door's public routes (#18): sign-in codes, complaint codes, project search, complaint intake. */
function WORKER_PUBLIC_V1(): RegExp[] {
  return [/^\/v1\/worker-auth\//, /^\/v1\/complaint-codes$/, /^\/v1\/projects\/search$/, /^\/v1\/complaints$/, /^\/v1\/me\/complaints$/];
}

const BOOTSTRAP: Omit<Principal, 'label'> = { id: 'bootstrap-admin', role: 'admin', companyId: null, bankId: null, countyCodes: [], industries: [] };

/** Resolves the Bearer key to a principal on every request; routes then call `requireRole`. */
export const authPlugin = fp(async (app: FastifyInstance, opts: { deps: Deps }) => {
  const { db, config } = opts.deps;
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const h = req.headers.authorization;
    if (!h || !h.startsWith('Bearer ')) return consoleSession(req);
    const key = h.slice(7).trim();
    if (!key || key.length > 200) return;
    if (key.startsWith(WORKER_TOKEN_PREFIX)) {
      req.principal = await resolveWorkerSession(db, key, opts.deps.now());
      return;
    }
    if (safeEqual(key, config.adminApiKey)) {
      req.principal = { ...BOOTSTRAP, label: 'bootstrap admin' };
      return;
    }
    const r = (await db.execute(sql`
      SELECT id, role, company_id, bank_id, county_codes, industries, label
      FROM api_keys WHERE key_hash = ${sha256Hex(key)} AND revoked_at IS NULL`)) as unknown as {
      rows: { id: string; role: Role; company_id: string | null; bank_id: string | null; county_codes: string[]; industries: string[]; label: string }[];
    };
    const k = r.rows[0];
    if (k) {
      req.principal = { id: k.id, role: k.role, companyId: k.company_id, bankId: k.bank_id, countyCodes: expandCountyScope(k.county_codes), industries: k.industries, label: k.label };
    }
  });

  // Authenticate before validating: an anonymous caller learns nothing about a route's body rules
  // (401, not 400). Public /v1 routes: the OpenAPI document, signed bank webhooks, notice boards.
  // A route-level hook, appended after the rate limiter's (registered earlier in app.ts): anonymous
  // and junk-key requests are counted against their IP before they are refused.
  const mustAuthenticate = async (req: FastifyRequest) => {
    if (!req.principal) throw new UnauthorizedError();
  };
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/') || PUBLIC_V1.some((re) => re.test(route.url))) return;
    const hooks = route.onRequest;
    route.onRequest = hooks === undefined ? [mustAuthenticate] : Array.isArray(hooks) ? [...hooks, mustAuthenticate] : [hooks, mustAuthenticate];
  });

  // Inspector console: a session cookie stands for the key it was created from (a Bearer key wins).
  // Cookies ride along on cross-site requests, so a state change must also echo the session's CSRF token.
  async function consoleSession(req: FastifyRequest) {
    const token = readSessionCookie(req.headers.cookie);
    if (!token) return workerCookie(req);
    const s = await resolveSession(db, token, config.adminApiKey, opts.deps.now());
    if (!s) return;
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !safeEqual(sent, s.csrfToken)) throw new ForbiddenError('Missing or invalid CSRF token');
    }
    req.principal = s.principal;
  }

  // The worker page (/w/): an HttpOnly, SameSite=Strict cookie; a state change must also carry a
  // custom header, which a cross-site form cannot send.
  async function workerCookie(req: FastifyRequest) {
    const token = readCookie(req.headers.cookie, WORKER_COOKIE);
    if (!token) return;
    const p = await resolveWorkerSession(db, token, opts.deps.now());
    if (!p) return;
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method) && req.headers[WORKER_CSRF_HEADER] !== '1') throw new ForbiddenError(`Missing ${WORKER_CSRF_HEADER} header`);
    req.principal = p;
  }
}, { name: 'auth' });

/** The one authorization helper: 401 without a valid key, 403 when the role may not act. */
export function requireRole(req: FastifyRequest, ...roles: Role[]): Principal {
  const p = req.principal;
  if (!p) throw new UnauthorizedError();
  if (roles.length > 0 && !roles.includes(p.role)) throw new ForbiddenError(`Role ${p.role} may not perform this action`);
  return p;
}
