/**
 * Issue 19 items 0 and 7: wages are owed on pay day whether or not the GC approved the sheet or the
 * construction unit funded the account; an order unpaid at its deadline is ignored whatever the
 * deposit. Whole stories through HTTP (sheets, approvals, sweeps, blacklist sweep).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { caseOf, outboxOf, setLine, sheet, sweepTwice } from './enforcement.fixtures.js';
import { relayAll } from './alert-fixtures.js';

/** Alert types in a contractor's own feed (GET /v1/alerts with its key), for one project. */
async function feedTypes(headers: Record<string, string>, projectId: string): Promise<string[]> {
  await relayAll(ctx);
  const r = await ctx.app.inject({ url: `/v1/alerts?projectId=${projectId}&limit=500`, headers });
  expect(r.statusCode, r.body).toBe(200);
  return (r.json() as { items: { type: string }[] }).items.map((a) => a.type);
}

let ctx: TestContext;
const MONTH = '2026-10'; // payday 10 → pay date Tue 2026-11-10; grace 3 days → owed from 2026-11-14

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx?.close());

const sweep = (asOf: string) => sweepTwice<{ opened: { caseId: string; projectId: string }[]; signals: Record<string, number> }>(ctx, asOf);

async function submit(p: SeededProject, netFen: number) {
  const lines = p.workerIds.map((workerId) => ({ workerId, daysWorked: 20, grossFen: netFen, deductionsFen: 0, netFen }));
  const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.projectId}/payrolls`, headers: p.headers.sub,
    payload: { month: MONTH, employerId: p.subId, control: { lineCount: lines.length, totalNetFen: netFen * lines.length }, lines } });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().id as string;
}

/** Proposals the daily sweep (which runs the blacklist sweep) made for a project's companies. */
const proposals = async (companyIds: string[]) => ((await ctx.deps.db.execute(sql`
  SELECT company_id AS "companyId", basis->>'rule' AS rule FROM blacklist_entries WHERE company_id = ANY(${`{${companyIds.join(',')}}`}::uuid[]) ORDER BY company_id`)) as unknown as {
  rows: { companyId: string; rule: string | null }[] }).rows;

describe('item 0: a sheet the GC never approves is owed on pay day', () => {
  it('12 workers, ¥120,000 submitted, never approved: GC signal from pay day − 2 WD, a case naming the GC, the ladder, the blacklist', async () => {
    const p = await seedProject(ctx, { workers: 12, month: MONTH, payday: 10, sub2: false });
    const payrollId = await submit(p, 1_000_000);
    // Before pay day − 2 working days (Fri 2026-11-06): nothing.
    expect((await sweep('2026-11-05')).signals['sweep.approval_missing']).toBe(0);
    const s0 = await sweep('2026-11-06');
    expect(s0.signals['sweep.approval_missing']).toBe(1);
    const sig = (await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'sweep.approval_missing');
    expect(sig[0]!.payload).toMatchObject({ payrollId, month: MONTH, payDate: '2026-11-10', generalContractorId: p.gcId, lines: 12 });
    await sweep('2026-11-13');
    expect(await caseOf(ctx, p.projectId, MONTH)).toBeUndefined(); // inside the grace period
    await sweep('2026-11-16');
    let c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c).toMatchObject({ stage: 'overdue_notice', workers_owed: 12, workers_unpaid: 12, origin: 'lines' });
    expect(Number(c.amount_owed_fen)).toBe(12_000_000);
    expect(c.responsible).toMatchObject({ direct: { companyId: p.subId }, total: { companyId: p.gcId }, approvalMissing: { companyId: p.gcId, role: 'general_contractor' } });
    const opened = (await outboxOf(ctx, p.projectId)).find((e) => e.type === 'case.opened')!;
    expect(opened.payload.causes).toEqual(['unapproved']);
    await sweep('2026-11-23');
    expect((await caseOf(ctx, p.projectId, MONTH))!.stage).toBe('gc_order');
    // The order's deadline passes unpaid; the deposit was never paid in: the order is ignored all the same.
    await sweep('2026-12-01');
    c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c).toMatchObject({ stage: 'gc_order', gc_order_ignored: true });
    const ev = await proposals([p.gcId, p.subId, p.constructionUnitId]);
    expect(ev.map((x) => x.companyId).sort()).toEqual([p.gcId, p.subId].sort());
    expect(ev.find((x) => x.companyId === p.gcId)!.rule).toBe('multi_worker');
  });
});

describe('item 0: the construction unit never funds the wage account', () => {
  it('4 workers, ¥28,800 approved, no allocation: owed past pay day, the construction unit named, the GC totally responsible', async () => {
    const p = await seedProject(ctx, { workers: 4, month: MONTH, payday: 10, sub2: false });
    const payrollId = await submit(p, 720_000);
    const ap = await ctx.app.inject({ method: 'POST', url: `/v1/payrolls/${payrollId}/approve`, headers: p.headers.gc });
    expect(ap.statusCode, ap.body).toBe(200);
    expect(ap.json().batchStatus).toBe('awaiting_funds');
    let openedOn: string | null = null;
    for (let d = 10; d <= 25; d++) {
      const asOf = `2026-11-${String(d).padStart(2, '0')}`;
      const r = await sweep(asOf);
      if (!openedOn && r.opened.some((o) => o.projectId === p.projectId)) openedOn = asOf;
    }
    expect(openedOn).toBe('2026-11-14');
    const c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(Number(c.amount_owed_fen)).toBe(2_880_000);
    expect(c.responsible).toMatchObject({ total: { companyId: p.gcId, role: 'general_contractor' }, constructionUnit: { companyId: p.constructionUnitId, allocationMissing: true } });
    expect(c.responsible.approvalMissing).toBeUndefined();
    expect(c.stage).toBe('gc_order'); // climbs the same ladder
    const note = (await ctx.deps.db.execute(sql`SELECT note FROM arrears_case_events WHERE case_id = ${c.id} AND stage = 'overdue_notice'`)) as unknown as { rows: { note: string }[] };
    expect(note.rows[0]!.note).toMatch(/construction unit did not fund/);
  });

  it('a pending line the bank acknowledged is left to reconciliation (no case from the sweep alone)', async () => {
    const p = await seedProject(ctx, { workers: 1, month: MONTH, payday: 10, sub2: false });
    const lines = await sheet(ctx, p.projectId, p.subId, MONTH, [{ workerId: p.workerIds[0]!, netFen: 500_000 }]);
    const batchId = (await ctx.deps.db.execute(sql`INSERT INTO batches (id, project_id, kind, bank_id, debtor_account, debtor_name, status, line_count, total_fen, requested_execution_date, from_account_id)
      SELECT gen_random_uuid(), ${p.projectId}, 'payroll', ${p.bankId}, 'x', 'x', 'acknowledged', 1, 500000, '2026-11-10', gen_random_uuid() RETURNING id`)) as unknown as { rows: { id: string }[] };
    expect(batchId.rows).toHaveLength(1);
    await ctx.deps.db.execute(sql`UPDATE payrolls SET batch_id = ${batchId.rows[0]!.id} WHERE id = (SELECT payroll_id FROM payroll_lines WHERE id = ${[...lines.values()][0]!})`);
    await sweep('2026-11-16');
    expect(await caseOf(ctx, p.projectId, MONTH)).toBeUndefined();
  });
});

describe('item 7: no deposit, the pay-first order is ignored all the same', () => {
  it('¥2.5M project, deposit waived, 12 workers owed ¥4,000 each: ignored, shortfall recorded, GC hears it, GC proposed for the blacklist', async () => {
    const p = await seedProject(ctx, { workers: 12, month: MONTH, payday: 10, sub2: false, contractPriceFen: 250_000_000 });
    expect(p.depositRequiredFen).toBe(0);
    const lines = await sheet(ctx, p.projectId, p.subId, MONTH, p.workerIds.map((workerId) => ({ workerId, netFen: 400_000 })));
    for (const id of lines.values()) await setLine(ctx, id, 'missing');
    await sweep('2026-11-16');
    await sweep('2026-11-23');
    let c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c).toMatchObject({ stage: 'gc_order', gc_order_ignored: false });
    await sweep('2026-12-01');
    c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c.gc_order_ignored).toBe(true);
    const row = (await ctx.deps.db.execute(sql`SELECT deposit_shortfall_fen, gc_order_ignored_on::text FROM arrears_cases WHERE id = ${c.id}`)) as unknown as { rows: { deposit_shortfall_fen: string; gc_order_ignored_on: string }[] };
    expect(row.rows[0]).toEqual({ deposit_shortfall_fen: '4800000', gc_order_ignored_on: '2026-12-01' });
    const ignored = (await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'case.order_ignored');
    expect(ignored).toHaveLength(1);
    expect(ignored[0]!.payload).toMatchObject({ caseId: c.id, generalContractorId: p.gcId, shortfallFen: 4_800_000 });
    await sweep('2026-12-02');
    expect((await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'case.order_ignored')).toHaveLength(1); // once
    expect((await proposals([p.gcId])).map((x) => x.companyId)).toEqual([p.gcId]);
    // The GC hears its order, the ignored order and its blacklist proposal in its own feed; the employer
    // hears the case; another tenant's GC hears nothing of this project.
    const gcFeed = await feedTypes(p.headers.gc, p.projectId);
    expect(gcFeed).toEqual(expect.arrayContaining(['case_opened', 'case_gc_order', 'case_order_ignored']));
    const bl = await ctx.app.inject({ url: '/v1/alerts?type=blacklist_proposed', headers: p.headers.gc });
    expect((bl.json() as { items: { companyId: string }[] }).items.map((a) => a.companyId)).toEqual([p.gcId]); // its own proposal, not the employer's
    const subFeed = await feedTypes(p.headers.sub, p.projectId);
    expect(subFeed).toEqual(expect.arrayContaining(['case_opened']));
    const other = await seedProject(ctx, { workers: 0, sub2: false, countyCode: '220721' });
    expect(await feedTypes(other.headers.gc, p.projectId)).toEqual([]);
    // Credit counts the ignored order against the GC.
    const rc = await ctx.app.inject({ method: 'POST', url: '/v1/admin/credit/recompute', headers: ctx.admin, payload: { asOf: '2026-12-03', companyId: p.gcId } });
    expect(rc.statusCode, rc.body).toBe(200);
    const cr = await ctx.app.inject({ url: `/v1/companies/${p.gcId}/credit`, headers: ctx.admin });
    expect(JSON.stringify(cr.json())).toMatch(/gc_order_ignored/);
  });
});

describe('item 9: the bank must pay a deposit payment notice within 5 working days', () => {
  it('a missed payment date is an alert and a case timeline entry, once', async () => {
    const p = await seedProject(ctx, { workers: 2, month: MONTH, payday: 10, sub2: false });
    const dep = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.projectId}/deposit/replenishments`, headers: ctx.admin,
      payload: { amountFen: p.depositRequiredFen, valueDate: '2026-03-10', reference: `DEP-${p.projectId.slice(-8)}` } });
    expect(dep.statusCode, dep.body).toBe(201);
    const lines = await sheet(ctx, p.projectId, p.subId, MONTH, p.workerIds.map((workerId) => ({ workerId, netFen: 500_000 })));
    for (const id of lines.values()) await setLine(ctx, id, 'missing');
    for (const d of ['2026-11-16', '2026-11-23', '2026-12-01']) await sweep(d);
    const c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c).toMatchObject({ stage: 'deposit_notice', stage_deadline: '2026-12-08' });
    await sweep('2026-12-08');
    expect((await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'deposit.payment_overdue')).toHaveLength(0);
    await sweep('2026-12-09');
    await sweep('2026-12-10');
    const late = (await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'deposit.payment_overdue');
    expect(late).toHaveLength(1);
    expect(late[0]!.payload).toMatchObject({ caseId: c.id, deadline: '2026-12-08', amountFen: 1_000_000 });
    const timeline = await ctx.app.inject({ url: `/v1/cases/${c.id}`, headers: p.headers.inspector });
    expect(timeline.json().timeline.filter((t: { note: string }) => /did not pay the deposit payment notice/.test(t.note))).toHaveLength(1);
  });
});

