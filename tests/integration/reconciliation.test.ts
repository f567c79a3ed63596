import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { QueueEvents, Worker } from 'bullmq';
import { newId } from '../../src/lib/ids.js';
import { jobId } from '../../src/jobs/queues.js';
import processReconcile from '../../workers/reconcile.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { allCasesScenario, bankRecord, count, lineState, queueEvents, startWorker, type Scenario } from './reconciliation.fixtures.js';

// Month 2026-09, payday 17 → 2026-10-17 is a Saturday, so the effective pay date moves to Friday 2026-10-16.
// Grace 3 days → a line with nothing from the bank is missing after 2026-10-19.
const MONTH = '2026-09';
const NET = 500_000;

let ctx: TestContext;
let worker: Worker;
let events: QueueEvents;
let s: Scenario;
let rec: Record<string, string>;
let run = 0;

async function reconcile(data: Record<string, unknown>) {
  const job = await ctx.deps.queues.reconcile.add('reconcile', data, { jobId: jobId('reconcile', String(data.batchId ?? data.projectId ?? data.month), `run${++run}`) });
  return job.waitUntilFinished(events, 30_000);
}
const outboxCount = (type: string) => count(ctx, sql`SELECT count(*) AS n FROM outbox WHERE type = ${type}`);
const historyCount = () => count(ctx, sql`SELECT count(*) AS n FROM recon_line_history_all`);

beforeAll(async () => {
  ctx = await createTestContext();
  worker = startWorker(ctx, processReconcile);
  events = queueEvents(ctx);
  await events.waitUntilReady();
  ({ s, rec } = await allCasesScenario(ctx));
});
afterAll(async () => {
  await worker?.close();
  await events?.close();
  await ctx?.close();
});

