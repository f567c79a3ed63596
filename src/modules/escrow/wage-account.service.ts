import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { AppError, NotFoundError } from '../../lib/errors.js';
import { idFromKey } from '../../lib/ids.js';
import { fenFromDb } from '../../lib/money.js';
import { emit } from '../alerts/outbox.service.js';
import { EVENTS } from '../../jobs/event-types.js';
import { getPolicy } from '../policy/policy.service.js';
import { postTransaction, projectAccounts, settleTransaction } from './ledger.service.js';

const rows = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

export interface BankCredit {
  projectId: string;
  amountFen: number;
  valueDate: string;
  reference: string | null;
  payerName: string | null;
  /** bank_records.id of the credit: the idempotency key of everything derived from it. */
  bankRecordId: string;
}

async function projectCounty(tx: DbOrTx, projectId: string): Promise<string> {
  const r = rows<{ county_code: string }>(await tx.execute(sql`SELECT county_code FROM projects WHERE id = ${projectId}`))[0];
  if (!r) throw new NotFoundError('Project');
  return r.county_code;
}

/**
 * A labour-cost allocation reported by the bank (`account.credited` on the wage account). If the GC
 * recorded it earlier (same reference and amount, still pending), the bank credit posts that hold;
 * otherwise a fresh posting. Deterministic ids from bankRecordId make a redelivery a no-op.
 */
export async function recordWageAccountCredit(tx: DbOrTx, c: BankCredit): Promise<{ allocationId: string; ledgerTransactionId: string; replayed: boolean }> {
  if (!Number.isSafeInteger(c.amountFen) || c.amountFen <= 0) throw new AppError(422, 'invalid_amount', 'amountFen must be a positive integer');
  const done = rows<{ id: string; ledger_transaction_id: string }>(await tx.execute(sql`
    SELECT id, ledger_transaction_id FROM wage_allocations WHERE bank_record_id = ${c.bankRecordId}`))[0];
  if (done) return { allocationId: done.id, ledgerTransactionId: done.ledger_transaction_id, replayed: true };
  const county = await projectCounty(tx, c.projectId);
  const acc = await projectAccounts(tx, c.projectId);
  // Match the GC's pending record: lock it so two deliveries cannot both claim it.
  const pending = c.reference
    ? rows<{ id: string; ledger_transaction_id: string }>(await tx.execute(sql`
        SELECT id, ledger_transaction_id FROM wage_allocations
        WHERE project_id = ${c.projectId} AND status = 'pending' AND reference = ${c.reference} AND amount_fen = ${c.amountFen}
        ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`))[0]
    : undefined;
  let allocationId: string;
  let txId: string;
  if (pending) {
    await settleTransaction(tx, pending.ledger_transaction_id, 'post');
    await tx.execute(sql`UPDATE wage_allocations SET status = 'confirmed', bank_record_id = ${c.bankRecordId}, value_date = ${c.valueDate},
      payer_name = COALESCE(${c.payerName}, payer_name) WHERE id = ${pending.id}`);
    allocationId = pending.id;
    txId = pending.ledger_transaction_id;
  } else {
    allocationId = idFromKey(`wage_allocation:${c.bankRecordId}`);
    txId = idFromKey(`wage_credit:${c.bankRecordId}`);
    await postTransaction(tx, {
      id: txId, projectId: c.projectId, kind: 'wage_allocation', reference: c.reference, effectiveDate: c.valueDate,
      entries: [{ accountId: acc.external, amountFen: -c.amountFen }, { accountId: acc.wage, amountFen: c.amountFen }],
      metadata: { bankRecordId: c.bankRecordId, payerName: c.payerName },
    });
    await tx.execute(sql`
      INSERT INTO wage_allocations (id, project_id, amount_fen, value_date, reference, payer_name, status, source, ledger_transaction_id, bank_record_id)
      VALUES (${allocationId}, ${c.projectId}, ${c.amountFen}, ${c.valueDate}, ${c.reference}, ${c.payerName}, 'confirmed', 'bank', ${txId}, ${c.bankRecordId})`);
  }
  await emit(tx, {
    id: idFromKey(`evt:wage_credited:${c.bankRecordId}`), type: EVENTS.wageAccountCredited, projectId: c.projectId, countyCode: county,
    payload: { allocationId, amountFen: c.amountFen, valueDate: c.valueDate, reference: c.reference, matchedGcRecord: !!pending },
  });
  return { allocationId, ledgerTransactionId: txId, replayed: false };
}

