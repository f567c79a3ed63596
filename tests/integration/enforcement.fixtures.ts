import { expect } from 'vitest';
/**
 * SQL fixtures for the enforcement stories. The reconciliation engine owns payroll line statuses
 * and the bank owns settlements; these fixtures stand in for both (as the issue allows): they set
 * line statuses with SQL and settle a batch's ledger holds the way an ACSC result would.
 */
import { sql } from 'drizzle-orm';
import { newId, compactId } from '../../src/lib/ids.js';
import { settleHolds } from '../../src/modules/disbursement/holds.js';
import { payMonthSql } from '../../src/modules/registry/pay-month.js';
import type { TestContext } from '../helpers/context.js';

const rows = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

/** An approved wage sheet with one line per worker (status pending); returns line ids by worker. */
export async function sheet(ctx: TestContext, projectId: string, employerId: string, month: string, lines: { workerId: string; netFen: number }[]): Promise<Map<string, string>> {
  const payrollId = newId();
  const total = lines.reduce((s, l) => s + l.netFen, 0);
  // As filing does: the sheet records the project's pay month for its wage month.
  await ctx.deps.db.execute(sql`INSERT INTO payrolls (id, project_id, employer_id, month, status, line_count, total_net_fen, pay_month)
    VALUES (${payrollId}, ${projectId}, ${employerId}, ${month}, 'approved', ${lines.length}, ${total},
      (SELECT ${payMonthSql('p', sql`${month}::text`)} FROM projects p WHERE p.id = ${projectId}))`);
  const out = new Map<string, string>();
  for (const l of lines) {
    const id = newId();
    await ctx.deps.db.execute(sql`INSERT INTO payroll_lines (id, project_id, payroll_id, worker_id, employer_id, month, days_worked, gross_fen, deductions_fen, net_fen, end_to_end_id)
      VALUES (${id}, ${projectId}, ${payrollId}, ${l.workerId}, ${employerId}, ${month}, 22, ${l.netFen}, 0, ${l.netFen}, ${compactId(id)})`);
    out.set(l.workerId, id);
  }
  return out;
}

/** Stand-in for reconciliation: set a line's outcome. */
export async function setLine(ctx: TestContext, lineId: string, status: string, paidFen = 0, paidBy: string | null = null): Promise<void> {
  await ctx.deps.db.execute(sql`UPDATE payroll_lines SET status = ${status}, paid_fen = ${paidFen}, paid_by = ${paidBy}, updated_at = now() WHERE id = ${lineId}`);
}

/**
 * Stand-in for the bank (ACSC for every instruction) + reconciliation (each cleared line becomes
 * `paid` with paid_by gc/deposit): posts the batch's holds, so ledger balances move for real.
 */
export async function bankSettles(ctx: TestContext, batchId: string, valueDate: string): Promise<void> {
  await ctx.deps.db.transaction(async (tx) => {
    const ins = rows<{ id: string; hold_transaction_id: string; payroll_line_id: string | null; amount_fen: string; kind: string }>(await tx.execute(sql`
      SELECT i.id, i.hold_transaction_id, i.payroll_line_id, i.amount_fen, b.kind FROM instructions i JOIN batches b ON b.id = i.batch_id WHERE i.batch_id = ${batchId}`));
    await settleHolds(tx, ins.map((i) => i.hold_transaction_id), ins.map(() => 'post'));
    await tx.execute(sql`UPDATE instructions SET status = 'settled', updated_at = now() - interval '1 second' WHERE batch_id = ${batchId}`);
    await tx.execute(sql`UPDATE batches SET status = 'completed' WHERE id = ${batchId}`);
    for (const i of ins) {
      if (!i.payroll_line_id) continue;
      await tx.execute(sql`UPDATE payroll_lines SET paid_fen = paid_fen + ${Number(i.amount_fen)}, paid_on = ${valueDate}, updated_at = now(),
        paid_by = ${i.kind === 'deposit_draw' ? 'deposit' : 'gc'},
        status = CASE WHEN paid_fen + ${Number(i.amount_fen)} >= net_fen THEN 'paid' ELSE 'underpaid' END WHERE id = ${i.payroll_line_id}`);
    }
  });
}

