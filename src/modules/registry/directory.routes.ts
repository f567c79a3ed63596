import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { countyName } from '../../lib/county-names.js';
import { requireRole } from '../auth/auth.plugin.js';
import { visibleProjectsSql } from '../auth/scope.js';
import { CountyCode, problems, Uuid } from '../platform/common.schemas.js';

const LIMIT = 50;
const Query = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 100, description: 'Part of the name (case-insensitive); empty = the first ones by name' })),
  countyCode: Type.Optional(CountyCode('Only this county (within your scope)')),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMIT, default: 20 })),
  lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')], { description: 'Language of countyName (default zh)' })),
}, { additionalProperties: false });
const ProjectItem = Type.Object({
  id: Uuid(), name: Type.String(), countyCode: Type.String(), countyName: Type.String(), generalContractorName: Type.String(), status: Type.String(),
});
const CompanyItem = Type.Object({
  id: Uuid(), name: Type.String(), roles: Type.Array(Type.String(), { description: 'general_contractor | construction_unit | subcontractor in the visible projects' }),
  projects: Type.Integer({ description: 'Visible projects it works on' }),
});
type Q = { q?: string; countyCode?: string; limit?: number; lang?: 'zh' | 'en' };
/** LIKE pattern of a user's text: its own % and _ are literal. */
const like = (q: string | undefined) => `%${(q ?? '').trim().replace(/[\\%_]/g, '\\$&')}%`;

/**
 * Pickers (#23): find projects and companies by name within the caller's scope (an inspector's counties),
 * so filters never ask a person to type a UUID. Small pages, ordered by name; the id is for the link.
 */
export default async function directoryRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const { db } = deps;
  app.get('/v1/directory/projects', {
    schema: {
      operationId: 'pickProjects', tags: ['registry'], summary: 'Projects visible to the caller whose name contains `q` (for pickers)',
      querystring: Query, response: { 200: Type.Object({ items: Type.Array(ProjectItem) }), ...problems(400, 401, 403) },
    },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'inspector', 'regulator', 'contractor', 'bank');
    const q = req.query as Q;
    const r = (await db.execute(sql`
      SELECT p.id, p.name, p.county_code, p.status, c.name AS gc_name FROM projects p JOIN companies c ON c.id = p.general_contractor_id
      WHERE ${visibleProjectsSql(p)} AND p.name ILIKE ${like(q.q)} ${q.countyCode ? sql`AND p.county_code = ${q.countyCode}` : sql``}
      ORDER BY p.name, p.id LIMIT ${q.limit ?? 20}`)) as unknown as { rows: { id: string; name: string; county_code: string; status: string; gc_name: string }[] };
    return { items: r.rows.map((x) => ({ id: x.id, name: x.name, countyCode: x.county_code, countyName: countyName(x.county_code, q.lang), generalContractorName: x.gc_name, status: x.status })) };
  });

  app.get('/v1/directory/companies', {
    schema: {
      operationId: 'searchCompanies', tags: ['registry'], summary: 'Companies working on projects visible to the caller whose name contains `q` (for pickers)',
      querystring: Query, response: { 200: Type.Object({ items: Type.Array(CompanyItem) }), ...problems(400, 401, 403) },
    },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'inspector', 'regulator');
    const q = req.query as Q;
    const r = (await db.execute(sql`
      WITH vp AS (SELECT p.id, p.general_contractor_id, p.construction_unit_id FROM projects p
                  WHERE ${visibleProjectsSql(p)} ${q.countyCode ? sql`AND p.county_code = ${q.countyCode}` : sql``}),
      roles AS (
        SELECT general_contractor_id AS company_id, 'general_contractor' AS role, id AS project_id FROM vp
        UNION ALL SELECT construction_unit_id, 'construction_unit', id FROM vp
        UNION ALL SELECT s.subcontractor_id, 'subcontractor', s.project_id FROM subcontracts s JOIN vp ON vp.id = s.project_id)
      SELECT c.id, c.name, array_agg(DISTINCT r.role ORDER BY r.role) AS roles, count(DISTINCT r.project_id)::int AS projects
      FROM roles r JOIN companies c ON c.id = r.company_id
      WHERE c.name ILIKE ${like(q.q)}
      GROUP BY c.id, c.name ORDER BY c.name, c.id LIMIT ${q.limit ?? 20}`)) as unknown as { rows: { id: string; name: string; roles: string[]; projects: number }[] };
    return { items: r.rows };
  });
}
