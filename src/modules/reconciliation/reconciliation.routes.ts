import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { isUuid } from '../../lib/ids.js';
import { BadRequestError, NotFoundError } from '../../lib/errors.js';
import { requireRole } from '../auth/auth.plugin.js';
import { payEmployerFilter, projectScope } from '../auth/scope.js';
import { IdParams, problems } from '../platform/common.schemas.js';
import { payrollProject, payrollReconciliation, projectMonthSummary } from './reconciliation.queries.js';
import { PayrollReconQuery, PayrollReconResponse, ProjectReconQuery, ProjectReconResponse } from './reconciliation.schemas.js';

/** Read side of reconciliation; anyone related to the project may look (others get a 404). */
export default async function reconciliationRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  app.get('/v1/projects/:id/reconciliation', {
    schema: {
      operationId: 'getProjectReconciliation', tags: ['reconciliation'],
      summary: 'Counts and amounts per reconciliation status for a project-month, and orphan bank records',
      params: IdParams, querystring: ProjectReconQuery,
      response: { 200: ProjectReconResponse, ...problems(400, 401, 404) },
    },
  }, async (req) => {
    const p = requireRole(req);
    const { id } = req.params as { id: string };
    const { month } = req.query as { month: string };
    const s = await projectScope(deps.db, p, id);
    // Per-employer pay: a subcontractor sees its own lines only; orphan bank records only the parties that
    // oversee the whole project and the bank that reported them.
    const f = payEmployerFilter(s, p);
    return projectMonthSummary(deps.db, id, month, 100, { employerId: f.all ? undefined : f.employerId, orphans: f.all || s.relations.includes('bank') });
  });

  app.get('/v1/payrolls/:id/reconciliation', {
    schema: {
      operationId: 'getPayrollReconciliation', tags: ['reconciliation'],
      summary: 'Per-line reconciliation status of a wage sheet with the history of every change',
      params: IdParams, querystring: PayrollReconQuery,
      response: { 200: PayrollReconResponse, ...problems(400, 401, 404) },
    },
  }, async (req) => {
    const p = requireRole(req);
    const { id } = req.params as { id: string };
    const q = req.query as { limit?: number; cursor?: string };
    if (q.cursor !== undefined && !isUuid(q.cursor)) throw new BadRequestError('Malformed cursor', [{ path: 'query.cursor', message: 'not a cursor from this endpoint' }]);
    const pr = await payrollProject(deps.db, id);
    const s = await projectScope(deps.db, p, pr.projectId);
    const f = payEmployerFilter(s, p);
    // As getPayroll: another employer's wage sheet does not exist for the caller.
    if (!f.all && f.employerId !== pr.employerId) throw new NotFoundError('Payroll');
    const page = await payrollReconciliation(deps.db, id, q.limit ?? 500, q.cursor ?? null);
    return { payrollId: id, projectId: pr.projectId, month: pr.month, ...page };
  });
}