/** The GC records an allocation it was told about: a pending hold until the bank confirms it. */
export async function recordGcAllocation(tx: DbOrTx, input: { projectId: string; amountFen: number; valueDate: string; reference: string; requestKey: string }) {
  const id = idFromKey(`gc_allocation:${input.projectId}:${input.requestKey}`);
  const txId = idFromKey(`gc_allocation_hold:${input.projectId}:${input.requestKey}`);
  const acc = await projectAccounts(tx, input.projectId);
  await postTransaction(tx, {
    id: txId, projectId: input.projectId, kind: 'wage_allocation', pending: true, reference: input.reference, effectiveDate: input.valueDate,
    entries: [{ accountId: acc.external, amountFen: -input.amountFen }, { accountId: acc.wage, amountFen: input.amountFen }],
  });
  await tx.execute(sql`
    INSERT INTO wage_allocations (id, project_id, amount_fen, value_date, reference, status, source, ledger_transaction_id)
    VALUES (${id}, ${input.projectId}, ${input.amountFen}, ${input.valueDate}, ${input.reference}, 'pending', 'gc', ${txId})
    ON CONFLICT (id, project_id) DO NOTHING`);
  return { id, status: 'pending' as const, ledgerTransactionId: txId };
}

export interface ScheduleInput {
  cycleMonths: number;
  dueDay: number;
  amountFen?: number | null;
  shareBp?: number | null;
  startMonth: string;
}

export async function setAllocationSchedule(tx: DbOrTx, projectId: string, s: ScheduleInput) {
  const county = await projectCounty(tx, projectId);
  const policy = await getPolicy(tx, county);
  const errors: { path: string; message: string }[] = [];
  if (s.cycleMonths > policy.wageAccount.allocationCycleMonths)
    errors.push({ path: 'body.cycleMonths', message: `the allocation cycle may not exceed ${policy.wageAccount.allocationCycleMonths} month(s)` });
  if ((s.amountFen == null) === (s.shareBp == null)) errors.push({ path: 'body.amountFen', message: 'give exactly one of amountFen or shareBp' });
  if (errors.length) throw new AppError(422, 'unprocessable', 'Invalid allocation schedule', errors);
  await tx.execute(sql`
    INSERT INTO allocation_schedules (project_id, cycle_months, due_day, amount_fen, share_bp, start_month)
    VALUES (${projectId}, ${s.cycleMonths}, ${s.dueDay}, ${s.amountFen ?? null}, ${s.shareBp ?? null}, ${s.startMonth})
    ON CONFLICT (project_id) DO UPDATE SET cycle_months = EXCLUDED.cycle_months, due_day = EXCLUDED.due_day, amount_fen = EXCLUDED.amount_fen,
      share_bp = EXCLUDED.share_bp, start_month = EXCLUDED.start_month, updated_at = now()`);
  return getAllocationSchedule(tx, projectId);
}

export async function getAllocationSchedule(tx: DbOrTx, projectId: string) {
  const r = rows<{ cycle_months: number; due_day: number; amount_fen: string | null; share_bp: number | null; start_month: string }>(
    await tx.execute(sql`SELECT cycle_months, due_day, amount_fen, share_bp, start_month FROM allocation_schedules WHERE project_id = ${projectId}`))[0];
  if (!r) return null;
  return { projectId, cycleMonths: r.cycle_months, dueDay: r.due_day, amountFen: r.amount_fen == null ? null : fenFromDb(r.amount_fen), shareBp: r.share_bp, startMonth: r.start_month };
}

export interface MissedAllocation {
  projectId: string;
  countyCode: string;
  cycleFrom: string;
  dueDate: string;
  expectedFen: number | null;
  receivedFen: number;
}

/**
 * Every closed cycle (due date before asOf) of every active project whose posted allocations
 * (ledger kind `wage_allocation` into the wage account, by value date) between the cycle start and its due date fall short of the scheduled amount (or are
 * zero for share-based schedules). One set-based statement over all projects.
 */
