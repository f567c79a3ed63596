import { sql } from 'drizzle-orm';
import { QueueEvents, Worker, type Job } from 'bullmq';
import { newId, compactId } from '../../src/lib/ids.js';
import type { TestContext } from '../helpers/context.js';
import type { Deps } from '../../src/deps.js';
import { duplicateRedis } from '../../src/lib/redis.js';

/** Raw-SQL fixtures for reconciliation: nothing here depends on other modules' routes. */
export interface Scenario {
  projectId: string;
  bankId: string;
  gcId: string;
  employerId: string;
  payrollId: string;
  batchId: string;
  month: string;
  /** line key → line id */
  lines: Record<string, string>;
  e2e: Record<string, string>;
  workers: Record<string, string>;
}

const q = (ctx: TestContext, s: ReturnType<typeof sql>) => ctx.deps.db.execute(s);

export async function baseProject(ctx: TestContext, opts: { payday?: number; countyCode?: string } = {}) {
  const bankId = newId();
  await q(ctx, sql`INSERT INTO banks (id, name, code) VALUES (${bankId}, 'Bank', ${'B' + bankId.slice(-8)})`);
  const co = async (n: string) => {
    const id = newId();
    await q(ctx, sql`INSERT INTO companies (id, name, credit_code, legal_representative) VALUES (${id}, ${n}, ${'R' + id.replace(/-/g, '').slice(-17)}, 'Rep')`);
    return id;
  };
  const gcId = await co('GC');
  const cuId = await co('CU');
  const employerId = await co('Sub');
  const projectId = newId();
  await q(ctx, sql`INSERT INTO projects (id, name, county_code, industry, construction_unit_id, general_contractor_id, contract_price_fen,
      start_date, planned_end_date, payday, wage_bank_id, wage_account_number, deposit_required_fen)
    VALUES (${projectId}, 'P', ${opts.countyCode ?? '220702'}, 'housing', ${cuId}, ${gcId}, 100000000, '2026-01-01', '2027-12-31',
      ${opts.payday ?? 17}, ${bankId}, ${'ACC' + projectId.slice(-12)}, 0)`);
  return { bankId, gcId, employerId, projectId };
}

export async function addWorker(ctx: TestContext, card: string): Promise<string> {
  const id = newId();
  await q(ctx, sql`INSERT INTO workers (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender,
      bank_card_enc, bank_card_bidx, bank_card_masked)
    VALUES (${id}, 'W', 'enc', ${'idx' + id}, '1101**********002X', '1990-01-01', 'M', 'enc', ${card}, '6222********1234')`);
  return id;
}

/** A payroll, its lines (one per key) and an approved payroll batch with one instruction per line. */
export async function payrollWithBatch(ctx: TestContext, base: Awaited<ReturnType<typeof baseProject>>, month: string,
  lines: { key: string; card: string; netFen: number }[]): Promise<Scenario> {
  const payrollId = newId();
  const batchId = newId();
  const total = lines.reduce((a, l) => a + l.netFen, 0);
  await q(ctx, sql`INSERT INTO payrolls (id, project_id, employer_id, month, status, line_count, total_net_fen, batch_id)
    VALUES (${payrollId}, ${base.projectId}, ${base.employerId}, ${month}, 'approved', ${lines.length}, ${total}, ${batchId})`);
  await q(ctx, sql`INSERT INTO batches (id, project_id, payroll_id, kind, bank_id, debtor_account, debtor_name, status, line_count, total_fen, requested_execution_date)
    VALUES (${batchId}, ${base.projectId}, ${payrollId}, 'payroll', ${base.bankId}, 'ACC', 'GC', 'acknowledged', ${lines.length}, ${total}, '2026-01-01')`);
  const s: Scenario = { ...base, payrollId, batchId, month, lines: {}, e2e: {}, workers: {} };
  for (const l of lines) {
    const id = newId();
    const w = await addWorker(ctx, l.card);
    s.lines[l.key] = id;
    s.e2e[l.key] = compactId(id);
    s.workers[l.key] = w;
    await q(ctx, sql`INSERT INTO payroll_lines (id, project_id, payroll_id, worker_id, employer_id, month, days_worked, gross_fen, deductions_fen, net_fen, end_to_end_id)
      VALUES (${id}, ${base.projectId}, ${payrollId}, ${w}, ${base.employerId}, ${month}, 20, ${l.netFen}, 0, ${l.netFen}, ${compactId(id)})`);
    await q(ctx, sql`INSERT INTO instructions (id, project_id, batch_id, payroll_line_id, worker_id, end_to_end_id, creditor_name, card_enc, card_bidx, card_masked, amount_fen, status)
      VALUES (${newId()}, ${base.projectId}, ${batchId}, ${id}, ${w}, ${compactId(id)}, 'W', 'enc', ${l.card}, 'x', ${l.netFen}, 'instructed')`);
  }
  return s;
}

