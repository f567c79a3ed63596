import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idFromKey } from '../../src/lib/ids.js';
import { recordDepositCredit } from '../../src/modules/escrow/deposit.service.js';
import { setAllocationSchedule } from '../../src/modules/escrow/wage-account.service.js';
import { runFullSweep } from '../../src/modules/enforcement/full-sweep.service.js';
import { runSweep } from '../../src/modules/enforcement/sweep.service.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { balance, bankSettles, caseOf, holiday, outboxOf, setLine, sheet, snapshot, sweepTwice } from './enforcement.fixtures.js';

let ctx: TestContext;
const MONTH = '2026-10'; // payday 10 → pay date Tue 2026-11-10, grace 3 days → arrears after 2026-11-13

beforeAll(async () => {
  ctx = await createTestContext();
  await holiday(ctx, '2026-11-18'); // a Wednesday: the overdue notice deadline skips it
});
afterAll(async () => ctx?.close());

/** Every sweep runs twice through the API; the second run must change nothing and answer the same. */
const sweep = (asOf: string) => sweepTwice<{ opened: { caseId: string }[]; escalated: { caseId: string; stage: string }[]; closed: string[]; signals: Record<string, number> }>(ctx, asOf);

async function project(opts: { workers?: number; attendance?: boolean } = {}): Promise<SeededProject> {
  return seedProject(ctx, { workers: opts.workers ?? 3, month: MONTH, payday: 10, sub2: false, attendance: opts.attendance ?? false });
}

async function fundDeposit(p: SeededProject, amountFen: number, valueDate: string, ref: string) {
  await ctx.deps.db.transaction((tx) => recordDepositCredit(tx, { projectId: p.projectId, amountFen, valueDate, reference: ref, payerName: 'GC', bankRecordId: idFromKey(`test:${p.projectId}:${ref}`) }));
}