describe('reconcile job through BullMQ', () => {
  it('classifies every line of a batch before the deadline', async () => {
    const res = await reconcile({ batchId: s.batchId, asOf: '2026-10-19' });
    // 13 lines change; the two still pending were pending already (nothing to record)
    expect(res).toMatchObject({ lines: 15, changed: 13, orphans: 3, chunks: 1, chunksDone: 1 });
    const st = await lineState(ctx, s.lines);
    const pick = (k: string) => [st[k]!.status, st[k]!.reason_code];
    expect(pick('paid')).toEqual(['paid', null]);
    expect(pick('late')).toEqual(['paid_late', null]);
    expect(pick('under')).toEqual(['underpaid', null]);
    expect(pick('over')).toEqual(['overpaid', null]);
    expect(pick('rejected')).toEqual(['rejected', 'AC04']);
    expect(pick('foreign')).toEqual(['wrong_account', 'NOT_OWN_CARD']);
    expect(pick('shared1')).toEqual(['wrong_account', 'SHARED_CARD']);
    expect(pick('shared2')).toEqual(['wrong_account', 'SHARED_CARD']);
    expect(pick('dup')).toEqual(['duplicate', null]);
    expect(pick('missing')).toEqual(['pending', null]); // deadline not passed yet
    expect(pick('pending')).toEqual(['pending', null]);
    expect(pick('returned')).toEqual(['rejected', 'AC06']);
    expect(pick('inferred')).toEqual(['paid', null]);
    expect(pick('deposit')).toEqual(['paid', null]);
    expect(pick('foreignUnder')).toEqual(['wrong_account', 'NOT_OWN_CARD']);
    expect(st.inferred).toMatchObject({ inferred: true, paid_fen: NET, paid_on: '2026-10-15', paid_by: 'employer' });
    expect(st.paid).toMatchObject({ inferred: false, paid_fen: NET, paid_on: '2026-10-16', paid_by: 'employer', recon_version: 1 });
    expect(st.late).toMatchObject({ paid_on: '2026-10-17' });
    expect(st.under).toMatchObject({ paid_fen: NET - 100 });
    expect(st.over).toMatchObject({ paid_fen: NET + 100 });
    expect(st.dup).toMatchObject({ paid_fen: 2 * NET });
    expect(st.deposit).toMatchObject({ paid_by: 'deposit', paid_on: '2026-10-28', paid_fen: NET });
    expect(st.returned).toMatchObject({ paid_fen: 0, paid_on: null, paid_by: null });
    const orphans = (await ctx.deps.db.execute(sql`SELECT bank_record_id FROM recon_orphans ORDER BY 1`)) as unknown as { rows: { bank_record_id: string }[] };
    expect(orphans.rows.map((o) => o.bank_record_id).sort()).toEqual([rec.orphanResult, rec.orphanReturn, rec.orphanStmt].sort());
    // history: one version per line; the decision names its bank records
    expect(await historyCount()).toBe(13);
    const h = (await ctx.deps.db.execute(sql`SELECT from_status, to_status, reason, bank_record_ids FROM recon_line_history_all WHERE line_id = ${s.lines.returned}`)) as unknown as { rows: { from_status: string; to_status: string; reason: string; bank_record_ids: string[] }[] };
    expect(h.rows).toEqual([{ from_status: 'pending', to_status: 'rejected', reason: 'returned:AC06', bank_record_ids: [rec.returnedSettled, rec.returned].sort() }]);
    // the routine pending → paid is stored compactly (per payroll) yet reads per line like any other version
    expect(await count(ctx, sql`SELECT count(*) AS n FROM recon_line_history WHERE line_id = ${s.lines.paid}`)).toBe(0);
    const hp = (await ctx.deps.db.execute(sql`SELECT version, from_status, to_status, reason, paid_fen::int AS paid_fen, paid_on::text AS paid_on, paid_by, inferred, cardinality(bank_record_ids) AS n
      FROM recon_line_history_all WHERE payroll_id = ${s.payrollId} AND line_id = ${s.lines.paid}`)) as unknown as { rows: unknown[] };
    expect(hp.rows).toEqual([{ version: 1, from_status: 'pending', to_status: 'paid', reason: 'settled', paid_fen: NET, paid_on: '2026-10-16', paid_by: 'employer', inferred: false, n: 1 }]);
    // events: problem statuses only (10 lines), plus one per orphan; they carry project, county and employer
    expect(await outboxCount('line.status_changed')).toBe(10);
    expect(await outboxCount('bank_record.orphan')).toBe(3);
    const ev = (await ctx.deps.db.execute(sql`SELECT project_id, company_id, county_code, payload FROM outbox WHERE type = 'line.status_changed' AND payload->>'lineId' = ${s.lines.foreign}`)) as unknown as { rows: { project_id: string; company_id: string; county_code: string; payload: Record<string, unknown> }[] };
    expect(ev.rows[0]).toMatchObject({ project_id: s.projectId, company_id: s.employerId, county_code: '220702', payload: { from: 'pending', to: 'wrong_account', reasonCode: 'NOT_OWN_CARD', version: 1 } });
  });

  it('a re-run with nothing new changes nothing', async () => {
    const before = { h: await historyCount(), e: await count(ctx, sql`SELECT count(*) AS n FROM outbox`), st: await lineState(ctx, s.lines) };
    const res = await reconcile({ batchId: s.batchId, asOf: '2026-10-19' });
    expect(res).toMatchObject({ changed: 0, events: 0, orphans: 0 });
    const res2 = await reconcile({ projectId: s.projectId, month: MONTH, asOf: '2026-10-19' });
    expect(res2).toMatchObject({ changed: 0, events: 0, orphans: 0 });
    expect(await historyCount()).toBe(before.h);
    expect(await count(ctx, sql`SELECT count(*) AS n FROM outbox`)).toBe(before.e);
    expect(await lineState(ctx, s.lines)).toEqual(before.st);
  });

  it('after the deadline a line with nothing from the bank is missing', async () => {
    const res = await reconcile({ projectId: s.projectId, month: MONTH, asOf: '2026-10-20' });
    expect(res).toMatchObject({ changed: 1, events: 1 });
    const st = await lineState(ctx, s.lines);
    expect(st.missing).toMatchObject({ status: 'missing', recon_version: 1 });
    expect(st.pending).toMatchObject({ status: 'pending', recon_version: 0 }); // ACSP at the bank is not missing
  });

  it('new bank records update statuses and record what changed and why', async () => {
    await bankRecord(ctx, s.bankId, { e2e: s.e2e.missing!, amountFen: NET, valueDate: '2026-10-21', card: 'card-missing' });
    await bankRecord(ctx, s.bankId, { e2e: s.e2e.pending!, amountFen: NET, valueDate: '2026-10-16', card: 'card-pending' });
    await bankRecord(ctx, s.bankId, { kind: 'return', e2e: s.e2e.paid!, status: null, reason: 'AC04', amountFen: NET, valueDate: '2026-10-22' });
    const eventsBefore = await outboxCount('line.status_changed');
    const res = await reconcile({ batchId: s.batchId, asOf: '2026-10-22' });
    expect(res).toMatchObject({ changed: 3 });
    const st = await lineState(ctx, s.lines);
    expect(st.missing).toMatchObject({ status: 'paid_late', recon_version: 2, paid_on: '2026-10-21' });
    expect(st.pending).toMatchObject({ status: 'paid', recon_version: 1 });
    expect(st.paid).toMatchObject({ status: 'rejected', reason_code: 'AC04', recon_version: 2, paid_fen: 0 });
    // missing → paid_late and paid → rejected matter; pending → paid does not
    expect(await outboxCount('line.status_changed')).toBe(eventsBefore + 2);
    const h = (await ctx.deps.db.execute(sql`SELECT version, from_status, to_status, reason FROM recon_line_history_all WHERE line_id = ${s.lines.missing} ORDER BY version`)) as unknown as { rows: unknown[] };
    expect(h.rows).toEqual([
      { version: 1, from_status: 'pending', to_status: 'missing', reason: 'nothing_by_deadline' },
      { version: 2, from_status: 'missing', to_status: 'paid_late', reason: 'settled_after_pay_date' },
    ]);
    const again = await reconcile({ batchId: s.batchId, asOf: '2026-10-22' });
    expect(again).toMatchObject({ changed: 0, events: 0 });
  });

  it('reports progress on the job and rejects a malformed payload for good', async () => {
    const job = await ctx.deps.queues.reconcile.add('reconcile', { projectId: s.projectId, month: MONTH, asOf: '2026-10-22' }, { jobId: 'progress-check' });
    await job.waitUntilFinished(events, 30_000);
    const done = await ctx.deps.queues.reconcile.getJob('progress-check');
    expect(done!.progress).toMatchObject({ chunksDone: 1, chunks: 1, lines: 15 });
    const bad = await ctx.deps.queues.reconcile.add('reconcile', { month: '2026-13' }, { jobId: 'bad-payload' });
    await expect(bad.waitUntilFinished(events, 30_000)).rejects.toThrow(/month must be YYYY-MM/);
    const failed = await ctx.deps.queues.reconcile.getJob('bad-payload');
    expect(failed!.attemptsMade).toBe(1);
  });
});

