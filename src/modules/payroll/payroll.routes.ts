import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { requireRole } from '../auth/auth.plugin.js';
import { IdParams, IsoMonth, Page, PageQuery, problems } from '../platform/common.schemas.js';
import { approvePayroll, getPayroll, listPayrolls } from './payroll-approve.service.js';
import { ApproveResponse, PayrollListItem, PayrollOut, SubmitPayrollBody, SubmitPayrollResponse } from './payroll.schemas.js';
import { submitPayroll } from './payroll.service.js';
import { chinaToday } from '../../lib/calendar.js';


/** Wage sheets: submit (with control record and findings), read, approve (GC pays on behalf). */
export default async function payrollRoutes(appIn: FastifyInstance, { deps }: { deps: Deps }) {
  const app = appIn.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/v1/projects/:id/payrolls', {
    schema: {
      operationId: 'submitPayroll', tags: ['payroll'], summary: 'Submit a monthly wage sheet with its control record (employer or GC)',
      params: IdParams, body: SubmitPayrollBody,
      response: { 201: SubmitPayrollResponse, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (req, reply) => {
    const p = requireRole(req, 'contractor', 'admin');
    const out = await deps.db.transaction((tx) => submitPayroll(tx, p, req.params.id, req.body, chinaToday(deps.now())));
    return reply.code(201).send(out);
  });

  app.get('/v1/projects/:id/payrolls', {
    schema: {
      operationId: 'listPayrolls', tags: ['payroll'], summary: 'Wage sheets of a project, newest month first',
      params: IdParams, querystring: Type.Object({ month: Type.Optional(IsoMonth()), ...PageQuery }, { additionalProperties: false }),
      response: { 200: Page(PayrollListItem), ...problems(400, 401, 404) },
    },
  }, async (req) => listPayrolls(deps.db, requireRole(req), req.params.id, req.query));

  app.get('/v1/payrolls/:id', {
    schema: {
      operationId: 'getPayroll', tags: ['payroll'], summary: 'A wage sheet with its lines, findings and per-status totals',
      params: IdParams, response: { 200: PayrollOut, ...problems(401, 404) },
    },
  }, async (req) => getPayroll(deps.db, requireRole(req), req.params.id));

  app.post('/v1/payrolls/:id/approve', {
    schema: {
      operationId: 'approvePayroll', tags: ['payroll'], summary: 'GC approval: freeze the sheet and create the disbursement batch from the wage account',
      params: IdParams, response: { 200: ApproveResponse, ...problems(401, 403, 404, 409, 422) },
    },
  }, async (req) => {
    const p = requireRole(req, 'contractor');
    return deps.db.transaction((tx) => approvePayroll(tx, p, req.params.id, chinaToday(deps.now())));
  });
}
