import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import type { Deps } from '../../deps.js';
import { ForbiddenError } from '../../lib/errors.js';
import { appendAudit } from '../audit/audit.service.js';
import { requireRole } from '../auth/auth.plugin.js';
import { projectScope, requireRelation } from '../auth/scope.js';
import { IdParams, problems } from '../platform/common.schemas.js';
import countyReportRoutes from './county-report.routes.js';
import { formatOf, ledgerRange, ledgerStream, XLSX, type LedgerFormat } from './ledger.export.js';
import * as S from './reports.schemas.js';

const TAGS = ['reports'];

/** The wage ledger (工资支付台账) as JSON, xlsx or PDF, streamed; and the county monthly report. */
export default async function reportsRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const { db, pii } = deps;

  app.get('/v1/projects/:id/wage-ledger', {
    schema: {
      operationId: 'getWageLedger', tags: TAGS, summary: 'Wage ledger: one row per worker and month with items, payment and bank reference (JSON, xlsx or PDF by Accept)',
      params: IdParams, querystring: S.LedgerQuery, response: { 200: S.LedgerOut, ...problems(400, 401, 403, 404) },
    },
  }, async (req, reply) => {
    const p = requireRole(req);
    const s = await projectScope(db, p, (req.params as { id: string }).id);
    const rel = requireRelation(s, 'gc', 'subcontractor', 'inspector', 'admin');
    const query = req.query as { from?: string; to?: string; employerId?: string; full?: boolean; format?: LedgerFormat };
    // An employer that is not also the GC sees its own lines only, whatever it asks for.
    const own = rel === 'subcontractor' && !s.relations.some((r) => r === 'gc' || r === 'inspector' || r === 'admin');
    const employerId = own ? p.companyId : query.employerId ?? null;
    const full = query.full === true;
    if (full && !s.relations.includes('admin')) throw new ForbiddenError('Only an administrator may read full IDs and cards');
    const range = await ledgerRange(db, s.projectId, query.from, query.to);
    const name = ((await db.execute(sql`SELECT name FROM projects WHERE id = ${s.projectId}`)) as unknown as { rows: { name: string }[] }).rows[0]!.name;
    const format = formatOf(req.headers.accept, query.format);
    if (full) {
      await db.transaction((tx) => appendAudit(tx, { actor: `${p.role}:${p.id}`, action: 'wage_ledger.full_read', entityType: 'project', entityId: s.projectId, projectId: s.projectId, data: { ...range, employerId, format } }));
    }
    const stream = ledgerStream(db, pii, { projectId: s.projectId, ...range, employerId, full }, format, { projectName: name });
    const file = `wage-ledger-${s.projectId}-${range.from}-${range.to}`;
    reply.header('cache-control', 'no-store');
    if (format === 'xlsx') reply.type(XLSX).header('content-disposition', `attachment; filename="${file}.xlsx"`);
    else if (format === 'pdf') reply.type('application/pdf').header('content-disposition', `attachment; filename="${file}.pdf"`);
    else reply.type('application/json; charset=utf-8');
    return reply.send(stream);
  });

  await app.register(countyReportRoutes, { deps });
}