describe('item 0: a late approval does not pay twice', () => {
  it('lines the deposit already paid are left out of the payroll batch of a sheet approved afterwards', async () => {
    const p = await seedProject(ctx, { workers: 2, month: MONTH, payday: 10, sub2: false });
    await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.projectId}/deposit/replenishments`, headers: ctx.admin,
      payload: { amountFen: p.depositRequiredFen, valueDate: '2026-03-10', reference: `DEP-${p.projectId.slice(-8)}` } });
    const payrollId = await submit(p, 500_000);
    for (const d of ['2026-11-16', '2026-11-23', '2026-12-01']) await sweep(d);
    expect((await caseOf(ctx, p.projectId, MONTH))!.stage).toBe('deposit_notice');
    const ap = await ctx.app.inject({ method: 'POST', url: `/v1/payrolls/${payrollId}/approve`, headers: p.headers.gc });
    expect(ap.statusCode, ap.body).toBe(200);
    expect(ap.json()).toMatchObject({ batchId: null, batchStatus: 'none' });
  });
});

describe('item 15: the pay month of the contract', () => {
  it('a project paying the current month (当月) owes October on 10 October: the case opens after its own grace period', async () => {
    const p = await seedProject(ctx, { workers: 1, month: MONTH, payday: 10, sub2: false });
    await ctx.deps.db.execute(sql`UPDATE projects SET pay_month = 'current' WHERE id = ${p.projectId}`); // as registered with payMonth: 'current'
    const lines = await sheet(ctx, p.projectId, p.subId, MONTH, [{ workerId: p.workerIds[0]!, netFen: 500_000 }]);
    await setLine(ctx, lines.get(p.workerIds[0]!)!, 'missing');
    await sweep('2026-10-13'); // pay date Sat 10-10 is a make-up working day in 2026; due 10-13
    expect(await caseOf(ctx, p.projectId, MONTH)).toBeUndefined();
    await sweep('2026-10-14');
    const c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c).toMatchObject({ stage: 'overdue_notice', workers_owed: 1 });
    const pd = (await ctx.deps.db.execute(sql`SELECT pay_date::text FROM arrears_cases WHERE id = ${c.id}`)) as unknown as { rows: { pay_date: string }[] };
    expect(pd.rows[0]!.pay_date).toBe('2026-10-10');
  });
});