export async function missedAllocations(db: DbOrTx, asOf: string): Promise<MissedAllocation[]> {
  const r = rows<{ project_id: string; county_code: string; from_d: string; due: string; amount_fen: string | null; received: string }>(await db.execute(sql`
    WITH cyc AS (
      SELECT s.project_id, p.county_code, s.amount_fen, c.from_d::date AS from_d,
        LEAST((date_trunc('month', c.from_d) + make_interval(months => s.cycle_months - 1) + make_interval(days => s.due_day - 1))::date,
              (date_trunc('month', c.from_d) + make_interval(months => s.cycle_months) - interval '1 day')::date) AS due
      FROM allocation_schedules s JOIN projects p ON p.id = s.project_id AND p.status = 'active'
      CROSS JOIN LATERAL generate_series(to_date(s.start_month || '-01', 'YYYY-MM-DD'), ${asOf}::date, make_interval(months => s.cycle_months)) AS c(from_d)
    )
    SELECT cyc.project_id, cyc.county_code, cyc.from_d::text AS from_d, cyc.due::text AS due, cyc.amount_fen,
      COALESCE(SUM(w.amount_fen), 0) AS received
    FROM cyc LEFT JOIN LATERAL (
      -- Posted money into the wage account from allocations, whoever booked it (this module or the
      -- bank-facts handler): the ledger is the single source of truth.
      SELECT e.amount AS amount_fen FROM ledger_transactions t
      JOIN ledger_entries e ON e.transaction_id = t.id AND e.amount > 0
      JOIN ledger_accounts a ON a.id = e.account_id AND a.code = 'wage:' || cyc.project_id::text
      WHERE t.project_id = cyc.project_id AND t.kind = 'wage_allocation' AND t.status = 'posted'
        AND t.effective_date BETWEEN cyc.from_d AND cyc.due) w ON true
    WHERE cyc.due < ${asOf}::date
    GROUP BY cyc.project_id, cyc.county_code, cyc.from_d, cyc.due, cyc.amount_fen
    HAVING COALESCE(SUM(w.amount_fen), 0) < COALESCE(cyc.amount_fen, 1)
    ORDER BY cyc.project_id, cyc.due`));
  return r.map((x) => ({ projectId: x.project_id, countyCode: x.county_code, cycleFrom: x.from_d, dueDate: x.due, expectedFen: x.amount_fen == null ? null : fenFromDb(x.amount_fen), receivedFen: fenFromDb(x.received) }));
}

export interface LowWageBalance {
  projectId: string;
  countyCode: string;
  month: string;
  payrollFen: number;
  availableFen: number;
}

/**
 * Projects whose wage-account available balance is below the payroll of the latest month that has
 * a live wage sheet on or before asOf's month (the next payroll to pay, or the best estimate of it).
 */
export async function wageBalanceBelowPayroll(db: DbOrTx, asOf: string): Promise<LowWageBalance[]> {
  const r = rows<{ project_id: string; county_code: string; month: string; payroll: string; available: string }>(await db.execute(sql`
    WITH latest AS (
      SELECT DISTINCT ON (project_id) project_id, month FROM payrolls
      WHERE status <> 'superseded' AND month <= to_char(${asOf}::date, 'YYYY-MM') ORDER BY project_id, month DESC),
    due AS (
      SELECT l.project_id, l.month, SUM(p.total_net_fen) AS payroll FROM latest l
      JOIN payrolls p ON p.project_id = l.project_id AND p.month = l.month AND p.status <> 'superseded' GROUP BY l.project_id, l.month)
    SELECT d.project_id, pr.county_code, d.month, d.payroll, COALESCE(a.posted - a.pending_out, 0) AS available
    FROM due d JOIN projects pr ON pr.id = d.project_id AND pr.status = 'active'
    LEFT JOIN ledger_accounts a ON a.code = 'wage:' || d.project_id::text
    WHERE COALESCE(a.posted - a.pending_out, 0) < d.payroll`));
  return r.map((x) => ({ projectId: x.project_id, countyCode: x.county_code, month: x.month, payrollFen: fenFromDb(x.payroll), availableFen: fenFromDb(x.available) }));
}