/** A deposit-draw (or GC advance) batch clearing one line; returns the instruction's EndToEndId. */
export async function clearingInstruction(ctx: TestContext, s: Scenario, key: string, amountFen: number, kind: 'deposit_draw' | 'gc_advance' = 'deposit_draw'): Promise<{ batchId: string; e2e: string }> {
  const batchId = newId();
  const e2e = compactId(newId());
  await q(ctx, sql`INSERT INTO batches (id, project_id, kind, bank_id, debtor_account, debtor_name, status, line_count, total_fen, requested_execution_date)
    VALUES (${batchId}, ${s.projectId}, ${kind}, ${s.bankId}, 'DEP', 'HRSS', 'acknowledged', 1, ${amountFen}, '2026-01-01')`);
  await q(ctx, sql`INSERT INTO instructions (id, project_id, batch_id, payroll_line_id, worker_id, end_to_end_id, creditor_name, card_enc, card_bidx, card_masked, amount_fen, status)
    VALUES (${newId()}, ${s.projectId}, ${batchId}, ${s.lines[key]}, ${s.workers[key]}, ${e2e}, 'W', 'enc', 'x', 'x', ${amountFen}, 'instructed')`);
  return { batchId, e2e };
}

export interface Rec {
  kind?: 'result' | 'return' | 'credit' | 'debit';
  e2e: string | null;
  status?: string | null;
  reason?: string | null;
  amountFen: number;
  valueDate: string;
  card?: string | null;
  projectId?: string | null;
}
export async function bankRecord(ctx: TestContext, bankId: string, r: Rec): Promise<string> {
  const id = newId();
  await q(ctx, sql`INSERT INTO bank_records (id, bank_id, project_id, kind, end_to_end_id, status, reason_code, amount_fen, value_date, card_bidx, source, source_ref, dedupe_key)
    VALUES (${id}, ${bankId}, ${r.projectId ?? null}, ${r.kind ?? 'result'}, ${r.e2e}, ${r.kind === 'return' || r.kind === 'debit' ? (r.status ?? null) : (r.status ?? 'ACSC')},
      ${r.reason ?? null}, ${r.amountFen}, ${r.valueDate}, ${r.card ?? null}, 'webhook', 'test', ${id})`);
  return id;
}

/** A real BullMQ worker on the test context's prefix running the given processor. */
export function startWorker(ctx: TestContext, proc: (job: Job, deps: Deps) => Promise<unknown>): Worker {
  return new Worker('reconcile', (job) => proc(job, ctx.deps), {
    connection: duplicateRedis(ctx.deps.redis),
    prefix: ctx.config.queuePrefix,
    concurrency: 1,
  });
}

export function queueEvents(ctx: TestContext): QueueEvents {
  return new QueueEvents('reconcile', { connection: duplicateRedis(ctx.deps.redis), prefix: ctx.config.queuePrefix });
}

export async function lineState(ctx: TestContext, ids: Record<string, string>) {
  const r = (await q(ctx, sql`SELECT id, status, paid_fen::int AS paid_fen, paid_on::text, reason_code, inferred, paid_by, recon_version FROM payroll_lines
    WHERE id = ANY(${`{${Object.values(ids).join(',')}}`}::uuid[])`)) as unknown as { rows: Record<string, unknown>[] };
  const byId = new Map(r.rows.map((x) => [x.id as string, x]));
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, id] of Object.entries(ids)) {
    const { id: _id, ...rest } = byId.get(id)!;
    out[k] = rest;
  }
  return out;
}