describe('reconciliation read API', () => {
  it('project-month summary: counts and amounts per status, orphans', async () => {
    const r = await ctx.app.inject({ url: `/v1/projects/${s.projectId}/reconciliation?month=${MONTH}`, headers: ctx.admin });
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b.totals).toMatchObject({ lines: 15, netFen: 15 * NET });
    const byStatus = Object.fromEntries(b.statuses.map((x: { status: string; lines: number }) => [x.status, x.lines]));
    expect(byStatus).toMatchObject({ paid: 3, paid_late: 2, underpaid: 1, overpaid: 1, rejected: 3, wrong_account: 4, duplicate: 1 });
    expect(b.orphans.count).toBe(1); // the two orphans with no known project are not listed under it
    expect(b.orphans.items.map((o: { bankRecordId: string }) => o.bankRecordId)).toContain(rec.orphanStmt);
  });

  it('payroll reconciliation: per-line status and history; scoped', async () => {
    const r = await ctx.app.inject({ url: `/v1/payrolls/${s.payrollId}/reconciliation`, headers: ctx.admin });
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b.lines).toHaveLength(15);
    const missing = b.lines.find((l: { id: string }) => l.id === s.lines.missing);
    expect(missing).toMatchObject({ status: 'paid_late', reconVersion: 2, paidOn: '2026-10-21' });
    expect(missing.history.map((h: { to: string }) => h.to)).toEqual(['missing', 'paid_late']);
    const other = await mintKey(ctx, 'inspector', { countyCodes: ['220781'] });
    expect((await ctx.app.inject({ url: `/v1/payrolls/${s.payrollId}/reconciliation`, headers: other })).statusCode).toBe(404);
    expect((await ctx.app.inject({ url: `/v1/projects/${s.projectId}/reconciliation?month=${MONTH}`, headers: other })).statusCode).toBe(404);
    const mine = await mintKey(ctx, 'inspector', { countyCodes: ['220702'] });
    expect((await ctx.app.inject({ url: `/v1/payrolls/${s.payrollId}/reconciliation`, headers: mine })).statusCode).toBe(200);
    expect((await ctx.app.inject({ url: `/v1/payrolls/${newId()}/reconciliation`, headers: ctx.admin })).statusCode).toBe(404);
    expect((await ctx.app.inject({ url: `/v1/projects/${s.projectId}/reconciliation?month=2026-13`, headers: ctx.admin })).statusCode).toBe(400);
  });
});
