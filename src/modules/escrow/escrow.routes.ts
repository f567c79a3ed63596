import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { BadRequestError, NotFoundError } from '../../lib/errors.js';
import { idFromKey } from '../../lib/ids.js';
import { requireRole } from '../auth/auth.plugin.js';
import { projectScope, requireRelation } from '../auth/scope.js';
import { IdParams, IsoDate, problems } from '../platform/common.schemas.js';
import { drawDeposit } from './deposit-draw.service.js';
import { requestDepositReturn } from './deposit-return.service.js';
import { addGuarantee, getDeposit, recordDepositCredit, type GuaranteeInput } from './deposit.service.js';
import * as S from './escrow.schemas.js';
import { getBalance, projectAccounts } from './ledger.service.js';
import policyRoutes from './policy.routes.js';
import { getAllocationSchedule, recordGcAllocation, setAllocationSchedule } from './wage-account.service.js';
import { chinaToday } from '../../lib/calendar.js';
import { appendAudit } from '../audit/audit.service.js';

const TAGS = ['escrow'];
type P = { id: string };

/** Deposits, guarantee letters, draw-downs, returns, wage accounts and allocation schedules. */
export default async function escrowRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const today = () => chinaToday(deps.now());
  const scope = async (req: FastifyRequest) => projectScope(deps.db, requireRole(req), (req.params as P).id);
  const actorOf = (req: FastifyRequest) => `${req.principal!.role}:${req.principal!.id}`;

  app.get('/v1/projects/:id/deposit', {
    schema: { operationId: 'getDeposit', tags: TAGS, summary: 'Wage-guarantee deposit: required, cash, guarantee cover, shortfall, status', params: IdParams,
      querystring: Type.Object({ asOf: Type.Optional(IsoDate('Evaluate as of this date (default today)')) }), response: { 200: S.DepositView, ...problems(401, 403, 404) } },
  }, async (req) => {
    const s = await scope(req);
    requireRelation(s, 'gc', 'inspector', 'admin', 'bank');
    return getDeposit(deps.db, s.projectId, (req.query as { asOf?: string }).asOf ?? today());
  });

  app.post('/v1/projects/:id/deposit/guarantees', {
    schema: { operationId: 'addDepositGuarantee', tags: TAGS, summary: 'File a bank guarantee letter replacing (part of) the cash deposit', params: IdParams,
      body: S.GuaranteeBody, response: { 201: S.Guarantee, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (req, reply) => {
    const s = await scope(req);
    requireRelation(s, 'gc', 'admin');
    const out = await deps.db.transaction((tx) => addGuarantee(tx, s.projectId, req.body as GuaranteeInput, actorOf(req), today()));
    return reply.code(201).send(out);
  });

  app.post('/v1/projects/:id/deposit/draws', {
    schema: { operationId: 'drawDeposit', tags: TAGS, summary: 'Pay named workers from the deposit on a payment notice (inspector)', params: IdParams,
      body: S.DrawBody, response: { 201: S.DrawResult, 200: S.DrawResult, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (req, reply) => {
    const s = await scope(req);
    requireRelation(s, 'inspector', 'admin');
    const b = req.body as { noticeId: string; payments: { workerId: string; amountFen: number; payrollLineId?: string }[]; asOf?: string };
    const out = await deps.db.transaction((tx) => drawDeposit(tx, { projectId: s.projectId, noticeId: b.noticeId, payments: b.payments, asOf: b.asOf ?? today(), actor: actorOf(req) }));
    return reply.code(out.replayed ? 200 : 201).send(out);
  });

  app.post('/v1/projects/:id/deposit/replenishments', {
    schema: { operationId: 'recordDepositReplenishment', tags: TAGS, summary: 'Record cash paid into the deposit account (bank or admin)', params: IdParams,
      body: S.ReplenishBody, response: { 201: S.ReplenishResult, ...problems(400, 401, 403, 404, 422) } },
  }, async (req, reply) => {
    const s = await scope(req);
    requireRelation(s, 'bank', 'admin');
    const b = req.body as { amountFen: number; valueDate: string; reference: string; payerName?: string };
    const out = await deps.db.transaction((tx) => recordDepositCredit(tx, {
      projectId: s.projectId, amountFen: b.amountFen, valueDate: b.valueDate, reference: b.reference, payerName: b.payerName ?? null,
      bankRecordId: idFromKey(`replenishment:${s.projectId}:${b.reference}`),
    }));
    return reply.code(201).send(out);
  });

  app.post('/v1/projects/:id/deposit/return-requests', {
    schema: { operationId: 'requestDepositReturn', tags: TAGS, summary: "GC's no-arrears promise: starts the 30-day public notice", params: IdParams,
      body: S.ReturnBody, response: { 201: S.ReturnView, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (req, reply) => {
    const s = await scope(req);
    requireRelation(s, 'gc', 'admin');
    const b = req.body as { promise: string; asOf?: string };
    // A contractor's action is dated by the server's China date: a GC must not choose when its own
    // 30-day notice started. Only an admin (replaying or correcting) may give a date.
    if (b.asOf !== undefined && req.principal!.role !== 'admin') throw new BadRequestError('asOf is not accepted from a contractor', [{ path: 'body.asOf', message: 'only an admin may date a return request; contractors act on the server date' }]);
    const out = await deps.db.transaction((tx) => requestDepositReturn(tx, { projectId: s.projectId, promise: b.promise, asOf: b.asOf ?? today(), actor: actorOf(req) }));
    return reply.code(201).send(out);
  });

  app.put('/v1/projects/:id/allocation-schedule', {
    schema: { operationId: 'setAllocationSchedule', tags: TAGS, summary: 'Labour-cost allocation schedule (cycle ≤ policy; amount or share of progress payments)', params: IdParams,
      body: S.ScheduleBody, response: { 200: S.Schedule, ...problems(400, 401, 403, 404, 422) } },
  }, async (req) => {
    const s = await scope(req);
    requireRelation(s, 'gc', 'construction_unit', 'admin');
    return deps.db.transaction(async (tx) => {
      const out = await setAllocationSchedule(tx, s.projectId, req.body as never);
      await appendAudit(tx, { actor: req.principal!.id, action: 'allocation_schedule.set', entityType: 'allocation_schedule', entityId: s.projectId, projectId: s.projectId, data: { ...(req.body as object) } });
      return out;
    }) as never;
  });

  app.get('/v1/projects/:id/allocation-schedule', {
    schema: { operationId: 'getAllocationSchedule', tags: TAGS, summary: 'The allocation schedule', params: IdParams, response: { 200: S.Schedule, ...problems(401, 403, 404) } },
  }, async (req) => {
    const s = await scope(req);
    const out = await getAllocationSchedule(deps.db, s.projectId);
    if (!out) throw new NotFoundError('Allocation schedule');
    return out;
  });

  app.post('/v1/projects/:id/wage-account/allocations', {
    schema: { operationId: 'recordAllocation', tags: TAGS, summary: 'GC records an allocation it was told of: pending until the bank confirms it', params: IdParams,
      body: S.AllocationBody, response: { 201: S.AllocationResult, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (req, reply) => {
    const s = await scope(req);
    requireRelation(s, 'gc', 'admin');
    const b = req.body as { amountFen: number; valueDate: string; reference: string };
    const out = await deps.db.transaction((tx) => recordGcAllocation(tx, { projectId: s.projectId, ...b, requestKey: b.reference }));
    return reply.code(201).send(out);
  });

  app.get('/v1/projects/:id/wage-account', {
    schema: { operationId: 'getWageAccount', tags: TAGS, summary: 'Wage account balance (posted, pending, available)', params: IdParams, response: { 200: S.WageAccountView, ...problems(401, 403, 404) } },
  }, async (req) => {
    const s = await scope(req);
    requireRelation(s, 'gc', 'construction_unit', 'inspector', 'admin', 'bank');
    const acc = await projectAccounts(deps.db, s.projectId);
    const b = await getBalance(deps.db, acc.wage);
    return { projectId: s.projectId, postedFen: b.postedFen, pendingInFen: b.pendingInFen, pendingOutFen: b.pendingOutFen, availableFen: b.availableFen };
  });

  await app.register(policyRoutes, { deps });
}
