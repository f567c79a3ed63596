import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { newId } from '../../src/lib/ids.js';
import { getBalance, projectAccounts, recomputeBalances, settleTransaction } from '../../src/modules/escrow/ledger.service.js';
import { overdueReplenishments, recordDepositCredit } from '../../src/modules/escrow/deposit.service.js';
import { blockDepositReturn } from '../../src/modules/escrow/deposit-return.service.js';
import { missedAllocations, recordWageAccountCredit, wageBalanceBelowPayroll } from '../../src/modules/escrow/wage-account.service.js';
import { rawProject, rawWorkers } from './escrow-fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({}, undefined);
});
afterAll(() => ctx.close());

const credit = (projectId: string, amountFen: number, ref = newId(), valueDate = '2026-03-02') =>
  ctx.deps.db.transaction((tx) => recordDepositCredit(tx, { projectId, amountFen, valueDate, reference: ref, payerName: 'GC', bankRecordId: newId() }));
const count = async (q: ReturnType<typeof sql>) => Number(((await ctx.deps.db.execute(q)) as unknown as { rows: { n: string }[] }).rows[0]!.n);

describe('deposit view and guarantee letters', () => {
  it('due → short → covered; letters shorter than a year or the contract are refused with 422', async () => {
    const { projectId, gcId, bankId } = await rawProject(ctx, { requiredFen: 1_000_000 });
    const gc = await mintKey(ctx, 'contractor', { companyId: gcId });
    const url = `/v1/projects/${projectId}/deposit`;
    let v = (await ctx.app.inject({ url: `${url}?asOf=2026-03-01`, headers: gc })).json();
    expect(v).toMatchObject({ requiredFen: 1_000_000, cashBalanceFen: 0, guaranteeCoverFen: 0, shortfallFen: 1_000_000, status: 'due' });
    expect(v.accountNumber).toMatch(/^D/);
    await credit(projectId, 400_000);
    v = (await ctx.app.inject({ url: `${url}?asOf=2026-03-01`, headers: gc })).json();
    expect(v).toMatchObject({ cashBalanceFen: 400_000, shortfallFen: 600_000, status: 'short' });

    // The project runs 2026-01-01 – 2026-12-31. A letter must be irrevocable and payable on first demand.
    const g = { issuingBankId: bankId, amountFen: 300_000, validFrom: '2026-01-01', validTo: '2026-12-31', reference: 'BG-1' };
    const noTerms = await ctx.app.inject({ method: 'POST', url: `${url}/guarantees`, headers: gc, payload: g });
    expect(noTerms.statusCode).toBe(422);
    expect(noTerms.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.irrevocable', 'body.payableOnDemand']);
    const terms = { irrevocable: true, payableOnDemand: true };
    // 364 days counted inclusively is short of a year; 2026-01-01 – 2026-12-31 is a whole year (365 days).
    const short = await ctx.app.inject({ method: 'POST', url: `${url}/guarantees`, headers: gc, payload: { ...g, ...terms, validFrom: '2026-01-02' } });
    expect(short.statusCode).toBe(422);
    expect(short.json().errors[0].path).toBe('body.validTo');
    const endsEarly = await ctx.app.inject({ method: 'POST', url: `${url}/guarantees`, headers: gc, payload: { ...g, ...terms, validFrom: '2025-06-01', validTo: '2026-06-30' } });
    expect(endsEarly.statusCode).toBe(422);
    const year = await ctx.app.inject({ method: 'POST', url: `${url}/guarantees`, headers: gc, payload: { ...g, ...terms } });
    expect(year.statusCode, year.body).toBe(201);
    expect(year.json()).toMatchObject({ irrevocable: true, payableOnDemand: true });
    // A replacement letter filed mid-project covers from its own start: valid.
    const ok = await ctx.app.inject({ method: 'POST', url: `${url}/guarantees`, headers: gc, payload: { ...g, ...terms, validFrom: '2026-02-01', validTo: '2027-03-31', reference: 'BG-2' } });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ reminderDate: '2027-02-28', status: 'active' });
    v = (await ctx.app.inject({ url: `${url}?asOf=2026-03-01`, headers: gc })).json();
    expect(v).toMatchObject({ cashBalanceFen: 400_000, guaranteeCoverFen: 600_000, shortfallFen: 0, status: 'covered' });
    // An expired letter no longer counts; the replacement still does until its own end.
    v = (await ctx.app.inject({ url: `${url}?asOf=2027-01-15`, headers: gc })).json();
    expect(v).toMatchObject({ guaranteeCoverFen: 300_000, shortfallFen: 300_000, status: 'short' });
    v = (await ctx.app.inject({ url: `${url}?asOf=2027-04-01`, headers: gc })).json();
    expect(v).toMatchObject({ guaranteeCoverFen: 0, status: 'short' });
    // Another tenant sees nothing.
    const other = await mintKey(ctx, 'contractor', { companyId: (await rawProject(ctx)).gcId });
    expect((await ctx.app.inject({ url, headers: other })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'POST', url: `${url}/draws`, headers: gc, payload: { noticeId: 'x', payments: [{ workerId: newId(), amountFen: 1 }] } })).statusCode).toBe(403);
  });
});

