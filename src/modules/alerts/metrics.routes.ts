import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../lib/errors.js';
import { requireRole } from '../auth/auth.plugin.js';
import { problems } from '../platform/common.schemas.js';
import { ComplianceQuery, ComplianceResult } from './alerts.schemas.js';
import { complianceSeries } from './compliance.service.js';

/** Compliance metrics inspectors track by county and month. */
export default async function metricsRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  app.get('/v1/metrics/compliance', {
    schema: {
      operationId: 'getComplianceMetrics', tags: ['alerts'],
      summary: 'Clearance, on-time payment, contract signing, dispatched share, deposit coverage and open cases for a county and month, with the counts and a monthly series',
      querystring: ComplianceQuery, response: { 200: ComplianceResult, ...problems(400, 401, 403, 404) },
    },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'inspector');
    const q = req.query as { countyCode: string; month: string; months?: number };
    if (p.role === 'inspector' && !p.countyCodes.includes(q.countyCode)) throw new NotFoundError('County');
    const series = await complianceSeries(deps.db, q.countyCode, q.month, q.months ?? 1);
    return { countyCode: q.countyCode, ...series[series.length - 1]!, series };
  });
}
