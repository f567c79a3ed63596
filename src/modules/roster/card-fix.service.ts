/**
 * Lost or closed cards (issue 17, rule 4). Also: a payment due while no card pays is left out of its
 * batch by createBatch and waits here (instruction_id null, the batch context on the fix).
 * A bank rejection or return for AC01 (wrong account),
 * AC04 (closed account) or BE01 (name/ID does not match the holder) marks the card the instruction
 * paid `invalid` and opens a card-fix task for the employer. Once the engagement has a paying card
 * again, each open fix is re-paid in its own batch (kind `card_fix`, same paying account, bank and
 * debtor as the rejected attempt) with a new EndToEndId; the line's reconciliation sees both
 * attempts (the `card_fix` instruction names the line, like a deposit draw does). Other rejection
 * codes keep today's behaviour (no fix, no invalidation). A fix whose line was paid otherwise meanwhile
 * (a case's GC advance or deposit draw, an earlier fix of the same line) re-pays only what is still
 * owed, or nothing: it turns `cleared`.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { newId } from '../../lib/ids.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit, type OutboxEvent } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import { createBatch } from '../disbursement/batch.service.js';
import { OUTSTANDING } from '../enforcement/sweep.sql.js';

type Rows<T> = { rows: T[] };
const iso = (v: unknown) => new Date(v as string).toISOString();

/** The rejection codes that say the card itself is wrong, gone or not the worker's. */
export const CARD_FAULT_CODES = new Set(['AC01', 'AC04', 'BE01']);

/**
 * Called by the bank-facts apply, in its transaction, for instructions that moved to rejected or
 * returned. Idempotent (one fix per rejected instruction).
 */
export async function openCardFixes(tx: DbOrTx, rejected: { instructionId: string; reasonCode: string | null }[]): Promise<void> {
  const mine = rejected.filter((r) => r.reasonCode && CARD_FAULT_CODES.has(r.reasonCode));
  if (!mine.length) return;
  const code = new Map(mine.map((r) => [r.instructionId, r.reasonCode!]));
  const rows = (await tx.execute(sql`
    SELECT i.id, i.card_id, i.amount_fen, i.payroll_line_id, i.worker_id, i.project_id, i.end_to_end_id, c.engagement_id, c.status AS card_status, c.card_masked,
      e.employer_id, p.county_code
    FROM instructions i JOIN worker_cards c ON c.id = i.card_id JOIN engagements e ON e.id = c.engagement_id JOIN projects p ON p.id = i.project_id
    WHERE i.id = ANY(${`{${mine.map((r) => r.instructionId).join(',')}}`}::uuid[])
    ORDER BY c.engagement_id FOR UPDATE OF e`)) as unknown as Rows<{
    id: string; card_id: string; amount_fen: string; payroll_line_id: string | null; worker_id: string; project_id: string; end_to_end_id: string;
    engagement_id: string; card_status: string; card_masked: string; employer_id: string; county_code: string;
  }>;
  const events: OutboxEvent[] = [];
  const touched = new Set<string>();
  for (const r of rows.rows) {
    const reason = code.get(r.id)!;
    const fix = ((await tx.execute(sql`
      INSERT INTO card_fixes (id, project_id, engagement_id, worker_id, employer_id, card_id, instruction_id, payroll_line_id, amount_fen, reason_code, status)
      VALUES (${newId()}, ${r.project_id}, ${r.engagement_id}, ${r.worker_id}, ${r.employer_id}, ${r.card_id}, ${r.id}, ${r.payroll_line_id}, ${Number(r.amount_fen)}, ${reason}, 'open')
      ON CONFLICT (instruction_id, project_id) DO NOTHING RETURNING id`)) as unknown as Rows<{ id: string }>).rows[0];
    if (!fix) continue;
    touched.add(r.engagement_id);
    const inv = ((await tx.execute(sql`
      UPDATE worker_cards SET status = 'invalid', status_by = 'bank', status_since = now(), reason = ${`bank ${reason}`}
      WHERE id = ${r.card_id} AND status IN ('active', 'legacy') RETURNING id`)) as unknown as Rows<{ id: string }>).rows[0];
    const base = { projectId: r.project_id, countyCode: r.county_code, companyId: r.employer_id };
    if (inv) {
      await appendAudit(tx, { actor: 'bank', action: 'worker.card_invalidated', entityType: 'worker_card', entityId: r.card_id, projectId: r.project_id,
        data: { workerId: r.worker_id, engagementId: r.engagement_id, oldCardMasked: r.card_masked, newCardMasked: null, reasonCode: reason, endToEndId: r.end_to_end_id } });
      events.push({ ...base, type: EVENTS.cardChanged, payload: { action: 'invalidated', workerId: r.worker_id, engagementId: r.engagement_id, cardId: r.card_id, cardMasked: r.card_masked, reasonCode: reason } });
    }
    events.push({ ...base, type: EVENTS.cardFixOpened, payload: { cardFixId: fix.id, workerId: r.worker_id, engagementId: r.engagement_id, cardMasked: r.card_masked, reasonCode: reason, amountFen: Number(r.amount_fen), payrollLineId: r.payroll_line_id } });
  }
  await emit(tx, ...events);
  // A card already replaced before the rejection arrived: the new one pays at once.
  for (const eid of touched) await repayOpenFixes(tx, eid);
}

