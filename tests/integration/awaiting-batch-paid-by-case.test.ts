/**
 * Issue 19 follow-up (money): a payroll batch waits for the construction unit's allocation
 * (`awaiting_funds`); past pay day an arrears case pays its lines (GC pays first, or the deposit is
 * drawn); then the allocation arrives. The released batch pays only what is still owed: each worker is
 * paid exactly once, as the bank simulator sees it, in the instructions and in the ledger. Whole
 * stories through HTTP with the daily sweeps; another company's project is untouched.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBankSimOnce, type Http } from '../../src/modules/disbursement/sim/bank-sim.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, applyInbox, balance, fundWage, one } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { caseOf, outboxOf, sweepTwice } from './enforcement.fixtures.js';

let ctx: TestContext;
const MONTH = '2026-10'; // payday 10 → pay date 2026-11-10; owed from 2026-11-14
const NET = 500_000;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx?.close());

const sweep = (asOf: string) => sweepTwice<{ opened: { projectId: string }[] }>(ctx, asOf);
const inject: Http = async (r) => {
  const res = await ctx.app.inject({ method: r.method, url: r.path, headers: r.headers, payload: r.body });
  return { status: res.statusCode, body: res.body };
};

/** The project's bank pulls every ready batch and answers; `reject` = end-to-end ids it refuses (AM04). */
async function bank(p: SeededProject, valueDate: string, reject: Set<string> = new Set()) {
  const rep = await runBankSimOnce(inject, {
    bankKey: p.headers.bank.authorization.slice(7), bankCode: p.bankCode, secret: p.webhookSecret, valueDate, settleRate: 0.5, reasonCodes: ['AM04'],
    randomFor: (line) => () => (reject.has(line.endToEndId) ? 0.9 : 0.1),
  });
  await applyInbox(ctx);
  expect(rep.failures).toBe(0);
  return rep;
}

