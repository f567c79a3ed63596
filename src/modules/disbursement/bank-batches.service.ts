import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { NotFoundError } from '../../lib/errors.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import { encodeCursor, readCursor, uuidCursor } from '../platform/common.schemas.js';

type Rows<T> = { rows: T[] };
/** Raw `execute` may hand timestamps back as strings or Dates depending on the driver setup. */
const iso = (v: unknown) => new Date(v as string).toISOString();

/** A bank sees only the batches it must execute; anyone else's batch is a 404. */
const bankFilter = (p: Principal) => (p.role === 'admin' ? sql`TRUE` : sql`b.bank_id = ${p.bankId}`);

export async function listBankBatches(db: DbOrTx, p: Principal, status: string | undefined, limit: number, cursor?: string) {
  const after = readCursor(cursor, uuidCursor);
  const r = (await db.execute(sql`
    SELECT b.id, b.project_id, b.kind, b.status, b.line_count, b.total_fen, b.debtor_account, b.debtor_name,
      b.requested_execution_date::text AS exec, b.created_at
    FROM batches b WHERE ${bankFilter(p)} ${status ? sql`AND b.status = ${status}` : sql``} ${after ? sql`AND b.id > ${after}` : sql``}
    ORDER BY b.id LIMIT ${limit + 1}`)) as unknown as Rows<{
    id: string; project_id: string; kind: string; status: string; line_count: number; total_fen: string; debtor_account: string; debtor_name: string; exec: string; created_at: Date;
  }>;
  const page = r.rows.slice(0, limit);
  return {
    items: page.map((b) => ({
      id: b.id, projectId: b.project_id, kind: b.kind, status: b.status, lineCount: b.line_count, totalFen: Number(b.total_fen),
      debtorAccount: b.debtor_account, debtorName: b.debtor_name, requestedExecutionDate: b.exec, createdAt: iso(b.created_at),
    })),
    nextCursor: r.rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null,
  };
}

/**
 * The batch with its lines. The executing bank gets full card numbers (it must pay them), and
 * that read is audited; an admin sees masks only. The bank's read is its pull: it locks the batch
 * row (the lock a case's clearing payment takes to withdraw lines it paid, batch-release.service)
 * before reading the lines, so it sees a withdrawal or comes first, and the first pull of an
 * executable batch records `pulled_at`: from then on its lines are on their way. Run in a transaction.
 */
export async function getBankBatch(db: DbOrTx, pii: PiiCipher, p: Principal, id: string) {
  const full = p.role === 'bank';
  const b = ((await db.execute(sql`
    SELECT b.*, b.requested_execution_date::text AS exec, bk.code AS bank_code FROM batches b JOIN banks bk ON bk.id = b.bank_id
    WHERE b.id = ${id} AND ${bankFilter(p)} ${full ? sql`FOR UPDATE OF b` : sql``}`)) as unknown as Rows<Record<string, unknown>>).rows[0];
  if (!b) throw new NotFoundError('Batch');
  const firstPull = full && b.pulled_at == null && (b.status === 'ready' || b.status === 'acknowledged');
  if (firstPull) await db.execute(sql`UPDATE batches SET pulled_at = now() WHERE id = ${id} AND project_id = ${b.project_id as string}`);
  const lines = ((await db.execute(sql`
    SELECT id, end_to_end_id, creditor_name, card_enc, card_masked, amount_fen, status, reason_code, payroll_line_id, worker_id
    FROM instructions WHERE batch_id = ${id} AND status <> 'withdrawn' ORDER BY end_to_end_id`)) as unknown as Rows<{
    id: string; end_to_end_id: string; creditor_name: string; card_enc: string; card_masked: string; amount_fen: string; status: string;
    reason_code: string | null; payroll_line_id: string | null; worker_id: string;
  }>).rows;
  if (full) {
    await appendAudit(db, { actor: p.id, action: 'batch.cards_read', entityType: 'batch', entityId: id, projectId: b.project_id as string, data: { lines: lines.length, firstPull } });
  }
  return {
    id: b.id as string, projectId: b.project_id as string, payrollId: (b.payroll_id as string | null) ?? null, kind: b.kind as string, status: b.status as string,
    bankCode: b.bank_code as string, debtorAccount: b.debtor_account as string, debtorName: b.debtor_name as string,
    requestedExecutionDate: b.exec as string, createdAt: iso(b.created_at), createdAtDate: new Date(b.created_at as string),
    lineCount: b.line_count as number, totalFen: Number(b.total_fen), shortfallFen: Number(b.shortfall_fen),
    lines: lines.map((l) => ({
      endToEndId: l.end_to_end_id, instructionId: l.id, workerId: l.worker_id, payrollLineId: l.payroll_line_id, creditorName: l.creditor_name,
      cardNumber: full ? pii.decrypt(l.card_enc) : l.card_masked, cardMasked: l.card_masked, amountFen: Number(l.amount_fen), status: l.status, reasonCode: l.reason_code,
    })),
  };
}

/**
 * ready → acknowledged; repeating it is harmless; other states are left alone. The UPDATE takes the
 * batch row's lock, the one a case's withdrawal holds: an acknowledged batch is never withdrawn from.
 */
export async function acknowledgeBatch(db: DbOrTx, p: Principal, id: string) {
  return db.transaction(async (tx) => {
    const r = ((await tx.execute(sql`
      UPDATE batches b SET status = CASE WHEN b.status = 'ready' THEN 'acknowledged' ELSE b.status END,
        acknowledged_at = COALESCE(b.acknowledged_at, now())
      WHERE b.id = ${id} AND ${bankFilter(p)} AND b.status NOT IN ('awaiting_funds', 'cancelled')
      RETURNING b.id, b.status, b.acknowledged_at, b.project_id, b.acknowledged_at = now() AS first`)) as unknown as Rows<{ id: string; status: string; acknowledged_at: Date; project_id: string; first: boolean }>).rows[0];
    if (!r) throw new NotFoundError('Batch');
    // The first acknowledgement is the bank's act; its idempotent repeats are not new facts.
    if (r.first) await appendAudit(tx, { actor: p.id, action: 'batch.acknowledged', entityType: 'batch', entityId: r.id, projectId: r.project_id, data: { bankId: p.bankId, status: r.status } });
    return { id: r.id, status: r.status, acknowledgedAt: iso(r.acknowledged_at) };
  });
}
