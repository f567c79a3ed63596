/**
 * Issue 19 follow-up (money, "no double pay"): a payroll batch is funded and approved (`ready`) but the
 * bank has not pulled it by pay day; the sweeps open an arrears case (cause `unsent`) and the GC pays
 * first. Either the case's payment withdraws the lines from the batch before the bank pulls it (both
 * lock the batch row), or the bank pulled first and the case does not pay those lines again. Each
 * worker is paid exactly once, as the bank simulator, the instructions and the ledger see it; another
 * company's ready batch is untouched. Whole stories through HTTP with the daily sweeps.
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

const inject: Http = async (r) => {
  const res = await ctx.app.inject({ method: r.method, url: r.path, headers: r.headers, payload: r.body });
  return { status: res.statusCode, body: res.body };
};

/** The project's bank pulls every ready batch (GET, acknowledge) and pays every line. */
async function bank(p: SeededProject, valueDate: string) {
  const rep = await runBankSimOnce(inject, {
    bankKey: p.headers.bank.authorization.slice(7), bankCode: p.bankCode, secret: p.webhookSecret, valueDate, settleRate: 1, reasonCodes: ['AM04'], randomFor: () => () => 0.1,
  });
  await applyInbox(ctx);
  expect(rep.failures).toBe(0);
  return rep;
}

/** Funded first, then filed and approved: the batch is `ready` with its holds taken. */
async function readyBatch(p: SeededProject): Promise<string> {
  await fundWage(ctx, p, NET * p.workerIds.length);
  const lines = p.workerIds.map((workerId) => ({ workerId, daysWorked: 20, grossFen: NET, deductionsFen: 0, netFen: NET }));
  const s = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.projectId}/payrolls`, headers: p.headers.sub,
    payload: { month: MONTH, employerId: p.subId, control: { lineCount: lines.length, totalNetFen: NET * lines.length }, lines } });
  expect(s.statusCode, s.body).toBe(201);
  const ap = await ctx.app.inject({ method: 'POST', url: `/v1/payrolls/${s.json().id}/approve`, headers: p.headers.gc });
  expect(ap.statusCode, ap.body).toBe(200);
  expect(ap.json().batchStatus).toBe('ready');
  return ap.json().batchId as string;
}

/** Past pay day + grace with the batch never pulled: a case opens for every line (cause unsent). */
async function caseFor(p: SeededProject) {
  for (const d of ['2026-11-10', '2026-11-11', '2026-11-12', '2026-11-13', '2026-11-14']) await sweepTwice(ctx, d);
  const c = (await caseOf(ctx, p.projectId, MONTH))!;
  expect(c).toMatchObject({ status: 'open', amount_owed_fen: String(p.workerIds.length * NET) });
  return c;
}

const gcPay = (p: SeededProject, caseId: string) =>
  ctx.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/gc-payments`, headers: p.headers.gc, payload: { debtorAccount: 'GC-OWN-001', asOf: '2026-11-16' } });
const pull = (p: SeededProject, batchId: string, accept = 'application/json') => ctx.app.inject({ url: `/v1/bank/batches/${batchId}`, headers: { ...p.headers.bank, accept } });

/** Settled money per worker of a project, over every batch (payroll, GC advance, deposit draw). */
const paidPerWorker = async (projectId: string) => Object.fromEntries((await all<{ worker_id: string; fen: string; n: number }>(ctx, sql`
  SELECT i.worker_id, sum(i.amount_fen) AS fen, count(*)::int AS n FROM instructions i WHERE i.project_id = ${projectId} AND i.status = 'settled'
  GROUP BY i.worker_id`)).map((r) => [r.worker_id, { fen: Number(r.fen), n: r.n }]));
/** What the bank reported as paid (ACSC results) for the project's instructions. */
const bankPaid = async (projectId: string) => Number((await one<{ fen: string | null }>(ctx, sql`
  SELECT sum(r.amount_fen) AS fen FROM bank_records r JOIN instructions i ON i.end_to_end_id = r.end_to_end_id
  WHERE i.project_id = ${projectId} AND r.kind = 'result' AND r.status = 'ACSC'`)).fen ?? 0);
const batchRow = (id: string) => one<{ status: string; line_count: number; total_fen: string; closed_reason: string | null; pulled_at: Date | null }>(ctx,
  sql`SELECT status, line_count, total_fen, closed_reason, pulled_at FROM batches WHERE id = ${id}`);

async function paidOnce(p: SeededProject) {
  const paid = await paidPerWorker(p.projectId);
  expect(Object.keys(paid).sort()).toEqual([...p.workerIds].sort());
  for (const w of p.workerIds) expect(paid[w]).toEqual({ fen: NET, n: 1 });
  expect(await bankPaid(p.projectId)).toBe(p.workerIds.length * NET);
}