/** Re-pay the engagement's open fixes to its paying card, if it has one. Returns the new batch ids. */
export async function repayOpenFixes(tx: DbOrTx, engagementId: string): Promise<string[]> {
  const paying = ((await tx.execute(sql`
    SELECT id FROM worker_cards WHERE engagement_id = ${engagementId} AND status IN ('active', 'legacy')`)) as unknown as Rows<{ id: string }>).rows[0];
  if (!paying) return [];
  const fixes = (await tx.execute(sql`
    SELECT f.id, f.project_id, f.worker_id, f.amount_fen, f.payroll_line_id, COALESCE(b.kind, f.batch_kind) AS kind, COALESCE(b.payroll_id, f.payroll_id) AS payroll_id,
      COALESCE(b.bank_id, f.bank_id) AS bank_id, COALESCE(b.debtor_account, f.debtor_account) AS debtor_account, COALESCE(b.debtor_name, f.debtor_name) AS debtor_name,
      COALESCE(b.from_account_id, f.from_account_id) AS from_account_id
    FROM card_fixes f LEFT JOIN instructions i ON i.id = f.instruction_id LEFT JOIN batches b ON b.id = i.batch_id
    WHERE f.engagement_id = ${engagementId} AND f.status = 'open' ORDER BY f.created_at, f.id FOR UPDATE OF f`)) as unknown as Rows<{
    id: string; project_id: string; worker_id: string; amount_fen: string; payroll_line_id: string | null; kind: string; payroll_id: string | null;
    bank_id: string; debtor_account: string; debtor_name: string; from_account_id: string;
  }>;
  const out: string[] = [];
  for (const f of fixes.rows) {
    // Never pay a line twice: while the worker had no card, the GC or the deposit may have paid it
    // (a case), or an earlier fix of the same line (the wage sheet's, then a deferred GC advance's)
    // was re-paid a moment ago in this loop. Re-pay only what the line still owes.
    const amount = f.payroll_line_id ? Math.min(Number(f.amount_fen), await linePayableFen(tx, f.payroll_line_id)) : Number(f.amount_fen);
    if (amount <= 0) {
      await tx.execute(sql`UPDATE card_fixes SET status = 'cleared', resolved_at = now() WHERE id = ${f.id}`);
      await appendAudit(tx, { actor: 'system', action: 'worker.card_fix_cleared', entityType: 'card_fix', entityId: f.id, projectId: f.project_id,
        data: { workerId: f.worker_id, amountFen: Number(f.amount_fen), payrollLineId: f.payroll_line_id, note: 'the line was paid otherwise: nothing re-paid' } });
      continue;
    }
    // A payroll line's re-pay is its own batch kind so reconciliation links it to the line (see clr in
    // reconciliation.sql.ts); a deposit draw or GC advance keeps its kind (already linked by line).
    const b = await createBatch(tx, {
      projectId: f.project_id, kind: f.kind === 'payroll' || f.kind === 'card_fix' ? 'card_fix' : (f.kind as 'deposit_draw' | 'gc_advance'), payrollId: f.payroll_id,
      bankId: f.bank_id, debtorAccount: f.debtor_account, debtorName: f.debtor_name, fromAccountId: f.from_account_id, executionDate: new Date().toISOString().slice(0, 10),
      payments: [{ workerId: f.worker_id, amountFen: amount, ...(f.payroll_line_id ? { payrollLineId: f.payroll_line_id } : {}) }],
    });
    const ins = ((await tx.execute(sql`SELECT id, end_to_end_id FROM instructions WHERE batch_id = ${b.batchId}`)) as unknown as Rows<{ id: string; end_to_end_id: string }>).rows[0]!;
    await tx.execute(sql`UPDATE card_fixes SET status = 'repaid', repay_instruction_id = ${ins.id}, resolved_at = now() WHERE id = ${f.id}`);
    await appendAudit(tx, { actor: 'system', action: 'worker.card_fix_repaid', entityType: 'card_fix', entityId: f.id, projectId: f.project_id,
      data: { workerId: f.worker_id, batchId: b.batchId, endToEndId: ins.end_to_end_id, amountFen: amount, payrollLineId: f.payroll_line_id } });
    out.push(b.batchId);
  }
  return out;
}

