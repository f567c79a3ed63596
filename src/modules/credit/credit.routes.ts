import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { requireRole } from '../auth/auth.plugin.js';
import { IdParams, problems } from '../platform/common.schemas.js';
import blacklistRoutes from './blacklist.routes.js';
import { evaluateBlacklist } from './blacklist-evaluate.js';
import { CompanyCredit, EvaluateBody, EvaluateResult, RecomputeBody, RecomputeResult } from './credit.schemas.js';
import { getCredit, recomputeCredit } from './credit.service.js';
import { chinaToday } from '../../lib/calendar.js';

/** Business date in China (UTC+8): the calendar every credit rule counts in. */

/** Routes of the credit context: grades, and (in blacklist.routes.ts) the blacklist. */
export default async function creditRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const { db } = deps;

  app.get('/v1/companies/:id/credit', {
    schema: {
      operationId: 'getCompanyCredit', tags: ['credit'], summary: 'Credit grade, score, reasons, grade history and blacklist entries of a company (any role)',
      params: IdParams, response: { 200: CompanyCredit, ...problems(401, 404) },
    },
  }, async (req) => {
    requireRole(req);
    return getCredit(db, (req.params as { id: string }).id, chinaToday(deps.now()));
  });

  app.post('/v1/admin/credit/recompute', {
    schema: {
      operationId: 'recomputeCredit', tags: ['credit'], summary: 'Recompute credit grades as of a date, for one company or all (admin)',
      body: RecomputeBody, response: { 200: RecomputeResult, ...problems(400, 401, 403) },
    },
  }, async (req) => {
    requireRole(req, 'admin');
    const b = req.body as { asOf: string; companyId?: string };
    return recomputeCredit(db, b.companyId ? [b.companyId] : null, b.asOf, 'manual');
  });

  app.post('/v1/admin/blacklist/evaluate', {
    schema: {
      operationId: 'evaluateBlacklist', tags: ['credit'], summary: 'Run the blacklist sweep as of a date: expire, list after the objection period, propose (admin)',
      body: EvaluateBody, response: { 200: EvaluateResult, ...problems(400, 401, 403) },
    },
  }, async (req) => {
    const p = requireRole(req, 'admin');
    const { asOf, companyIds } = req.body as { asOf: string; companyIds?: string[] };
    // Grades follow through the blacklist.listed / blacklist.removed events this emits.
    return evaluateBlacklist(deps, asOf, { actor: { id: p.id, role: p.role }, companyIds });
  });

  await app.register(blacklistRoutes, { deps });
}
