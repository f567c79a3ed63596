import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { sql } from 'drizzle-orm';
import type { Deps } from '../../deps.js';
import { chinaToday } from '../../lib/calendar.js';
import { requireRole } from '../auth/auth.plugin.js';
import { CountyCode, problems } from '../platform/common.schemas.js';
import { NotFoundError } from '../../lib/errors.js';
import { countyReportPdf, countyReportXlsx } from './county-report.render.js';
import { countyReport } from './county-report.service.js';
import { formatOf, XLSX, type LedgerFormat } from './ledger.export.js';
import * as S from './reports.schemas.js';

const TAGS = ['reports'];

/** County monthly report for inspectors: kept once generated; xlsx, PDF or JSON by Accept. */
export default async function countyReportRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const { db } = deps;
  const inScope = (req: Parameters<typeof requireRole>[0], county: string) => {
    const p = requireRole(req, 'inspector', 'admin');
    // Another county's report: 404, as for any out-of-scope resource.
    if (p.role === 'inspector' && !p.countyCodes.includes(county)) throw new NotFoundError('Report');
  };

  app.get('/v1/reports/county-monthly', {
    schema: { operationId: 'getCountyMonthlyReport', tags: TAGS, summary: 'County monthly report (kept from the 1st working day of the next month; on demand for any month)',
      querystring: S.CountyReportQuery, response: { 200: S.CountyReportOut, ...problems(400, 401, 403, 404) } },
  }, async (req, reply) => {
    const { countyCode, month, format: asked } = req.query as { countyCode: string; month: string; format?: LedgerFormat };
    inScope(req, countyCode);
    const r = await countyReport(db, countyCode, month, chinaToday(deps.now()));
    const format = formatOf(req.headers.accept, asked);
    const file = `county-monthly-${countyCode}-${month}`;
    if (format === 'xlsx') return reply.type(XLSX).header('content-disposition', `attachment; filename="${file}.xlsx"`).send(await countyReportXlsx(r));
    if (format === 'pdf') return reply.type('application/pdf').header('content-disposition', `attachment; filename="${file}.pdf"`).send(countyReportPdf(r));
    return r;
  });

  app.get('/v1/reports/county-monthly/kept', {
    schema: { operationId: 'listCountyMonthlyReports', tags: TAGS, summary: 'The kept monthly reports of a county, newest first (the console links each)',
      querystring: Type.Object({ countyCode: CountyCode() }, { additionalProperties: false }), response: { 200: S.CountyReportList, ...problems(400, 401, 403, 404) } },
  }, async (req) => {
    const { countyCode } = req.query as { countyCode: string };
    inScope(req, countyCode);
    const r = (await db.execute(sql`SELECT county_code AS "countyCode", month, generated_on::text AS "generatedOn" FROM county_reports WHERE county_code = ${countyCode} ORDER BY month DESC LIMIT 120`)) as unknown as { rows: { countyCode: string; month: string; generatedOn: string }[] };
    return { items: r.rows };
  });
}
