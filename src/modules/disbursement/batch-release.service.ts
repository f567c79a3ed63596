import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { idFromKey } from '../../lib/ids.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import { projectAccounts } from '../escrow/ledger.service.js';
import { createHolds, settleHolds } from './holds.js';

type Rows<T> = { rows: T[] };

/** Why a waiting batch lost instructions: an arrears case paid those lines (GC advance or deposit draw). */
export const PAID_BY_CASE = 'paid_by_case';

/**
 * What clearing payments (deposit draw, GC advance, card-fix re-pay: every batch kind but `payroll`)
 * already pay per line of a project: instructions still on their way or settled. A relation
 * `(line_id, paid_fen)`. Found through the project's batches (clearing batches are few), not through
 * `instructions.payroll_line_id`, which has no index: a correlated probe per line would read the whole
 * table once per line. `exceptBatch` leaves out the batch being judged.
 */
export const clearingPaidSql = (projectId: string, exceptBatch: string | null = null): SQL => sql`
  SELECT o.payroll_line_id AS line_id, sum(o.amount_fen)::bigint AS paid_fen
  FROM batches ob JOIN instructions o ON o.batch_id = ob.id
  WHERE ob.project_id = ${projectId} AND ob.kind <> 'payroll' AND o.payroll_line_id IS NOT NULL AND o.status IN ('instructed', 'settled')
    ${exceptBatch ? sql`AND ob.id <> ${exceptBatch}` : sql``}
  GROUP BY o.payroll_line_id`;

export interface Waiting { id: string; project_id: string; payroll_id: string | null; kind: string; status: string; from_account_id: string; total_fen: string; line_count: number }

const arr = (xs: string[]) => `{${xs.join(',')}}`;

/**
 * The payroll batches holding these lines that the bank has not taken: `ready` (holds taken) but never
 * pulled (GET, JSON or pain.001) nor acknowledged. Locked FOR UPDATE in id order. The bank's pull
 * takes the same row lock and records `pulled_at` (bank-batches.service), so either the pull waits
 * and then reads the batch without the lines a case paid, or it came first and the lines are on
 * their way (payableMembers leaves them out, the case does not pay them). A case locks these before
 * it judges what it may pay, and createBatch locks them again (a no-op) before withdrawing. Found
 * through the lines' wage sheets (`instructions.payroll_line_id` has no index).
 */
export async function lockUntakenBatches(tx: DbOrTx, projectId: string, lineIds: string[]): Promise<Waiting[]> {
  if (!lineIds.length) return [];
  return ((await tx.execute(sql`
    SELECT b.id, b.project_id, b.payroll_id, b.kind, b.status, b.from_account_id, b.total_fen, b.line_count FROM batches b
    WHERE b.project_id = ${projectId} AND b.kind = 'payroll' AND b.status = 'ready' AND b.pulled_at IS NULL AND b.acknowledged_at IS NULL
      AND b.id IN (SELECT r.batch_id FROM payroll_lines l JOIN payrolls r ON r.id = l.payroll_id AND r.project_id = l.project_id
        WHERE l.project_id = ${projectId} AND l.id = ANY(${arr(lineIds)}::uuid[]))
    ORDER BY b.id FOR UPDATE OF b`)) as unknown as Rows<Waiting>).rows;
}

type Cut = { id: string; end_to_end_id: string; hold_transaction_id: string; keep_fen: number };

/**
 * A ready batch holds money per instruction: a withdrawn instruction's hold is voided, a reduced one's
 * is voided and taken again for what it still pays (a new hold id, so the old transaction stays as it was).
 */
async function reHold(tx: DbOrTx, b: Waiting, cut: Cut[]): Promise<void> {
  const acc = await projectAccounts(tx, b.project_id);
  const accounts = [b.from_account_id, acc.payouts];
  await settleHolds(tx, cut.map((r) => r.hold_transaction_id), cut.map(() => 'void' as const), accounts);
  const reduced = cut.filter((r) => r.keep_fen > 0).map((r) => ({ holdId: idFromKey(`disbursement_hold:${r.id}:${r.keep_fen}`), instructionId: r.id, endToEndId: r.end_to_end_id, amountFen: r.keep_fen }));
  if (!reduced.length) return;
  await createHolds(tx, b.project_id, b.id, b.from_account_id, acc.payouts, reduced);
  await tx.execute(sql`
    UPDATE instructions i SET hold_transaction_id = x.hold FROM json_to_recordset(${JSON.stringify(reduced.map((r) => ({ id: r.instructionId, hold: r.holdId })))}::json) AS x(id uuid, hold uuid)
    WHERE i.id = x.id AND i.batch_id = ${b.id}`);
}