describe('enforcement stories (asOf-driven, every sweep run twice)', () => {
  it('id_from_key in SQL equals idFromKey in TypeScript', async () => {
    for (const k of ['case:a:b:2026-10', 'evt:x', '中文 key', '']) {
      const r = (await ctx.deps.db.execute(sql`SELECT wg_id_from_key(${k})::text AS id`)) as unknown as { rows: { id: string }[] };
      expect(r.rows[0]!.id).toBe(idFromKey(k));
    }
  });

  it('a subcontractor defaults, the GC is ordered to pay first and pays; the case closes (holiday-aware deadlines)', async () => {
    const p = await project();
    const lines = await sheet(ctx, p.projectId, p.subId, MONTH, p.workerIds.map((w, i) => ({ workerId: w, netFen: 500_000 + i * 1000 })));
    for (const id of lines.values()) await setLine(ctx, id, 'missing');

    await sweep('2026-11-13'); // still inside the grace period
    expect(await caseOf(ctx, p.projectId, MONTH)).toBeUndefined();

    const r1 = await sweep('2026-11-16');
    let c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(r1.opened.map((x) => x.caseId)).toContain(c.id);
    expect(c).toMatchObject({ stage: 'overdue_notice', status: 'open', workers_owed: 3, workers_unpaid: 3, stage_deadline: '2026-11-20' }); // 3 WD, skipping Wed 18th
    expect(Number(c.amount_owed_fen)).toBe(1_503_000);
    expect(c.responsible).toMatchObject({ direct: { companyId: p.subId }, total: { companyId: p.gcId } });
    expect(c.responsible.constructionUnit).toBeUndefined();

    await sweep('2026-11-20'); // deadline day: no escalation yet
    expect((await caseOf(ctx, p.projectId, MONTH))!.stage).toBe('overdue_notice');
    const r2 = await sweep('2026-11-23');
    c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(r2.escalated).toContainEqual({ caseId: c.id, stage: 'gc_order' });
    expect(c).toMatchObject({ stage: 'gc_order', stage_deadline: '2026-11-30' });

    // The GC pays first from its own funds.
    const pay = await ctx.app.inject({ method: 'POST', url: `/v1/cases/${c.id}/gc-payments`, headers: p.headers.gc, payload: { debtorAccount: 'GC-OWN-001', asOf: '2026-11-24' } });
    expect(pay.statusCode, pay.body).toBe(201);
    expect(pay.json()).toMatchObject({ lineCount: 3, totalFen: 1_503_000, status: 'ready' });
    // A second request while the first is in flight pays nobody twice.
    const again = await ctx.app.inject({ method: 'POST', url: `/v1/cases/${c.id}/gc-payments`, headers: p.headers.gc, payload: { debtorAccount: 'GC-OWN-001', asOf: '2026-11-24' } });
    expect(again.statusCode).toBe(409);
    // Another county's inspector cannot see the case (404); the subcontractor sees it but may not pay as GC (403).
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/cases/${c.id}`, headers: p.headers.otherInspector })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'POST', url: `/v1/cases/${c.id}/gc-payments`, headers: p.headers.sub, payload: { debtorAccount: 'X' } })).statusCode).toBe(403);

    await bankSettles(ctx, pay.json().batchId, '2026-11-25');
    const r3 = await sweep('2026-11-25');
    c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(r3.closed).toContain(c.id);
    expect(c).toMatchObject({ stage: 'closed', status: 'closed', closed_on: '2026-11-25', workers_unpaid: 0 });
    expect(c.cleared_by).toEqual({ gc: 1_503_000 });
    expect(await balance(ctx, `gc_funds:${p.projectId}`)).toEqual({ posted: -1_503_000, pendingOut: 0 });
    expect((await balance(ctx, `payouts:${p.projectId}`)).posted).toBe(1_503_000);
    const types = (await outboxOf(ctx, p.projectId)).filter((e) => e.type.startsWith('case.')).map((e) => `${e.type}:${e.payload.stage ?? ''}`);
    expect(types).toEqual(['case.opened:overdue_notice', 'case.escalated:gc_order', 'case.closed:closed']);

    const list = await ctx.app.inject({ method: 'GET', url: `/v1/cases?projectId=${p.projectId}`, headers: p.headers.gc });
    expect(list.json().items[0]).toMatchObject({ id: c.id, projectId: p.projectId, employerId: p.subId, workersOwed: 3, amountOwedFen: 1_503_000, stage: 'closed', deadline: null });
    const detail = (await ctx.app.inject({ method: 'GET', url: `/v1/cases/${c.id}`, headers: p.headers.inspector })).json();
    expect(detail.timeline.map((t: { stage: string }) => t.stage)).toEqual(['overdue_notice', 'gc_order', 'gc_order', 'closed']);
    expect(detail.workers[0].idNumberMasked).toMatch(/\*/);
    expect(JSON.stringify(detail)).not.toContain(p.workers[0]!.idNumber);
    expect(detail.payments).toHaveLength(3);
  });

  it('the GC ignores the order, the deposit pays; replenished late → overdue against the GC; a crash between stages changes nothing', async () => {
    const p = await project({ workers: 2 });
    await fundDeposit(p, p.depositRequiredFen, '2026-10-01', 'initial');
    const lines = await sheet(ctx, p.projectId, p.subId, MONTH, p.workerIds.map((w) => ({ workerId: w, netFen: 600_000 })));
    for (const id of lines.values()) await setLine(ctx, id, 'rejected');
    await sweep('2026-11-16');
    await sweep('2026-11-23');
    let c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c.stage).toBe('gc_order');

    // Crash after the ladder step (before the deposit step), then after the deposit step: re-runs converge.
    await expect(runSweep(ctx.deps, '2026-12-01', { afterStep: (s) => { if (s === 'ladder') throw new Error('killed'); } })).rejects.toThrow('killed');
    expect((await caseOf(ctx, p.projectId, MONTH))!.stage).toBe('gc_order');
    await expect(runSweep(ctx.deps, '2026-12-01', { afterStep: (s) => { if (s.startsWith('deposit:')) throw new Error('killed'); } })).rejects.toThrow('killed');
    // The run after the crashes completes (the full sweep includes the credit step the crashed runs never
    // reached); from then on every re-run for the date changes nothing.
    await runFullSweep(ctx.deps, '2026-12-01');
    const afterCrash = await snapshot(ctx);
    await sweep('2026-12-01');
    expect(await snapshot(ctx)).toEqual(afterCrash);
    c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c).toMatchObject({ stage: 'deposit_notice', gc_order_ignored: true, stage_deadline: '2026-12-08', deposit_notice_id: `case:${c.id}` });
    const draws = (await ctx.deps.db.execute(sql`SELECT total_fen, replenish_due::text, batch_id FROM deposit_draws WHERE project_id = ${p.projectId}`)) as unknown as { rows: { total_fen: string; replenish_due: string; batch_id: string }[] };
    expect(draws.rows).toHaveLength(1);
    expect(Number(draws.rows[0]!.total_fen)).toBe(1_200_000);
    expect(draws.rows[0]!.replenish_due).toBe('2026-12-15');
    expect(await balance(ctx, `deposit_cash:${p.projectId}`)).toEqual({ posted: p.depositRequiredFen, pendingOut: 1_200_000 });

    await bankSettles(ctx, draws.rows[0]!.batch_id, '2026-12-03');
    await sweep('2026-12-03');
    c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c).toMatchObject({ stage: 'replenishment_due', stage_deadline: '2026-12-15', workers_unpaid: 0 });
    expect(c.cleared_by).toEqual({ deposit: 1_200_000 });
    expect(await balance(ctx, `deposit_cash:${p.projectId}`)).toEqual({ posted: p.depositRequiredFen - 1_200_000, pendingOut: 0 });

    await sweep('2026-12-15');
    expect((await caseOf(ctx, p.projectId, MONTH))!.stage).toBe('replenishment_due');
    await sweep('2026-12-16');
    c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c).toMatchObject({ stage: 'replenishment_overdue', replenishment_overdue_on: '2026-12-16' });
    const overdue = (await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'deposit.replenishment_overdue');
    expect(overdue).toHaveLength(1);
    expect(overdue[0]!.payload).toMatchObject({ caseId: c.id, generalContractorId: p.gcId });

    await fundDeposit(p, 1_200_000, '2026-12-17', 'replenish');
    await sweep('2026-12-18');
    c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c).toMatchObject({ stage: 'closed', closed_on: '2026-12-18', replenishment_overdue_on: '2026-12-16' });
    expect(await balance(ctx, `deposit_cash:${p.projectId}`)).toEqual({ posted: p.depositRequiredFen, pendingOut: 0 });
    const stages = (await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'case.escalated').map((e) => e.payload.stage);
    expect(stages).toEqual(['gc_order', 'deposit_notice', 'replenishment_due', 'replenishment_overdue']);
  });

  it('the GC ignores the order and the deposit cannot cover: the case waits at gc_order, deposit.short is raised once per day', async () => {
    const p = await project({ workers: 1 });
    const lines = await sheet(ctx, p.projectId, p.subId, MONTH, [{ workerId: p.workerIds[0]!, netFen: 900_000 }]);
    await setLine(ctx, lines.get(p.workerIds[0]!)!, 'missing');
    await sweep('2026-11-16');
    await sweep('2026-11-23');
    await sweep('2026-12-01');
    const c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c.stage).toBe('gc_order');
    const short = (await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'deposit.short' && e.payload.reason === 'draw_failed');
    expect(short).toHaveLength(1);
    expect(((await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM batches WHERE project_id = ${p.projectId}`)) as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(0);
    // Once the GC funds the deposit, the next sweep draws it.
    await fundDeposit(p, p.depositRequiredFen, '2026-12-02', 'late');
    await sweep('2026-12-02');
    expect((await caseOf(ctx, p.projectId, MONTH))!).toMatchObject({ stage: 'deposit_notice', stage_deadline: '2026-12-09' });
  });

  it("the construction unit's missed allocation makes it responsible, capped at what it did not pay", async () => {
    const p = await project({ workers: 1 });
    await ctx.deps.db.transaction((tx) => setAllocationSchedule(tx, p.projectId, { cycleMonths: 1, dueDay: 5, amountFen: 2_000_000, startMonth: '2026-10' }));
    const lines = await sheet(ctx, p.projectId, p.subId, MONTH, [{ workerId: p.workerIds[0]!, netFen: 700_000 }]);
    await setLine(ctx, lines.get(p.workerIds[0]!)!, 'missing');
    const r = await sweep('2026-11-16');
    const c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c.responsible.constructionUnit).toMatchObject({ companyId: p.constructionUnitId, capFen: 4_000_000 });
    expect(c.responsible.constructionUnit.missedCycles).toHaveLength(2); // due 10-05 and 11-05, both on or before the pay date
    expect(r.signals['sweep.allocation_missed']).toBeGreaterThanOrEqual(2);
    expect((await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'sweep.allocation_missed')).toHaveLength(2);
  });

  it('a sheet never submitted: signal on the day after the pay day, a case after the grace period, no deposit draw without amounts', async () => {
    const p = await project({ workers: 2, attendance: true });
    const r0 = await sweep('2026-11-11');
    expect(r0.signals['sweep.payroll_not_submitted']).toBeGreaterThanOrEqual(1);
    expect((await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'sweep.payroll_not_submitted')[0]!.payload).toMatchObject({ employerId: p.subId, month: MONTH, workers: 2 });
    expect(await caseOf(ctx, p.projectId, MONTH)).toBeUndefined();
    await sweep('2026-11-16');
    let c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c).toMatchObject({ origin: 'not_submitted', stage: 'overdue_notice', workers_owed: 2, workers_unpaid: 2 });
    await sweep('2026-11-23');
    await sweep('2026-12-01');
    c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c.stage).toBe('gc_order'); // nothing to draw: amounts unknown
    const notes = (await ctx.deps.db.execute(sql`SELECT note FROM arrears_case_events WHERE case_id = ${c.id} ORDER BY "on"`)) as unknown as { rows: { note: string }[] };
    expect(notes.rows.at(-1)!.note).toMatch(/no wage sheet/);
    // The sheet arrives late and is paid by the employer: the case closes, cleared by the employer.
    const lines = await sheet(ctx, p.projectId, p.subId, MONTH, p.workerIds.map((w) => ({ workerId: w, netFen: 450_000 })));
    for (const id of lines.values()) await setLine(ctx, id, 'paid_late', 450_000, null);
    await sweep('2026-12-02');
    c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c).toMatchObject({ stage: 'closed', cleared_by: { employer: 900_000 } });
    expect(Number(c.amount_owed_fen)).toBe(900_000);
  });

  it('partial payments: the employer pays part, the GC the rest; the deposit is never drawn for money already paid', async () => {
    const p = await project({ workers: 2 });
    const [w1, w2] = p.workerIds as [string, string];
    const lines = await sheet(ctx, p.projectId, p.subId, MONTH, [{ workerId: w1, netFen: 800_000 }, { workerId: w2, netFen: 500_000 }]);
    await setLine(ctx, lines.get(w1)!, 'underpaid', 300_000, null); // 500,000 still owed
    await setLine(ctx, lines.get(w2)!, 'missing');
    await sweep('2026-11-16');
    let c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(Number(c.amount_owed_fen)).toBe(1_000_000);
    // The employer pays worker 2 late.
    await setLine(ctx, lines.get(w2)!, 'paid_late', 500_000, null);
    await sweep('2026-11-17');
    c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c).toMatchObject({ status: 'open', workers_unpaid: 1, cleared_by: { employer: 500_000 } });
    await sweep('2026-11-23');
    const pay = await ctx.app.inject({ method: 'POST', url: `/v1/cases/${c.id}/gc-payments`, headers: p.headers.gc, payload: { debtorAccount: 'GC-OWN-002', asOf: '2026-11-24' } });
    expect(pay.json()).toMatchObject({ lineCount: 1, totalFen: 500_000 });
    // The GC's payment is still with the bank when the order expires: no deposit draw.
    await sweep('2026-12-01');
    c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c.stage).toBe('gc_order');
    expect(((await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM deposit_draws WHERE project_id = ${p.projectId}`)) as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(0);
    await bankSettles(ctx, pay.json().batchId, '2026-12-02');
    await sweep('2026-12-02');
    c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c).toMatchObject({ stage: 'closed', cleared_by: { employer: 500_000, gc: 500_000 } });
    expect(Number(c.amount_cleared_fen)).toBe(1_000_000);
  });

  it('inspector actions: manual GC order, deposit notice, mass incident; clearance per county and month', async () => {
    const p = await project({ workers: 1 });
    await fundDeposit(p, p.depositRequiredFen, '2026-10-01', 'initial');
    const lines = await sheet(ctx, p.projectId, p.subId, '2026-09', [{ workerId: p.workerIds[0]!, netFen: 300_000 }]);
    await setLine(ctx, lines.get(p.workerIds[0]!)!, 'wrong_account', 300_000, null);
    await sweep('2026-10-16');
    const c = (await caseOf(ctx, p.projectId, '2026-09'))!;
    const early = await ctx.app.inject({ method: 'POST', url: `/v1/cases/${c.id}/deposit-notice`, headers: p.headers.inspector, payload: { asOf: '2026-10-17' } });
    expect(early.statusCode).toBe(409);
    expect((await ctx.app.inject({ method: 'POST', url: `/v1/cases/${c.id}/gc-order`, headers: p.headers.gc, payload: {} })).statusCode).toBe(403);
    const o = await ctx.app.inject({ method: 'POST', url: `/v1/cases/${c.id}/gc-order`, headers: p.headers.inspector, payload: { asOf: '2026-10-16' } });
    expect(o.json()).toMatchObject({ stage: 'gc_order', deadline: '2026-10-23' });
    const d = await ctx.app.inject({ method: 'POST', url: `/v1/cases/${c.id}/deposit-notice`, headers: p.headers.inspector, payload: { asOf: '2026-10-19' } });
    expect(d.statusCode, d.body).toBe(200);
    expect(d.json()).toMatchObject({ stage: 'deposit_notice', deadline: '2026-10-26' });
    const m = await ctx.app.inject({ method: 'POST', url: `/v1/cases/${c.id}/mass-incident`, headers: p.headers.inspector, payload: { note: 'workers gathered at the site gate', asOf: '2026-10-19' } });
    expect(m.json()).toMatchObject({ massIncident: true, gcOrderIgnored: false });

    const cl = await ctx.app.inject({ method: 'GET', url: `/v1/clearance?countyCode=${p.countyCode}&month=2026-09`, headers: p.headers.inspector });
    expect(cl.statusCode, cl.body).toBe(200);
    expect(cl.json()).toMatchObject({ targetBp: 9900 });
    const row = cl.json().items.find((x: { industry: string }) => x.industry === 'housing');
    expect(row.caseIds).toContain(c.id);
    expect(row.amountOwedFen).toBeGreaterThanOrEqual(300_000);
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/clearance?countyCode=${p.countyCode}`, headers: p.headers.otherInspector })).json().items).toEqual([]);
  });
});
