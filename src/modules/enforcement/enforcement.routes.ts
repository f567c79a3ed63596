import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { ForbiddenError } from '../../lib/errors.js';
import type { Principal } from '../auth/auth.types.js';
import { requireRole } from '../auth/auth.plugin.js';
import { IdParams, Page, problems } from '../platform/common.schemas.js';
import { getPolicy } from '../policy/policy.service.js';
import { escalateToDeposit, flagMassIncident, issueGcOrder, lockCase, payAsGc } from './case-actions.service.js';
import { clearanceFigures, getCase, listCases } from './cases.service.js';
import {
  AsOfBody, CaseDetail, CaseQuery, CaseSchema, ClearanceOut, ClearanceQuery, GcPaymentBody, GcPaymentOut, MassIncidentBody, StageChange, SweepBody, SweepResultSchema,
} from './enforcement.schemas.js';
import { runFullSweep } from './full-sweep.service.js';
import { appendAudit } from '../audit/audit.service.js';
import { chinaToday } from '../../lib/calendar.js';


/** Sweeps, arrears cases and their escalation ladder, clearance figures. */
export default async function enforcementRoutes(appIn: FastifyInstance, { deps }: { deps: Deps }) {
  const app = appIn.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps;

  /** Inspectors act on cases of their counties; admins on all. Others: 404 if they cannot see it. */
  const inspectorCase = async (p: Principal, id: string) => {
    await getCase(db, p, id); // 404 when out of scope
    if (p.role !== 'admin' && p.role !== 'inspector') throw new ForbiddenError('Only an inspector may take this action');
  };

  app.post('/v1/admin/sweeps', {
    schema: { operationId: 'runSweep', tags: ['enforcement'], summary: 'Run the pay-day / escalation / deposit / credit sweep as of a date (admin); idempotent per date',
      body: SweepBody, response: { 200: SweepResultSchema, ...problems(400, 401, 403) } },
  }, async (req) => {
    const p = requireRole(req, 'admin');
    const out = await runFullSweep(deps, req.body.asOf, { companyIds: req.body.companyIds });
    // The sweep commits in several transactions of its own; its audit row records that an admin ran it and what it did.
    await db.transaction((tx) => appendAudit(tx, { actor: p.id, action: 'sweep.run', entityType: 'sweep', entityId: req.body.asOf,
      data: { asOf: req.body.asOf, counts: (out as { counts?: unknown }).counts ?? null } }));
    return out as never;
  });

  app.get('/v1/cases', {
    schema: { operationId: 'listCases', tags: ['enforcement'], summary: 'Arrears cases (inspector: own counties; admin; a contractor: cases where it is GC, employer or construction unit)',
      querystring: CaseQuery, response: { 200: Page(CaseSchema), ...problems(400, 401, 403) } },
  }, async (req) => listCases(db, requireRole(req, 'admin', 'inspector', 'contractor', 'regulator'), req.query) as never);

  app.get('/v1/cases/:id', {
    schema: { operationId: 'getCase', tags: ['enforcement'], summary: 'A case with its timeline, workers owed (masked ids) and clearing payments',
      params: IdParams, response: { 200: CaseDetail, ...problems(401, 403, 404) } },
  }, async (req) => getCase(db, requireRole(req, 'admin', 'inspector', 'contractor', 'regulator'), req.params.id) as never);

  app.post('/v1/cases/:id/gc-order', {
    schema: { operationId: 'issueGcOrder', tags: ['enforcement'], summary: 'Order the general contractor to pay first (inspector, admin)',
      params: IdParams, body: AsOfBody, response: { 200: StageChange, ...problems(400, 401, 403, 404, 409) } },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'inspector');
    await inspectorCase(p, req.params.id);
    const r = await db.transaction((tx) => issueGcOrder(tx, req.params.id, req.body?.asOf ?? chinaToday(deps.now()), `${p.role}:${p.id}`));
    return { caseId: req.params.id, stage: r.stage, deadline: r.deadline } as never;
  });

  app.post('/v1/cases/:id/deposit-notice', {
    schema: { operationId: 'issueDepositNotice', tags: ['enforcement'], summary: 'Deposit payment notice: pay the owed workers from the deposit through the bank (inspector, admin)',
      params: IdParams, body: AsOfBody, response: { 200: StageChange, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'inspector');
    await inspectorCase(p, req.params.id);
    return db.transaction(async (tx) => {
      const r = await escalateToDeposit(tx, req.params.id, req.body?.asOf ?? chinaToday(deps.now()), { actor: `${p.role}:${p.id}`, manual: true });
      const c = await lockCase(tx, req.params.id);
      return { caseId: c.id, stage: c.stage, deadline: c.stage_deadline, batchId: r.batchId ?? null } as never;
    });
  });

  app.post('/v1/cases/:id/mass-incident', {
    schema: { operationId: 'flagMassIncident', tags: ['enforcement'], summary: 'Flag a mass or extreme incident on a case (inspector, admin); read by the credit engine',
      params: IdParams, body: MassIncidentBody, response: { 200: CaseSchema, ...problems(400, 401, 403, 404) } },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'inspector');
    await inspectorCase(p, req.params.id);
    await db.transaction((tx) => flagMassIncident(tx, req.params.id, req.body.asOf ?? chinaToday(deps.now()), `${p.role}:${p.id}`, req.body.note));
    const { timeline: _t, workers: _w, payments: _p, ...c } = await getCase(db, p, req.params.id);
    return c as never;
  });

  app.post('/v1/cases/:id/gc-payments', {
    schema: { operationId: 'payCaseAsGc', tags: ['enforcement'], summary: "The GC pays the case's owed workers first: a gc_advance batch from the GC's own account",
      params: IdParams, body: GcPaymentBody, response: { 201: GcPaymentOut, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (req, reply) => {
    const p = requireRole(req, 'contractor', 'admin');
    const c = await getCase(db, p, req.params.id);
    if (p.role === 'contractor' && c.generalContractorId !== p.companyId) throw new ForbiddenError('Only the general contractor of the project pays first');
    const out = await db.transaction((tx) => payAsGc(tx, req.params.id, { debtorAccount: req.body.debtorAccount, bankId: req.body.bankId, asOf: req.body.asOf ?? chinaToday(deps.now()) }, `${p.role}:${p.id}`));
    return reply.code(201).send(out);
  });

  app.get('/v1/clearance', {
    schema: { operationId: 'getClearance', tags: ['enforcement'], summary: 'Arrears clearance per county, industry and month with the cases behind each figure (inspector: own counties, admin)',
      querystring: ClearanceQuery, response: { 200: ClearanceOut, ...problems(400, 401, 403) } },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'inspector');
    const q = req.query;
    if (p.role === 'inspector' && q.countyCode && !p.countyCodes.includes(q.countyCode)) return { targetBp: (await getPolicy(db, q.countyCode)).clearance.targetBp, items: [] };
    const items = await clearanceFigures(db, { countyCode: q.countyCode, countyCodes: p.role === 'inspector' ? p.countyCodes : undefined, industry: q.industry, month: q.month });
    return { targetBp: (await getPolicy(db, q.countyCode ?? null)).clearance.targetBp, items };
  });
}