/**
 * Wages are owed on pay day whether or not the account was funded (issue 19), so while a batch waits
 * for the construction unit's allocation an arrears case may pay its lines from the GC's funds or the
 * deposit. Before such a batch takes holds, each of its instructions is cut to what its line still
 * needs (net minus clearing payments on their way or settled): a line paid in full is withdrawn, one
 * paid in part is reduced. The batch's count and total follow; a batch left with nothing to pay is
 * closed (`cancelled`, reason `paid_by_case`) rather than sent empty. One `batch.lines_withdrawn`
 * event and one audit row, in the caller's transaction; nothing happens when nothing was paid.
 * The same cut applies to a `ready` batch the bank has not taken (createBatch, under
 * `lockUntakenBatches`' lock): its holds follow (`reHold`).
 */
export async function withdrawClearedLines(tx: DbOrTx, b: Waiting): Promise<{ totalFen: number; lineCount: number; cancelled: boolean }> {
  const cut = (await tx.execute(sql`
    WITH clr AS (${clearingPaidSql(b.project_id, b.id)})
    SELECT i.id, i.payroll_line_id, i.worker_id, i.amount_fen::float8 AS amount_fen, i.end_to_end_id, i.hold_transaction_id,
      LEAST(i.amount_fen, GREATEST(l.net_fen - clr.paid_fen, 0))::float8 AS keep_fen
    FROM instructions i JOIN clr ON clr.line_id = i.payroll_line_id JOIN payroll_lines l ON l.id = i.payroll_line_id
    WHERE i.batch_id = ${b.id} AND i.status = 'instructed' AND LEAST(i.amount_fen, GREATEST(l.net_fen - clr.paid_fen, 0)) < i.amount_fen
    ORDER BY i.id`)) as unknown as Rows<Cut & { payroll_line_id: string; worker_id: string; amount_fen: number }>;
  const total = Number(b.total_fen);
  if (!cut.rows.length) return { totalFen: total, lineCount: b.line_count, cancelled: false };
  const rows = cut.rows.map((r) => ({ id: r.id, keep: r.keep_fen, from: r.amount_fen }));
  // A withdrawn instruction keeps its amount (what it would have paid) and says why in its flags; the
  // bank never sees it (bank-batches.service lists `instructed` lines only). A reduced one pays the rest.
  await tx.execute(sql`
    UPDATE instructions i SET
      status = CASE WHEN x.keep = 0 THEN 'withdrawn' ELSE i.status END,
      amount_fen = CASE WHEN x.keep = 0 THEN i.amount_fen ELSE x.keep END,
      flags = i.flags || jsonb_build_array(jsonb_build_object('reason', ${PAID_BY_CASE}::text, 'fromFen', x.from_fen, 'toFen', x.keep)),
      updated_at = now()
    FROM json_to_recordset(${JSON.stringify(rows.map((r) => ({ id: r.id, keep: r.keep, from_fen: r.from })))}::json) AS x(id uuid, keep bigint, from_fen bigint)
    WHERE i.id = x.id AND i.batch_id = ${b.id}`);
  if (b.status === 'ready') await reHold(tx, b, cut.rows);
  const left = ((await tx.execute(sql`
    SELECT count(*)::int AS n, COALESCE(sum(amount_fen), 0)::float8 AS total FROM instructions WHERE batch_id = ${b.id} AND status = 'instructed'`)) as unknown as Rows<{ n: number; total: number }>).rows[0]!;
  const cancelled = left.n === 0;
  await tx.execute(sql`
    UPDATE batches SET line_count = ${left.n}, total_fen = ${left.total}, shortfall_fen = CASE WHEN ${cancelled} THEN 0 ELSE shortfall_fen END,
      status = CASE WHEN ${cancelled} THEN 'cancelled' ELSE status END, closed_reason = CASE WHEN ${cancelled} THEN ${PAID_BY_CASE} ELSE closed_reason END
    WHERE id = ${b.id}`);
  const withdrawn = cut.rows.map((r) => ({ instructionId: r.id, payrollLineId: r.payroll_line_id, workerId: r.worker_id, fromFen: r.amount_fen, toFen: r.keep_fen }));
  const data = { batchId: b.id, payrollId: b.payroll_id, kind: b.kind, reason: PAID_BY_CASE, withdrawnFen: total - left.total, lineCount: left.n, totalFen: left.total,
    status: cancelled ? 'cancelled' : b.status, lines: withdrawn };
  await emit(tx, { type: EVENTS.batchLinesWithdrawn, projectId: b.project_id, payload: data });
  await appendAudit(tx, { actor: 'system', action: 'batch.lines_withdrawn', entityType: 'batch', entityId: b.id, projectId: b.project_id,
    data: { reason: PAID_BY_CASE, withdrawnFen: data.withdrawnFen, lineCount: left.n, totalFen: left.total, cancelled, instructions: withdrawn.map((w) => w.instructionId) } });
  return { totalFen: left.total, lineCount: left.n, cancelled };
}