export async function holiday(ctx: TestContext, day: string): Promise<void> {
  await ctx.deps.db.execute(sql`INSERT INTO calendar_days (scope, day, kind, name) VALUES ('default', ${day}, 'holiday', 'test holiday') ON CONFLICT DO NOTHING`);
}

/** Everything the sweep derives, for "run twice → identical" comparisons (timestamps excluded). */
export async function snapshot(ctx: TestContext): Promise<unknown> {
  const q = async (s: ReturnType<typeof sql>) => rows(await ctx.deps.db.execute(s));
  return {
    cases: await q(sql`SELECT id, stage, status, workers_owed, workers_unpaid, amount_owed_fen, amount_cleared_fen, opened_on::text, stage_deadline::text,
      gc_order_issued_on::text, gc_order_ignored, deposit_notice_id, closed_on::text, cleared_by, responsible FROM arrears_cases ORDER BY id`),
    members: await q(sql`SELECT case_id, worker_id, line_id, amount_owed_fen, amount_paid_fen, paid_by FROM arrears_case_workers ORDER BY case_id, worker_id`),
    events: await q(sql`SELECT id, case_id, stage, "on"::text, deadline::text FROM arrears_case_events ORDER BY id`),
    outbox: await q(sql`SELECT id, type FROM outbox ORDER BY id`),
    draws: await q(sql`SELECT id, notice_id, total_fen FROM deposit_draws ORDER BY id`),
    batches: await q(sql`SELECT count(*)::int AS n, COALESCE(sum(total_fen), 0)::bigint AS total FROM batches`),
    ledger: await q(sql`SELECT code, posted, pending_out, pending_in FROM ledger_accounts ORDER BY code`),
  };
}

export async function caseOf(ctx: TestContext, projectId: string, month: string) {
  return rows<{ id: string; stage: string; status: string; stage_deadline: string | null; workers_owed: number; workers_unpaid: number; amount_owed_fen: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- `responsible` is JSON the tests read by path
    amount_cleared_fen: string; cleared_by: Record<string, number>; responsible: Record<string, any>; origin: string; gc_order_ignored: boolean; deposit_notice_id: string | null;
    replenishment_overdue_on: string | null; closed_on: string | null }>(await ctx.deps.db.execute(sql`
    SELECT id, stage, status, stage_deadline::text, workers_owed, workers_unpaid, amount_owed_fen, amount_cleared_fen, cleared_by, responsible, origin,
      gc_order_ignored, deposit_notice_id, replenishment_overdue_on::text, closed_on::text
    FROM arrears_cases WHERE project_id = ${projectId} AND month = ${month}`))[0];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read event payloads field by field
export async function outboxOf(ctx: TestContext, projectId: string): Promise<{ type: string; payload: Record<string, any> }[]> {
  return rows(await ctx.deps.db.execute(sql`SELECT type, payload FROM outbox WHERE project_id = ${projectId} ORDER BY seq`));
}

export async function balance(ctx: TestContext, code: string): Promise<{ posted: number; pendingOut: number }> {
  const r = rows<{ posted: string; pending_out: string }>(await ctx.deps.db.execute(sql`SELECT posted, pending_out FROM ledger_accounts WHERE code = ${code}`))[0];
  return { posted: Number(r?.posted ?? 0), pendingOut: Number(r?.pending_out ?? 0) };
}

/** The daily sweep through the admin API, as of `asOf` (the stories play dates forward with it). */
export async function adminSweep(ctx: TestContext, asOf: string): Promise<Record<string, unknown>> {
  const r = await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: ctx.admin, payload: { asOf } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as Record<string, unknown>;
}

/**
 * Every sweep runs twice through the API; the second run must change nothing and answer the same
 * (time is a parameter: a sweep of a date is idempotent).
 */
export async function sweepTwice<T>(ctx: TestContext, asOf: string): Promise<T> {
  const a = await adminSweep(ctx, asOf);
  const s1 = await snapshot(ctx);
  const b = await adminSweep(ctx, asOf);
  expect(b).toEqual(a);
  expect(await snapshot(ctx)).toEqual(s1);
  return a as T;
}
