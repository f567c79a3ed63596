import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { requireRole } from '../auth/auth.plugin.js';
import { entryDetail } from '../credit/blacklist.query.js';
import { problems } from '../platform/common.schemas.js';

const PENDING_LIMIT = 200;

/**
 * Reads the console needs that the public API does not offer as a list yet. Each one selects only ids
 * (scoped like the API) and renders every row with the owning module's own read function, so the
 * console shows exactly what the API shows for that resource. Prefer a /v1 list once one exists.
 */
export default async function consoleDataRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const { db } = deps;

  // Pending blacklist proposals (proposed or objected) in the caller's counties, oldest deadline first.
  app.get('/console/api/blacklist/proposals', {
    schema: { hide: true, tags: ['console'], operationId: 'consolePendingBlacklistProposals', response: { 200: Type.Object({ items: Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: PENDING_LIMIT }) }), ...problems(401, 403) } },
  }, async (req) => {
    const p = requireRole(req, 'inspector', 'admin');
    const scope = p.role === 'admin' ? sql`TRUE` : sql`county_code = ANY(${`{${p.countyCodes.join(',')}}`}::text[])`;
    const r = (await db.execute(sql`
      SELECT id FROM blacklist_entries WHERE status IN ('proposed', 'objected') AND ${scope}
      ORDER BY objection_deadline, created_at LIMIT ${PENDING_LIMIT}`)) as unknown as { rows: { id: string }[] };
    const items = [];
    for (const { id } of r.rows) items.push(await entryDetail(db, id));
    return { items };
  });
}
