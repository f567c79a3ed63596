/**
 * Found by the chaos run (issue 22): arrears were judged on line statuses that reconciliation had not
 * caught up with. A worker's card was closed (AC04), the employer gave a new card, the bank re-paid the
 * line and reported it settled; the reconcile job was late (worker killed, Redis flushed), so the sweep
 * still read the line `rejected` and opened a case for wages already paid. And a card-fix re-pay was
 * recorded as the GC's money. Here no worker runs, so every reconcile job stays queued: only the sweep
 * itself can bring the bank's reports in.
 * Second story: a line whose card was closed, paid by the GC's advance while the worker had no card
 * (the advance itself waits as a card fix), must not be paid twice once the new card is active.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBankSimOnce, type Http } from '../../src/modules/disbursement/sim/bank-sim.js';
import { reconcileBatchAndMark } from '../../src/modules/reconciliation/reconciliation.catchup.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, fundWage, NET, submitAndApprove } from '../helpers/disbursement.js';
import { makeBankCard, nextSeed, seedProject, type SeededProject } from '../helpers/seed.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const inject: Http = async (r) => {
  const res = await ctx.app.inject({ method: r.method, url: r.path, headers: r.headers, payload: r.body });
  return { status: res.statusCode, body: res.body };
};
/** The project's bank: `closed` cards are rejected AC04 (a card fault: card fix), `blocked` ones AC06 (no fix). */
const bank = (p: SeededProject, valueDate: string, o: { closed?: string[]; blocked?: string[] } = {}) =>
  runBankSimOnce(inject, {
    bankKey: p.headers.bank.authorization.slice(7), bankCode: p.bankCode, secret: p.webhookSecret, valueDate, settleRate: 0.5, reasonCodes: ['AC06'],
    closedCards: o.closed ?? [], randomFor: (l) => () => (o.blocked?.includes(l.cardNumber) ? 0.9 : 0.1),
  });
const sweep = async (asOf: string) => {
  const r = await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: ctx.admin, payload: { asOf } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as { counts: { opened: number } };
};
const lines = (payrollId: string) => all<{ worker_id: string; status: string; paid_fen: string; paid_by: string | null }>(ctx, sql`
  SELECT worker_id, status, paid_fen::text, paid_by FROM payroll_lines WHERE payroll_id = ${payrollId} ORDER BY worker_id`);
const caseOf = async (p: SeededProject) => (await all<{ id: string; workers_owed: number; amount_owed_fen: string; cleared_by: Record<string, number>; stage: string }>(ctx, sql`
  SELECT id, workers_owed, amount_owed_fen::text, cleared_by, stage FROM arrears_cases WHERE project_id = ${p.projectId} AND month = ${p.month}`))[0];