describe('a ready batch the bank has not pulled, whose lines a case pays', () => {
  it('GC pays first: the lines leave the batch (holds released, closed paid_by_case), the bank then pulls nothing of them; each worker paid once; another project untouched', async () => {
    const p = await seedProject(ctx, { workers: 3, month: MONTH, payday: 10, sub2: false });
    const other = await seedProject(ctx, { workers: 2, month: MONTH, payday: 10, sub2: false, countyCode: '220721' });
    const batchId = await readyBatch(p);
    const otherBatch = await readyBatch(other);
    expect(await balance(ctx, `wage:${p.projectId}`)).toMatchObject({ posted: 3 * NET, pendingOut: 3 * NET });
    const c = await caseFor(p);

    const pay = await gcPay(p, c.id);
    expect(pay.statusCode, pay.body).toBe(201);
    expect(pay.json()).toMatchObject({ lineCount: 3, totalFen: 3 * NET });
    // Same transaction: the payroll batch lost every line, its holds are void, event and audit say so.
    expect(await batchRow(batchId)).toMatchObject({ status: 'cancelled', line_count: 0, total_fen: '0', closed_reason: 'paid_by_case', pulled_at: null });
    const ins = await all<{ status: string; flags: { reason?: string }[]; hold: string }>(ctx, sql`
      SELECT i.status, i.flags, t.status AS hold FROM instructions i JOIN ledger_transactions t ON t.id = i.hold_transaction_id WHERE i.batch_id = ${batchId}`);
    expect(ins).toHaveLength(3);
    for (const i of ins) {
      expect(i).toMatchObject({ status: 'withdrawn', hold: 'voided' });
      expect(i.flags.some((f) => f.reason === 'paid_by_case')).toBe(true);
    }
    expect(await balance(ctx, `wage:${p.projectId}`)).toMatchObject({ posted: 3 * NET, pendingOut: 0 });
    const ev = (await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'batch.lines_withdrawn');
    expect(ev.map((e) => e.payload)).toEqual([expect.objectContaining({ batchId, status: 'cancelled', withdrawnFen: 3 * NET, lineCount: 0 })]);
    expect((await all(ctx, sql`SELECT 1 FROM audit_log WHERE action = 'batch.lines_withdrawn' AND entity_id = ${batchId}`))).toHaveLength(1);

    // The bank pulls: the payroll batch shows none of the paid lines (JSON and pain.001), is no longer listed
    // as ready and cannot be acknowledged; the bank executes the GC's batch only.
    const json = await pull(p, batchId);
    expect(json.statusCode, json.body).toBe(200);
    expect(json.json()).toMatchObject({ status: 'cancelled', lineCount: 0, totalFen: 0, lines: [] });
    const xml = await pull(p, batchId, 'application/xml');
    expect(xml.body).toContain('<NbOfTxs>0</NbOfTxs>');
    expect(xml.body).not.toContain('<CdtTrfTxInf>');
    expect((await ctx.app.inject({ method: 'POST', url: `/v1/bank/batches/${batchId}/acknowledge`, headers: p.headers.bank })).statusCode).toBe(404);
    expect(await bank(p, '2026-11-16')).toMatchObject({ batches: 1, settled: 3 });
    await paidOnce(p);
    expect(await balance(ctx, `wage:${p.projectId}`)).toMatchObject({ posted: 3 * NET, pendingOut: 0 }); // the allocation stays
    expect(await bank(p, '2026-11-17')).toMatchObject({ batches: 0 });

    // The other company's ready batch: untouched by the GC's payment, paid in full by its bank.
    expect(await batchRow(otherBatch)).toMatchObject({ status: 'ready', line_count: 2, total_fen: String(2 * NET), closed_reason: null });
    expect((await outboxOf(ctx, other.projectId)).filter((e) => e.type === 'batch.lines_withdrawn')).toHaveLength(0);
    expect(await bank(other, '2026-11-16')).toMatchObject({ batches: 1, settled: 2 });
    await paidOnce(other);
  });

  it('the bank pulls first (pain.001): the lines are on their way, the GC payment pays nothing again; the bank pays each worker once', async () => {
    const p = await seedProject(ctx, { workers: 3, month: MONTH, payday: 10, sub2: false });
    const batchId = await readyBatch(p);
    const c = await caseFor(p);

    const xml = await pull(p, batchId, 'application/xml');
    expect(xml.statusCode, xml.body).toBe(200);
    expect(xml.body).toContain('<NbOfTxs>3</NbOfTxs>');
    const pulledAt = (await batchRow(batchId)).pulled_at;
    expect(pulledAt).not.toBeNull();
    const audit = await all<{ data: { firstPull: boolean } }>(ctx, sql`SELECT data FROM audit_log WHERE action = 'batch.cards_read' AND entity_id = ${batchId}`);
    expect(audit.map((a) => a.data.firstPull)).toEqual([true]);

    const pay = await gcPay(p, c.id);
    expect(pay.statusCode, pay.body).toBe(409);
    expect(pay.json().code ?? pay.json().type).toMatch(/nothing_owed/);
    expect(await batchRow(batchId)).toMatchObject({ status: 'ready', line_count: 3, total_fen: String(3 * NET) });
    expect((await all(ctx, sql`SELECT 1 FROM batches WHERE project_id = ${p.projectId} AND kind <> 'payroll'`))).toHaveLength(0);
    expect((await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'batch.lines_withdrawn')).toHaveLength(0);

    // The bank executes what it pulled (a second read is not a new pull); each worker is paid once.
    expect(await bank(p, '2026-11-16')).toMatchObject({ batches: 1, settled: 3 });
    expect((await batchRow(batchId)).pulled_at).toEqual(pulledAt);
    await paidOnce(p);
    expect(await balance(ctx, `wage:${p.projectId}`)).toMatchObject({ posted: 0, pendingOut: 0 });
  });

  it('the pull and the GC payment race: whichever takes the batch lock first, each worker is paid exactly once', async () => {
    const p = await seedProject(ctx, { workers: 3, month: MONTH, payday: 10, sub2: false });
    const batchId = await readyBatch(p);
    const c = await caseFor(p);
    const [got, pay] = await Promise.all([pull(p, batchId), gcPay(p, c.id)]);
    expect(got.statusCode, got.body).toBe(200);
    expect([201, 409]).toContain(pay.statusCode);
    // The pull saw either the whole batch (it came first: the GC paid nothing) or none of it.
    expect(got.json().lines).toHaveLength(pay.statusCode === 201 ? 0 : 3);
    await bank(p, '2026-11-16');
    await paidOnce(p);
  });
});