describe('draw-down', () => {
  it('100 concurrent draws over HTTP against a deposit covering exactly 10: 10 succeed, the rest 409/422, balance 0', async () => {
    const { projectId, gcId } = await rawProject(ctx, { requiredFen: 100_000 });
    const [w] = await rawWorkers(ctx, projectId, gcId, 1);
    await credit(projectId, 100_000);
    const inspector = await mintKey(ctx, 'inspector', { countyCodes: ['220702'] });
    const res = await Promise.all(Array.from({ length: 100 }, (_, i) => ctx.app.inject({
      method: 'POST', url: `/v1/projects/${projectId}/deposit/draws`, headers: inspector,
      payload: { noticeId: `PN-${i}`, payments: [{ workerId: w, amountFen: 10_000 }], asOf: '2026-03-02' },
    })));
    const codes = res.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(10);
    expect(codes.filter((c) => c !== 201 && c !== 409 && c !== 422)).toEqual([]);
    for (const r of res.filter((x) => x.statusCode === 422)) expect(r.json().code ?? r.json().type).toBeTruthy();
    const acc = await projectAccounts(ctx.deps.db, projectId);
    const b = await getBalance(ctx.deps.db, acc.depositCash);
    expect(b.availableFen).toBe(0);
    expect(b.postedFen - b.pendingOutFen).toBe(0);
    expect(await count(sql`SELECT count(*) AS n FROM deposit_draws WHERE project_id = ${projectId}`)).toBe(10);
    // Bank settles every instruction: the holds post, cash is exactly 0.
    const holds = (await ctx.deps.db.execute(sql`SELECT hold_transaction_id AS h FROM instructions WHERE project_id = ${projectId}`)) as unknown as { rows: { h: string }[] };
    for (const h of holds.rows) await settleTransaction(ctx.deps.db, h.h, 'post');
    expect(await getBalance(ctx.deps.db, acc.depositCash)).toMatchObject({ postedFen: 0, pendingOutFen: 0, availableFen: 0 });
    expect((await getBalance(ctx.deps.db, acc.payouts)).postedFen).toBe(100_000);
    for (const r of await recomputeBalances(ctx.deps.db, projectId)) expect(r.kept).toBe(r.posted);
    // Replaying a notice returns the first result; other payments under the same notice → 409.
    const first = res.find((r) => r.statusCode === 201)!;
    const noticeId = first.json().noticeId;
    const again = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${projectId}/deposit/draws`, headers: inspector, payload: { noticeId, payments: [{ workerId: w, amountFen: 10_000 }], asOf: '2026-03-02' } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, replayed: true });
    const diff = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${projectId}/deposit/draws`, headers: inspector, payload: { noticeId, payments: [{ workerId: w, amountFen: 9_000 }], asOf: '2026-03-02' } });
    expect(diff.statusCode).toBe(409);
  }, 120_000);

  it('calls a guarantee letter when cash is short, sets replenishment due in 10 working days, and tracks overdue', async () => {
    const { projectId, gcId, bankId } = await rawProject(ctx, { requiredFen: 50_000 });
    const [w1, w2] = await rawWorkers(ctx, projectId, gcId, 2);
    const gc = await mintKey(ctx, 'contractor', { companyId: gcId });
    await credit(projectId, 20_000);
    await ctx.app.inject({ method: 'POST', url: `/v1/projects/${projectId}/deposit/guarantees`, headers: gc,
      payload: { issuingBankId: bankId, amountFen: 30_000, validFrom: '2026-01-01', validTo: '2027-06-30', reference: 'BG-9', irrevocable: true, payableOnDemand: true } });
    // National Day 2026 holidays on the calendar (admin route).
    const cal = await ctx.app.inject({ method: 'POST', url: '/v1/admin/calendar', headers: ctx.admin, payload: { days: [
      { day: '2026-10-01', kind: 'holiday' }, { day: '2026-10-02', kind: 'holiday' }, { day: '2026-10-05', kind: 'holiday' },
      { day: '2026-10-06', kind: 'holiday' }, { day: '2026-10-07', kind: 'holiday' }, { day: '2026-10-10', kind: 'workday', name: '调休' }] } });
    expect(cal.statusCode).toBe(200);
    const tooMuch = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${projectId}/deposit/draws`, headers: ctx.admin,
      payload: { noticeId: 'PN-big', payments: [{ workerId: w1, amountFen: 30_000 }, { workerId: w2, amountFen: 20_001 }], asOf: '2026-09-30' } });
    expect(tooMuch.statusCode).toBe(422);
    expect(await count(sql`SELECT count(*) AS n FROM deposit_guarantees WHERE project_id = ${projectId} AND called_fen > 0`)).toBe(0);
    const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${projectId}/deposit/draws`, headers: ctx.admin,
      payload: { noticeId: 'PN-1', payments: [{ workerId: w1, amountFen: 30_000 }, { workerId: w2, amountFen: 15_000 }], asOf: '2026-09-30' } });
    expect(r.statusCode).toBe(201);
    // 10 working days from 30 Sep over the holiday with the Saturday make-up day.
    expect(r.json()).toMatchObject({ totalFen: 45_000, fromCashFen: 20_000, fromGuaranteesFen: 25_000, replenishDue: '2026-10-20' });
    let v = (await ctx.app.inject({ url: `/v1/projects/${projectId}/deposit?asOf=2026-10-01`, headers: gc })).json();
    expect(v).toMatchObject({ status: 'drawn', cashBalanceFen: 0, guaranteeCoverFen: 5_000, replenishDue: '2026-10-20' });
    v = (await ctx.app.inject({ url: `/v1/projects/${projectId}/deposit?asOf=2026-10-21`, headers: gc })).json();
    expect(v.status).toBe('replenish_overdue');
    expect((await overdueReplenishments(ctx.deps.db, '2026-10-21')).filter((o) => o.projectId === projectId)).toHaveLength(1);
    // Replenishment by the bank's credit brings cover back → draw replenished.
    const rep = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${projectId}/deposit/replenishments`, headers: ctx.admin,
      payload: { amountFen: 45_000, valueDate: '2026-10-22', reference: 'REP-1' } });
    expect(rep.statusCode).toBe(201);
    expect(rep.json().replenishedDraws).toBe(1);
    const repAgain = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${projectId}/deposit/replenishments`, headers: ctx.admin,
      payload: { amountFen: 45_000, valueDate: '2026-10-22', reference: 'REP-1' } });
    expect(repAgain.json().replayed).toBe(true);
    v = (await ctx.app.inject({ url: `/v1/projects/${projectId}/deposit?asOf=2026-10-23`, headers: gc })).json();
    expect(v).toMatchObject({ status: 'covered', cashBalanceFen: 45_000 });
    expect((await overdueReplenishments(ctx.deps.db, '2026-10-23')).filter((o) => o.projectId === projectId)).toHaveLength(0);
  });
});

