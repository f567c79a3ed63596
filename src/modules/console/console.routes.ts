import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sha256Hex } from '../../lib/crypto.js';
import { appendAudit } from '../audit/audit.service.js';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../lib/errors.js';
import { requireRole } from '../auth/auth.plugin.js';
import { projectScope } from '../auth/scope.js';
import { problems, Str } from '../platform/common.schemas.js';
import { consoleAssets } from './console.assets.js';
import consoleDataRoutes from './console-data.routes.js';
import { countyName } from '../../lib/county-names.js';
import {
  CONSOLE_ROLES, createSession, deleteSession, principalForKey, readSessionCookie, resolveSession, SESSION_TTL_MS, sessionCookie,
} from './session.service.js';

const SessionView = Type.Object({
  role: Type.String({ maxLength: 20 }),
  label: Type.String({ maxLength: 200 }),
  countyCodes: Type.Array(Type.String({ maxLength: 6 }), { maxItems: 500 }),
  countyNames: Type.Optional(Type.Record(Type.String(), Type.Object({ zh: Type.String(), en: Type.String() }), { description: 'Names of countyCodes, for the pages' })),
  csrfToken: Type.String({ maxLength: 64, description: 'Echo in the x-csrf-token header of every state-changing request' }),
  expiresAt: Type.Optional(Type.String({ maxLength: 30 })),
}, { additionalProperties: false });
const namesOf = (codes: string[]) => Object.fromEntries(codes.map((c) => [c, { zh: countyName(c, 'zh'), en: countyName(c, 'en') }]));
const SignIn = Type.Object({ apiKey: Str(200, 'An inspector or admin API key') }, { additionalProperties: false });
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The pages are not part of the public API contract: hidden from the OpenAPI document. */
const hidden = { hide: true, tags: ['console'] };

/**
 * The inspector console: one HTML shell (the client routes /console/…), hashed assets, and a small
 * session API. The pages read and act only through the public /v1 API with the session cookie, so the
 * console adds no second source of truth and every scope rule of the API applies unchanged.
 */
export default async function consoleRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const { db, config } = deps;
  // Served over HTTPS (the public URL says so, or production, or a TLS socket): Secure and `__Host-`.
  const secure = config.nodeEnv === 'production' || config.publicBaseUrl.startsWith('https:');
  // Build now so a broken front end fails start-up, not the first inspector's page load.
  await consoleAssets();

  app.get('/console', { schema: hidden }, async (_req, reply) => reply.redirect('/console/'));

  app.get('/console/assets/:name', { schema: { ...hidden, params: Type.Object({ name: Str(100) }) } }, async (req, reply) => {
    const a = (await consoleAssets()).files.get((req.params as { name: string }).name);
    if (!a) throw new NotFoundError('Asset');
    return reply.header('content-type', a.type).header('etag', a.etag).header('cache-control', 'public, max-age=31536000, immutable').send(a.body);
  });

  /** Every other /console/… path gets the shell; a project outside the caller's scope gets it with a 404. */
  const shell = async (req: FastifyRequest, reply: FastifyReply) => {
    const { html } = await consoleAssets();
    let status = 200;
    const m = /^\/console\/projects\/([^/?#]+)/.exec(req.url);
    if (m && req.principal) {
      if (!UUID_RE.test(m[1]!)) status = 404;
      else await projectScope(db, req.principal, m[1]!).catch((e) => { if (e instanceof NotFoundError) status = 404; else throw e; });
    }
    return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  };
  app.get('/console/', { schema: hidden }, shell);
  app.get('/console/*', { schema: hidden }, shell);

  app.get('/console/api/session', {
    schema: { ...hidden, operationId: 'getConsoleSession', summary: 'The signed-in console user and its CSRF token', response: { 200: SessionView, ...problems(401) } },
  }, async (req) => {
    const token = readSessionCookie(req.headers.cookie);
    const s = token ? await resolveSession(db, token, config.adminApiKey, deps.now()) : null;
    if (!s) throw new UnauthorizedError('Not signed in');
    return { role: s.principal.role, label: s.principal.label, countyCodes: s.principal.countyCodes, countyNames: namesOf(s.principal.countyCodes), csrfToken: s.csrfToken };
  });

  app.post('/console/api/session', {
    schema: { ...hidden, operationId: 'signInConsole', summary: 'Exchange an inspector or admin API key for an HTTP-only session cookie', body: SignIn, response: { 201: SessionView, ...problems(400, 401, 403) } },
  }, async (req, reply) => {
    const p = await principalForKey(db, (req.body as { apiKey: string }).apiKey.trim(), config.adminApiKey);
    if (!p) throw new UnauthorizedError('Unknown or revoked API key');
    if (!CONSOLE_ROLES.includes(p.role)) throw new ForbiddenError('Only inspector and admin keys may use the console');
    const s = await db.transaction(async (tx) => {
      const created = await createSession(tx, p, config.adminApiKey, deps.now());
      await appendAudit(tx, { actor: p.id, action: 'console.signed_in', entityType: 'console_session', entityId: sha256Hex(created.token).slice(0, 16), data: { role: p.role } });
      return created;
    });
    reply.header('set-cookie', sessionCookie(s.token, SESSION_TTL_MS / 1000, secure));
    return reply.code(201).send({ role: p.role, label: p.label, countyCodes: p.countyCodes, countyNames: namesOf(p.countyCodes), csrfToken: s.csrfToken, expiresAt: s.expiresAt.toISOString() });
  });

  // DELETE is state-changing, so the auth plugin has already checked the CSRF token when a cookie is present.
  app.delete('/console/api/session', {
    schema: { ...hidden, operationId: 'signOutConsole', summary: 'End the console session', response: { 204: Type.Null(), ...problems(401, 403) } },
  }, async (req, reply) => {
    requireRole(req, ...CONSOLE_ROLES);
    const token = readSessionCookie(req.headers.cookie);
    const s = token ? await resolveSession(db, token, config.adminApiKey, deps.now()) : null;
    if (s) {
      await db.transaction(async (tx) => {
        await deleteSession(tx, s.sessionId);
        await appendAudit(tx, { actor: s.principal.id, action: 'console.signed_out', entityType: 'console_session', entityId: s.sessionId.slice(0, 16) });
      });
    }
    reply.header('set-cookie', sessionCookie('', 0, secure));
    return reply.code(204).send();
  });

  await app.register(consoleDataRoutes, { deps });
}