/**
 * What a line can still be paid: its outstanding amount (enforcement's OUTSTANDING) minus payments
 * naming it that are on their way, whoever pays (re-pay, GC advance, deposit draw): instructed, or
 * settled after the line's last reconciliation (reconciliation has not counted them yet). The same
 * rule as the case's payableMembers.
 */
async function linePayableFen(tx: DbOrTx, lineId: string): Promise<number> {
  const r = ((await tx.execute(sql`
    SELECT ${OUTSTANDING} - COALESCE((SELECT sum(i.amount_fen) FROM instructions i JOIN batches b ON b.id = i.batch_id
      WHERE i.payroll_line_id = l.id
        AND ((b.kind <> 'payroll' AND i.status = 'instructed') OR (i.status = 'settled' AND i.updated_at > l.updated_at))), 0) AS amt
    FROM payroll_lines l WHERE l.id = ${lineId}`)) as unknown as Rows<{ amt: string }>).rows[0];
  return r ? Number(r.amt) : 0;
}

/** GET /v1/projects/{id}/card-fixes: the employer's tasks (a subcontractor sees its own). */
export async function listCardFixes(db: DbOrTx, projectId: string, onlyEmployer: string | null, status: 'open' | 'repaid' | 'cleared' | undefined) {
  const r = (await db.execute(sql`
    SELECT f.id, f.worker_id, f.engagement_id, f.employer_id, f.reason_code, f.amount_fen, f.payroll_line_id, f.status, f.created_at, f.resolved_at,
      c.card_masked, i.end_to_end_id AS rejected_e2e, ri.end_to_end_id AS repay_e2e, w.name
    FROM card_fixes f JOIN workers w ON w.id = f.worker_id LEFT JOIN worker_cards c ON c.id = f.card_id
    LEFT JOIN instructions i ON i.id = f.instruction_id LEFT JOIN instructions ri ON ri.id = f.repay_instruction_id
    WHERE f.project_id = ${projectId} AND (${onlyEmployer}::uuid IS NULL OR f.employer_id = ${onlyEmployer}::uuid)
      AND (${status ?? null}::text IS NULL OR f.status = ${status ?? null}::text)
    ORDER BY f.created_at DESC, f.id DESC LIMIT 1000`)) as unknown as Rows<{
    id: string; worker_id: string; engagement_id: string; employer_id: string; reason_code: string; amount_fen: string; payroll_line_id: string | null;
    status: string; created_at: Date; resolved_at: Date | null; card_masked: string | null; rejected_e2e: string | null; repay_e2e: string | null; name: string;
  }>;
  return {
    items: r.rows.map((x) => ({
      id: x.id, workerId: x.worker_id, workerName: x.name, engagementId: x.engagement_id, employerId: x.employer_id, reasonCode: x.reason_code,
      amountFen: Number(x.amount_fen), payrollLineId: x.payroll_line_id, status: x.status, invalidCardMasked: x.card_masked,
      rejectedEndToEndId: x.rejected_e2e, repayEndToEndId: x.repay_e2e, createdAt: iso(x.created_at), resolvedAt: x.resolved_at ? iso(x.resolved_at) : null,
    })),
  };
}