describe('return request', () => {
  it('a contractor cannot date its own request (server China date); an admin may; a draw blocks the notice', async () => {
    const { projectId, gcId } = await rawProject(ctx, { requiredFen: 10_000 });
    const gc = await mintKey(ctx, 'contractor', { companyId: gcId });
    await credit(projectId, 10_000);
    const bad = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${projectId}/deposit/return-requests`, headers: gc, payload: { promise: '本公司承诺无拖欠', asOf: '2026-01-01' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toContainEqual(expect.objectContaining({ path: 'body.asOf' }));
    expect(await count(sql`SELECT count(*) AS n FROM deposit_returns WHERE project_id = ${projectId}`)).toBe(0);
    const realNow = ctx.deps.now;
    try {
      ctx.deps.now = () => new Date('2026-11-30T17:00:00Z'); // 01:00 on 1 December in Beijing
      const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${projectId}/deposit/return-requests`, headers: gc, payload: { promise: '本公司承诺无拖欠' } });
      expect(r.statusCode, r.body).toBe(201);
      // Nothing is held: the cash stays available for a case's draw until the release day.
      expect(r.json()).toMatchObject({ status: 'notice', requestedOn: '2026-12-01', noticeEndsOn: '2026-12-31', heldFen: 0 });
    } finally {
      ctx.deps.now = realNow;
    }
    const dup = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${projectId}/deposit/return-requests`, headers: ctx.admin, payload: { promise: 'again', asOf: '2026-12-02' } });
    expect(dup.statusCode).toBe(409);
    expect((await ctx.app.inject({ url: `/v1/projects/${projectId}/deposit?asOf=2026-12-05`, headers: gc })).json().status).toBe('returning');
    const acc = await projectAccounts(ctx.deps.db, projectId);
    expect(await getBalance(ctx.deps.db, acc.depositCash)).toMatchObject({ postedFen: 10_000, pendingOutFen: 0, availableFen: 10_000 });

    const p2 = await rawProject(ctx, { requiredFen: 10_000 });
    await credit(p2.projectId, 10_000);
    const r2 = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p2.projectId}/deposit/return-requests`, headers: ctx.admin, payload: { promise: 'p', asOf: '2026-12-01' } });
    expect(r2.json()).toMatchObject({ requestedOn: '2026-12-01' });
    expect(await ctx.deps.db.transaction((tx) => blockDepositReturn(tx, p2.projectId, 'arrears case opened'))).toBe(true);
    const v = (await ctx.app.inject({ url: `/v1/projects/${p2.projectId}/deposit?asOf=2027-06-01`, headers: ctx.admin })).json();
    expect(v).toMatchObject({ status: 'covered', returnRequest: { status: 'blocked', blockedReason: 'arrears case opened' } });
  });
});

