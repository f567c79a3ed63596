import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { ConflictError, UnprocessableError } from '../../lib/errors.js';
import { projectScope } from '../auth/scope.js';
import { afterCompletion } from './lifecycle.rules.js';

type Rows<T> = { rows: T[] };

/**
 * Refuse work for a month after the declared completion month (422 naming `path`), and any work on
 * a closed project (409). Called by the roster and payroll services inside their transaction.
 */
export async function assertOpenForMonth(tx: DbOrTx, projectId: string, month: string, path: string): Promise<void> {
  const p = ((await tx.execute(sql`SELECT status, completed_on FROM projects WHERE id = ${projectId}`)) as unknown as Rows<{ status: string; completed_on: string | null }>).rows[0];
  if (!p) return; // the caller's scope check answers 404
  if (p.status === 'closed') throw new ConflictError('The project is closed and read-only', 'project_closed');
  const why = afterCompletion(p.completed_on, month);
  if (why) throw new UnprocessableError('The project is completed; nothing was stored', [{ path, message: why }], 'after_completion');
}

// Writes still allowed on a closed project: an inspector's legal hold, and the life actions
// themselves (they answer for a closed project on their own terms).
const ALLOWED_ON_CLOSED = new Set(['/v1/projects/:id/legal-holds', '/v1/projects/:id/legal-holds/:holdId/release', '/v1/projects/:id/completion', '/v1/projects/:id/closure']);

/**
 * Closed = read-only: every POST/PUT/PATCH/DELETE under /v1/projects/{id}/ answers 409
 * `project_closed`, but only to a caller related to the project (others get the route's 404, so
 * a closed project's existence is not revealed). One indexed read per write request.
 */
export const closedProjectGuard = fp(async (app: FastifyInstance, opts: { deps: Deps }) => {
  app.addHook('preValidation', async (req: FastifyRequest) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    const url = req.routeOptions.url;
    if (!url?.startsWith('/v1/projects/:id/') || ALLOWED_ON_CLOSED.has(url) || !req.principal) return;
    const id = (req.params as { id?: string }).id;
    if (!id || !/^[0-9a-f-]{36}$/i.test(id)) return;
    const r = ((await opts.deps.db.execute(sql`SELECT status FROM projects WHERE id = ${id}`)) as unknown as Rows<{ status: string }>).rows[0];
    if (r?.status !== 'closed') return;
    await projectScope(opts.deps.db, req.principal, id); // 404 for strangers
    throw new ConflictError('The project is closed and read-only', 'project_closed');
  });
}, { name: 'closed-project-guard' });
