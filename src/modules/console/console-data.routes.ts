import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../lib/errors.js';
import { requireRole } from '../auth/auth.plugin.js';
import { visibleProjectsSql } from '../auth/scope.js';
import { entryDetail } from '../credit/blacklist.query.js';
import { CountyCode, IsoMonth, problems } from '../platform/common.schemas.js';
import { rosterCompliance } from '../roster/compliance.service.js';

const PENDING_LIMIT = 200;
const PROJECT_LIMIT = 500;
const Nullable = (t: ReturnType<typeof Type.Number>) => Type.Union([t, Type.Null()]);
const CountyProject = Type.Object({
  projectId: Type.String(), name: Type.String(), generalContractor: Type.String(), status: Type.String(),
  headcount: Type.Integer(), contractSigned: Type.Integer(), contractSigningRate: Nullable(Type.Number()),
  dispatched: Type.Integer(), dispatchedShare: Nullable(Type.Number()), dispatchedOverCap: Type.Boolean(),
});

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

  // The projects of a county-month behind the overview's roster, payment and deposit figures. Roster
  // figures come from the roster module's own rosterCompliance (the service behind /v1/projects/{id}/compliance).
  app.get('/console/api/county-projects', {
    schema: {
      hide: true, tags: ['console'], operationId: 'consoleCountyProjects',
      querystring: Type.Object({ countyCode: CountyCode(), month: IsoMonth() }, { additionalProperties: false }),
      response: { 200: Type.Object({ countyCode: Type.String(), month: Type.String(), items: Type.Array(CountyProject, { maxItems: PROJECT_LIMIT }) }), ...problems(400, 401, 403, 404) },
    },
  }, async (req) => {
    const p = requireRole(req, 'inspector', 'admin');
    const q = req.query as { countyCode: string; month: string };
    if (p.role === 'inspector' && !p.countyCodes.includes(q.countyCode)) throw new NotFoundError('County');
    const r = (await db.execute(sql`
      SELECT p.id, p.name, p.status, c.name AS gc_name FROM projects p JOIN companies c ON c.id = p.general_contractor_id
      WHERE p.county_code = ${q.countyCode} AND ${visibleProjectsSql(p)} ORDER BY p.name LIMIT ${PROJECT_LIMIT}`)) as unknown as {
      rows: { id: string; name: string; status: string; gc_name: string }[];
    };
    const roster = new Map((await rosterCompliance(db, q)).projects.map((x) => [x.projectId, x]));
    const items = r.rows.map((x) => {
      const f = roster.get(x.id);
      return {
        projectId: x.id, name: x.name, generalContractor: x.gc_name, status: x.status,
        headcount: f?.headcount ?? 0, contractSigned: f?.contractSigned ?? 0, contractSigningRate: f?.contractSigningRate ?? null,
        dispatched: f?.dispatched ?? 0, dispatchedShare: f?.dispatchedShare ?? null, dispatchedOverCap: f?.dispatchedOverCap ?? false,
      };
    });
    return { countyCode: q.countyCode, month: q.month, items };
  });
}