async function availableFen(tx: DbOrTx, accountId: string): Promise<number> {
  const r = (await tx.execute(sql`SELECT posted, pending_out, allow_negative FROM ledger_accounts WHERE id = ${accountId} FOR UPDATE`)) as unknown as Rows<{ posted: string; pending_out: string; allow_negative: boolean }>;
  const a = r.rows[0];
  if (!a) return 0;
  return a.allow_negative ? Number.MAX_SAFE_INTEGER : Number(a.posted) - Number(a.pending_out);
}

/**
 * Ready the project's waiting batches, oldest first, as far as the paying accounts now cover them.
 * Called after every credit to a project's wage/deposit account (webhook or statement); the escrow
 * module may call it after recording an allocation. Each batch is first cut to what its lines still
 * need (`withdrawClearedLines`): a case that paid a line while the batch waited must not see it paid
 * twice. Returns the batches that became ready.
 */
export async function releaseAwaitingBatches(tx: DbOrTx, projectId: string): Promise<string[]> {
  const waiting = (await tx.execute(sql`
    SELECT id, project_id, payroll_id, kind, status, from_account_id, total_fen, line_count FROM batches WHERE project_id = ${projectId} AND status = 'awaiting_funds'
    ORDER BY created_at, id FOR UPDATE`)) as unknown as Rows<Waiting>;
  if (!waiting.rows.length) return [];
  const acc = await projectAccounts(tx, projectId);
  const readied: string[] = [];
  for (const b of waiting.rows) {
    const now = await withdrawClearedLines(tx, b);
    if (now.cancelled) continue; // nothing left to pay: closed, and it holds nothing back
    const available = await availableFen(tx, b.from_account_id);
    if (available < now.totalFen) {
      await tx.execute(sql`UPDATE batches SET shortfall_fen = ${now.totalFen - available} WHERE id = ${b.id}`);
      break; // oldest first: a later batch must not overtake an earlier one
    }
    const ins = (await tx.execute(sql`
      SELECT id, end_to_end_id, amount_fen, hold_transaction_id FROM instructions WHERE batch_id = ${b.id} AND status = 'instructed' ORDER BY id`)) as unknown as Rows<{ id: string; end_to_end_id: string; amount_fen: string; hold_transaction_id: string }>;
    await createHolds(tx, projectId, b.id, b.from_account_id, acc.payouts,
      ins.rows.map((r) => ({ holdId: r.hold_transaction_id, instructionId: r.id, endToEndId: r.end_to_end_id, amountFen: Number(r.amount_fen) })));
    await tx.execute(sql`UPDATE batches SET status = 'ready', shortfall_fen = 0 WHERE id = ${b.id}`);
    readied.push(b.id);
  }
  return readied;
}