const newCard = async (p: SeededProject, workerId: string) => {
  const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.projectId}/workers/${workerId}/card`, headers: p.headers.sub, payload: { bankCardNumber: makeBankCard(nextSeed()) } });
  expect(r.statusCode, r.body).toBe(202);
};
/** Every settled payment naming a line of the payroll, per worker (any batch kind: sheet, re-pay, GC, deposit). */
const settledPerWorker = (payrollId: string) => all<{ worker_id: string; paid: string; kinds: string }>(ctx, sql`
  SELECT l.worker_id, sum(i.amount_fen)::text AS paid, string_agg(b.kind, ',' ORDER BY b.kind) AS kinds
  FROM payroll_lines l JOIN instructions i ON i.payroll_line_id = l.id AND i.status = 'settled' JOIN batches b ON b.id = i.batch_id
  WHERE l.payroll_id = ${payrollId} GROUP BY l.worker_id ORDER BY l.worker_id`);

describe('the sweep judges arrears on what the bank has reported', () => {
  it('a card-fix re-pay settled but not yet reconciled opens no case; the re-pay is the employer\'s payment', async () => {
    const p = await seedProject(ctx, { workers: 3, sub2: false }); // month 2026-10, pay day 2026-11-10
    const [w0, w1] = [p.workers[0]!, p.workers[1]!];
    await fundWage(ctx, p, 3 * NET);
    const { payrollId, batchId } = await submitAndApprove(ctx, p);
    // The bank rejects w0 (card closed: AC04) and w1 (account blocked: AC06), pays the third.
    expect(await bank(p, '2026-11-10', { closed: [w0.bankCardNumber], blocked: [w1.bankCardNumber] })).toMatchObject({ batches: 1, settled: 1, rejected: 2 });
    // The sheet's batch is reconciled (as its job would): w0 and w1 rejected.
    await reconcileBatchAndMark(ctx.deps.db, batchId, '2026-11-10');
    expect((await lines(payrollId)).map((l) => l.status).sort()).toEqual(['paid', 'rejected', 'rejected']);
    // The employer gives w0's new card; the bank's holder check activates it and the line is re-paid at once.
    await newCard(p, w0.id);
    expect(await bank(p, '2026-11-10')).toMatchObject({ verified: 1, batches: 1, settled: 1 });
    // No worker runs: the re-pay's reconcile job waits in Redis and w0's line still reads `rejected`.
    expect((await lines(payrollId)).find((l) => l.worker_id === w0.id)).toMatchObject({ status: 'rejected' });

    // Past the grace period: the sweep brings the bank's reports in before it judges.
    const first = await sweep('2026-11-25');
    expect(first.counts.opened).toBe(1);
    const c = (await caseOf(p))!;
    expect(c).toMatchObject({ workers_owed: 1, amount_owed_fen: String(NET) }); // w1 alone, not w0 (paid by the re-pay)
    const byWorker = new Map((await lines(payrollId)).map((l) => [l.worker_id, l]));
    expect(byWorker.get(w0.id)).toMatchObject({ status: 'paid', paid_fen: String(NET), paid_by: 'employer' });
    expect(byWorker.get(w1.id)).toMatchObject({ status: 'rejected', paid_by: null });
    // The sweep ran the re-pay's reconciliation as its job would have, and recorded it (the resume loop's mark).
    const done = await all<{ kind: string; done: boolean }>(ctx, sql`SELECT kind, recon_done_at IS NOT NULL AS done FROM batches WHERE project_id = ${p.projectId} ORDER BY kind`);
    expect(done).toEqual([{ kind: 'card_fix', done: true }, { kind: 'payroll', done: true }]);
    // The same date again changes nothing.
    expect((await sweep('2026-11-25')).counts.opened).toBe(1);
    expect(await caseOf(p)).toEqual(c);
  });

  it('a line the GC paid while the worker had no card is not re-paid when the new card arrives (no double payment)', async () => {
    const p = await seedProject(ctx, { workers: 2, sub2: false });
    const w0 = p.workers[0]!;
    await fundWage(ctx, p, 2 * NET);
    const { payrollId } = await submitAndApprove(ctx, p);
    await bank(p, '2026-11-10', { closed: [w0.bankCardNumber] });
    await sweep('2026-11-25');
    const c = (await caseOf(p))!;
    expect(c).toMatchObject({ workers_owed: 1, amount_owed_fen: String(NET) });
    // The inspector orders the GC to pay first; the GC pays, but w0 has no paying card: the advance waits as a card fix.
    expect((await ctx.app.inject({ method: 'POST', url: `/v1/cases/${c.id}/gc-order`, headers: p.headers.inspector, payload: { asOf: '2026-11-25' } })).statusCode).toBe(200);
    const pay = await ctx.app.inject({ method: 'POST', url: `/v1/cases/${c.id}/gc-payments`, headers: p.headers.gc, payload: { debtorAccount: 'GC-OWN-1', asOf: '2026-11-26' } });
    expect(pay.statusCode, pay.body).toBe(201);
    const open = await ctx.app.inject({ url: `/v1/projects/${p.projectId}/card-fixes?status=open`, headers: p.headers.gc });
    expect(open.json().items).toHaveLength(2); // the wage sheet's payment and the GC's advance, both for w0's one line

    // The new card: the oldest fix (the wage sheet's) is re-paid; the GC's finds the line paid and sends nothing.
    await newCard(p, w0.id);
    expect(await bank(p, '2026-11-27')).toMatchObject({ verified: 1, batches: 1, settled: 1 });
    const fixes = (await ctx.app.inject({ url: `/v1/projects/${p.projectId}/card-fixes`, headers: p.headers.gc })).json().items as { status: string; repayEndToEndId: string | null }[];
    expect(fixes.map((f) => f.status).sort()).toEqual(['cleared', 'repaid']);
    expect(fixes.find((f) => f.status === 'cleared')!.repayEndToEndId).toBeNull();
    const cleared = await ctx.app.inject({ url: `/v1/projects/${p.projectId}/card-fixes?status=cleared`, headers: p.headers.sub });
    expect(cleared.json().items).toHaveLength(1);
    // Paid once: one settled payment of NET for w0 (the re-pay), one for the other worker (the sheet's).
    const settled = new Map((await settledPerWorker(payrollId)).map((x) => [x.worker_id, x]));
    expect(settled.get(w0.id)).toEqual({ worker_id: w0.id, paid: String(NET), kinds: 'card_fix' });
    expect(settled.get(p.workers[1]!.id)).toEqual({ worker_id: p.workers[1]!.id, paid: String(NET), kinds: 'payroll' });
    // The next sweep sees the line paid and closes the case.
    await sweep('2026-11-30');
    expect(await caseOf(p)).toMatchObject({ stage: 'closed', cleared_by: { employer: NET } });
  });
});