async function submitAndApprove(p: SeededProject): Promise<{ payrollId: string; batchId: string }> {
  const lines = p.workerIds.map((workerId) => ({ workerId, daysWorked: 20, grossFen: NET, deductionsFen: 0, netFen: NET }));
  const s = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.projectId}/payrolls`, headers: p.headers.sub,
    payload: { month: MONTH, employerId: p.subId, control: { lineCount: lines.length, totalNetFen: NET * lines.length }, lines } });
  expect(s.statusCode, s.body).toBe(201);
  const ap = await ctx.app.inject({ method: 'POST', url: `/v1/payrolls/${s.json().id}/approve`, headers: p.headers.gc });
  expect(ap.statusCode, ap.body).toBe(200);
  expect(ap.json().batchStatus).toBe('awaiting_funds'); // no allocation yet
  return { payrollId: s.json().id, batchId: ap.json().batchId };
}

/** Settled money per worker of a project, over every batch (payroll, GC advance, deposit draw). */
const paidPerWorker = async (projectId: string) => Object.fromEntries((await all<{ worker_id: string; fen: string; n: number }>(ctx, sql`
  SELECT i.worker_id, sum(i.amount_fen) AS fen, count(*)::int AS n FROM instructions i WHERE i.project_id = ${projectId} AND i.status = 'settled'
  GROUP BY i.worker_id`)).map((r) => [r.worker_id, { fen: Number(r.fen), n: r.n }]));

/** What the bank reported as paid to each card of the project (ACSC results), by end-to-end id. */
const bankPaid = async (projectId: string) => Number((await one<{ fen: string | null }>(ctx, sql`
  SELECT sum(r.amount_fen) AS fen FROM bank_records r JOIN instructions i ON i.end_to_end_id = r.end_to_end_id
  WHERE i.project_id = ${projectId} AND r.kind = 'result' AND r.status = 'ACSC'`)).fen ?? 0);

const batchRow = (id: string) => one<{ status: string; line_count: number; total_fen: string; shortfall_fen: string; closed_reason: string | null }>(ctx,
  sql`SELECT status, line_count, total_fen, shortfall_fen, closed_reason FROM batches WHERE id = ${id}`);

describe('a waiting batch whose lines a case paid', () => {
  it('GC pays first (one payment bounces), the allocation arrives: the batch pays only the bounced worker; another project is paid in full', async () => {
    const p = await seedProject(ctx, { workers: 4, month: MONTH, payday: 10, sub2: false });
    const other = await seedProject(ctx, { workers: 3, month: MONTH, payday: 10, sub2: false, countyCode: '220721' });
    const { batchId } = await submitAndApprove(p);
    const { batchId: otherBatch } = await submitAndApprove(other);
    let opened = false;
    for (const d of ['2026-11-10', '2026-11-11', '2026-11-12', '2026-11-13', '2026-11-14']) {
      opened = (await sweep(d)).opened.some((o) => o.projectId === p.projectId) || opened;
    }
    expect(opened).toBe(true);
    const c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(Number(c.amount_owed_fen)).toBe(4 * NET);

    // The GC pays every worker first from its own account; the bank refuses one payment (AM04).
    const pay = await ctx.app.inject({ method: 'POST', url: `/v1/cases/${c.id}/gc-payments`, headers: p.headers.gc, payload: { debtorAccount: 'GC-OWN-001', asOf: '2026-11-16' } });
    expect(pay.statusCode, pay.body).toBe(201);
    expect(pay.json()).toMatchObject({ lineCount: 4, totalFen: 4 * NET });
    const gcLines = await all<{ end_to_end_id: string; worker_id: string }>(ctx, sql`SELECT end_to_end_id, worker_id FROM instructions WHERE batch_id = ${pay.json().batchId} ORDER BY worker_id`);
    const bounced = gcLines[0]!;
    const r1 = await bank(p, '2026-11-16', new Set([bounced.end_to_end_id]));
    expect(r1).toMatchObject({ batches: 1, settled: 3, rejected: 1 });

    // The allocation arrives for the whole sheet: the waiting batch keeps only the bounced worker.
    await fundWage(ctx, p, 4 * NET);
    expect(await batchRow(batchId)).toMatchObject({ status: 'ready', line_count: 1, total_fen: String(NET), shortfall_fen: '0', closed_reason: null });
    const ins = await all<{ worker_id: string; status: string; amount_fen: string; flags: { reason?: string }[] }>(ctx,
      sql`SELECT worker_id, status, amount_fen, flags FROM instructions WHERE batch_id = ${batchId} ORDER BY worker_id`);
    expect(ins.filter((i) => i.status === 'instructed').map((i) => i.worker_id)).toEqual([bounced.worker_id]);
    expect(ins.filter((i) => i.status === 'withdrawn')).toHaveLength(3);
    expect(ins.filter((i) => i.status === 'withdrawn').every((i) => i.flags.some((f) => f.reason === 'paid_by_case'))).toBe(true);
    // The ledger holds only what the batch still pays; the event and the audit row say what was withdrawn.
    expect(await balance(ctx, `wage:${p.projectId}`)).toMatchObject({ posted: 4 * NET, pendingOut: NET });
    const ev = (await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'batch.lines_withdrawn');
    expect(ev).toHaveLength(1);
    expect(ev[0]!.payload).toMatchObject({ batchId, reason: 'paid_by_case', withdrawnFen: 3 * NET, lineCount: 1, totalFen: NET, status: 'awaiting_funds' });
    const audit = await all<{ data: { withdrawnFen: number } }>(ctx, sql`SELECT data FROM audit_log WHERE action = 'batch.lines_withdrawn' AND entity_id = ${batchId}`);
    expect(audit.map((a) => a.data.withdrawnFen)).toEqual([3 * NET]);

    // The bank sees one line in the released batch, and each worker ends up paid exactly once.
    const detail = await ctx.app.inject({ url: `/v1/bank/batches/${batchId}`, headers: p.headers.bank });
    expect(detail.json()).toMatchObject({ lineCount: 1, totalFen: NET });
    expect(detail.json().lines).toHaveLength(1);
    const r2 = await bank(p, '2026-11-17');
    expect(r2).toMatchObject({ batches: 1, settled: 1, rejected: 0 });
    const paid = await paidPerWorker(p.projectId);
    expect(Object.keys(paid).sort()).toEqual([...p.workerIds].sort());
    for (const w of p.workerIds) expect(paid[w]).toEqual({ fen: NET, n: 1 });
    expect(await bankPaid(p.projectId)).toBe(4 * NET);
    expect(await balance(ctx, `wage:${p.projectId}`)).toMatchObject({ posted: 3 * NET, pendingOut: 0 });
    // A second credit changes nothing in the batch (replays and later credits are no-ops).
    await fundWage(ctx, p, 1);
    expect(await batchRow(batchId)).toMatchObject({ line_count: 1, total_fen: String(NET) });
    expect((await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'batch.lines_withdrawn')).toHaveLength(1);

    // The other company's project: no one paid its workers meanwhile, so its batch is readied and paid in full.
    await fundWage(ctx, other, 3 * NET);
    expect(await batchRow(otherBatch)).toMatchObject({ status: 'ready', line_count: 3, total_fen: String(3 * NET) });
    expect((await outboxOf(ctx, other.projectId)).filter((e) => e.type === 'batch.lines_withdrawn')).toHaveLength(0);
    expect((await bank(other, '2026-11-17')).settled).toBe(3);
    for (const w of other.workerIds) expect((await paidPerWorker(other.projectId))[w]).toEqual({ fen: NET, n: 1 });
  });

  it('the deposit pays every line, the allocation arrives: the batch is closed unsent (cancelled, paid_by_case), nothing reaches the bank', async () => {
    const p = await seedProject(ctx, { workers: 3, month: MONTH, payday: 10, sub2: false });
    const dep = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.projectId}/deposit/replenishments`, headers: ctx.admin,
      payload: { amountFen: p.depositRequiredFen, valueDate: '2026-03-10', reference: `DEP-${p.projectId.slice(-8)}` } });
    expect(dep.statusCode, dep.body).toBe(201);
    const { batchId, payrollId } = await submitAndApprove(p);
    for (const d of ['2026-11-16', '2026-11-23', '2026-12-01']) await sweep(d);
    const c = (await caseOf(ctx, p.projectId, MONTH))!;
    expect(c.stage).toBe('deposit_notice');
    const r1 = await bank(p, '2026-12-02');
    expect(r1).toMatchObject({ batches: 1, settled: 3 }); // the deposit draw

    await fundWage(ctx, p, 3 * NET);
    expect(await batchRow(batchId)).toMatchObject({ status: 'cancelled', line_count: 0, total_fen: '0', shortfall_fen: '0', closed_reason: 'paid_by_case' });
    expect(await balance(ctx, `wage:${p.projectId}`)).toMatchObject({ posted: 3 * NET, pendingOut: 0 }); // the allocation stays in the account
    const ev = (await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'batch.lines_withdrawn');
    expect(ev.map((e) => e.payload)).toEqual([expect.objectContaining({ batchId, payrollId, status: 'cancelled', withdrawnFen: 3 * NET, lineCount: 0 })]);
    // Nothing for the bank: not listed, not acknowledgeable, and each worker was paid once (by the deposit).
    const listed = await ctx.app.inject({ url: '/v1/bank/batches?status=cancelled', headers: p.headers.bank });
    expect(listed.json().items.map((b: { id: string }) => b.id)).toEqual([batchId]);
    expect((await ctx.app.inject({ method: 'POST', url: `/v1/bank/batches/${batchId}/acknowledge`, headers: p.headers.bank })).statusCode).toBe(404);
    expect((await bank(p, '2026-12-03')).batches).toBe(0);
    const paid = await paidPerWorker(p.projectId);
    for (const w of p.workerIds) expect(paid[w]).toEqual({ fen: NET, n: 1 });
    expect(await bankPaid(p.projectId)).toBe(3 * NET);
    // The sweep after it still runs clean (and twice gives the same answer).
    await sweep('2026-12-04');
  });
});