export async function count(ctx: TestContext, query: ReturnType<typeof sql>): Promise<number> {
  const r = (await q(ctx, query)) as unknown as { rows: { n: number | string }[] };
  return Number(r.rows[0]!.n);
}

/**
 * One payroll batch (month 2026-09, payday 17, every line 500,000 fen) with a line and bank records
 * for each classification: paid, late, under, over, rejected, foreign card, shared card (two lines),
 * duplicate, missing, pending at the bank, returned, inferred statement row, deposit draw after an
 * employer rejection, foreign card and short; plus three orphans and a debit that is not a result.
 * Pay date 2026-10-16 (the 17th is a Saturday); missing after 2026-10-19.
 */
export async function allCasesScenario(ctx: TestContext): Promise<{ s: Scenario; rec: Record<string, string> }> {
  const NET = 500_000;
  const rec: Record<string, string> = {};
  const base = await baseProject(ctx, { payday: 17 });
  const own = (k: string) => `card-${k}`;
  const keys = ['paid', 'late', 'under', 'over', 'rejected', 'foreign', 'shared1', 'shared2', 'dup', 'missing', 'pending', 'returned', 'inferred', 'deposit', 'foreignUnder'];
  const s = await payrollWithBatch(ctx, base, '2026-09', keys.map((k) => ({ key: k, card: k.startsWith('shared') ? 'card-shared' : own(k), netFen: NET })));
  const r = (key: string, over: Partial<Parameters<typeof bankRecord>[2]> = {}) =>
    bankRecord(ctx, s.bankId, { e2e: s.e2e[key]!, amountFen: NET, valueDate: '2026-10-16', card: own(key), ...over });
  rec.paid = await r('paid');
  rec.late = await r('late', { valueDate: '2026-10-17' });
  rec.under = await r('under', { amountFen: NET - 100 });
  rec.over = await r('over', { amountFen: NET + 100 });
  rec.rejected = await r('rejected', { status: 'RJCT', reason: 'AC04' });
  rec.foreign = await r('foreign', { card: 'card-foreman' });
  rec.shared1 = await r('shared1', { card: 'card-shared' });
  rec.shared2 = await r('shared2', { card: 'card-shared' });
  rec.dup1 = await r('dup');
  rec.dup2 = await r('dup', { valueDate: '2026-10-16' });
  rec.pending = await r('pending', { status: 'ACSP' });
  rec.returnedSettled = await r('returned');
  rec.returned = await r('returned', { kind: 'return', status: null, reason: 'AC06', valueDate: '2026-10-18' });
  // statement row: no EndToEndId, matched by registered card + amount + value date
  rec.inferred = await r('inferred', { e2e: null, kind: 'debit', status: null, valueDate: '2026-10-15' });
  // employer payment rejected for lack of funds, then the deposit draw clears the line
  rec.depositRjct = await r('deposit', { status: 'RJCT', reason: 'AM04' });
  const draw = await clearingInstruction(ctx, s, 'deposit', NET);
  rec.depositDraw = await bankRecord(ctx, s.bankId, { e2e: draw.e2e, amountFen: NET, valueDate: '2026-10-28', card: own('deposit') });
  rec.foreignUnder = await r('foreignUnder', { card: 'card-foreman', amountFen: NET - 1 });
  // orphans: an unknown EndToEndId (result and return), a statement result matching nothing
  rec.orphanResult = await bankRecord(ctx, s.bankId, { e2e: compactId(newId()), amountFen: 123, valueDate: '2026-10-16', card: 'card-x' });
  rec.orphanReturn = await bankRecord(ctx, s.bankId, { kind: 'return', e2e: compactId(newId()), amountFen: 77, valueDate: '2026-10-16', reason: 'AC04' });
  rec.orphanStmt = await bankRecord(ctx, s.bankId, { e2e: null, amountFen: 999, valueDate: '2026-10-16', card: 'card-nobody', projectId: s.projectId });
  // a debit without EndToEndId that matches nothing is not a wage result: no orphan
  rec.otherDebit = await bankRecord(ctx, s.bankId, { kind: 'debit', e2e: null, status: null, amountFen: 5, valueDate: '2026-10-16', card: null });
  return { s, rec };
}