describe('wage account and allocations', () => {
  it('GC-recorded allocation is a pending hold the bank credit posts; missed cycles and low balance are detected', async () => {
    const { projectId, gcId } = await rawProject(ctx);
    const gc = await mintKey(ctx, 'contractor', { companyId: gcId });
    const bad = await ctx.app.inject({ method: 'PUT', url: `/v1/projects/${projectId}/allocation-schedule`, headers: gc, payload: { cycleMonths: 2, dueDay: 10, amountFen: 50_000, startMonth: '2026-01' } });
    expect(bad.statusCode).toBe(422);
    const s = await ctx.app.inject({ method: 'PUT', url: `/v1/projects/${projectId}/allocation-schedule`, headers: gc, payload: { cycleMonths: 1, dueDay: 10, amountFen: 50_000, startMonth: '2026-01' } });
    expect(s.statusCode).toBe(200);
    const rec = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${projectId}/wage-account/allocations`, headers: gc, payload: { amountFen: 50_000, valueDate: '2026-01-08', reference: 'ALLOC-1' } });
    expect(rec.statusCode).toBe(201);
    let wa = (await ctx.app.inject({ url: `/v1/projects/${projectId}/wage-account`, headers: gc })).json();
    expect(wa).toMatchObject({ postedFen: 0, pendingInFen: 50_000 });
    const bankRecordId = newId();
    const c = { projectId, amountFen: 50_000, valueDate: '2026-01-09', reference: 'ALLOC-1', payerName: 'Owner', bankRecordId };
    const first = await ctx.deps.db.transaction((tx) => recordWageAccountCredit(tx, c));
    const again = await ctx.deps.db.transaction((tx) => recordWageAccountCredit(tx, c));
    expect(again).toMatchObject({ replayed: true, allocationId: first.allocationId });
    wa = (await ctx.app.inject({ url: `/v1/projects/${projectId}/wage-account`, headers: gc })).json();
    expect(wa).toMatchObject({ postedFen: 50_000, pendingInFen: 0, availableFen: 50_000 });
    expect(await count(sql`SELECT count(*) AS n FROM outbox WHERE project_id = ${projectId} AND type = 'wage_account.credited'`)).toBe(1);
    const missed = (await missedAllocations(ctx.deps.db, '2026-03-15')).filter((m) => m.projectId === projectId);
    expect(missed.map((m) => m.dueDate)).toEqual(['2026-02-10', '2026-03-10']);
    await ctx.deps.db.execute(sql`INSERT INTO payrolls (id, project_id, employer_id, month, status, line_count, total_net_fen) VALUES (${newId()}, ${projectId}, ${gcId}, '2026-02', 'submitted', 3, 80000)`);
    const low = (await wageBalanceBelowPayroll(ctx.deps.db, '2026-03-05')).filter((l) => l.projectId === projectId);
    expect(low).toEqual([{ projectId, countyCode: '220702', month: '2026-02', payrollFen: 80_000, availableFen: 50_000 }]);
  });

  it('admin sets policy per scope; a county override changes the rules', async () => {
    const put = await ctx.app.inject({ method: 'PUT', url: '/v1/admin/policy/220723/deposit', headers: ctx.admin, payload: { guaranteeMinDays: 730 } });
    expect(put.statusCode).toBe(200);
    const bad = await ctx.app.inject({ method: 'PUT', url: '/v1/admin/policy/220723/deposit', headers: ctx.admin, payload: { noSuch: 1 } });
    expect(bad.statusCode).toBe(422);
    const { projectId, gcId, bankId } = await rawProject(ctx, { countyCode: '220723' });
    const gc = await mintKey(ctx, 'contractor', { companyId: gcId });
    const g = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${projectId}/deposit/guarantees`, headers: gc,
      payload: { issuingBankId: bankId, amountFen: 1, validFrom: '2026-01-01', validTo: '2027-06-30', reference: 'x', irrevocable: true, payableOnDemand: true } });
    expect(g.statusCode).toBe(422);
    expect((await ctx.app.inject({ method: 'PUT', url: '/v1/admin/policy/22/deposit', headers: gc, payload: { guaranteeMinDays: 1 } })).statusCode).toBe(403);
  });
});

// "Today" is the date in China: at 04:00 in Beijing (20:00 UTC the day before) a UTC date was yesterday's.
describe('today is the China date', () => {
  it('the deposit view without asOf is judged on the Beijing date, not the UTC one', async () => {
    const { projectId, gcId } = await rawProject(ctx, { requiredFen: 1_000 });
    const gc = await mintKey(ctx, 'contractor', { companyId: gcId });
    const realNow = ctx.deps.now;
    try {
      for (const [at, want] of [['2026-10-15T20:00:00Z', '2026-10-16'], ['2026-10-15T15:59:59Z', '2026-10-15'], ['2026-12-31T16:00:00Z', '2027-01-01']] as const) {
        ctx.deps.now = () => new Date(at);
        const v = (await ctx.app.inject({ url: `/v1/projects/${projectId}/deposit`, headers: gc })).json();
        expect(v.asOf, at).toBe(want);
      }
    } finally {
      ctx.deps.now = realNow;
    }
  });
});
