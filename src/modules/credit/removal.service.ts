/**
 * Early removal from the blacklist: the company applies with a written credit commitment once the
 * listed arrears are paid and the waiting period since correction has passed; an inspector decides.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { ConflictError, NotFoundError, UnprocessableError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import { getPolicy } from '../policy/policy.service.js';
import { earlyRemoval } from './blacklist.rules.js';
import { actorOf, assertCompanyScope, assertInspectorScope, endListing, loadEntry, type EntryRow } from './blacklist.service.js';

type Rows<T> = { rows: T[] };
const rows = async <T>(db: DbOrTx, q: ReturnType<typeof sql>): Promise<T[]> => ((await db.execute(q)) as unknown as Rows<T>).rows;

export interface RemovalRequest {
  id: string;
  entryId: string;
  status: 'pending' | 'approved' | 'rejected';
  requestedOn: string;
  correctedOn: string;
  commitment: string;
  decidedOn: string | null;
  decisionReason: string | null;
}

/**
 * What is still unpaid of the listed cases, and when the last of them was corrected (closed).
 * An entry without cases (a manual mass-incident proposal) relies on the date the company gives.
 */
export async function correctionOf(tx: DbOrTx, e: EntryRow, claimed?: string): Promise<{ unpaidFen: number; openCases: number; correctedOn: string | null }> {
  if (e.case_ids.length === 0) return { unpaidFen: 0, openCases: 0, correctedOn: claimed ?? null };
  const r = (await rows<{ unpaid: string; open: number; corrected: string | null }>(tx, sql`
    SELECT coalesce(sum(greatest(amount_outstanding_fen, 0)) FILTER (WHERE status = 'open'), 0)::bigint AS unpaid,
      count(*) FILTER (WHERE status = 'open')::int AS open, max(closed_on)::text AS corrected
    FROM arrears_cases WHERE id = ANY(${`{${e.case_ids.join(',')}}`}::uuid[])`))[0]!;
  // The correction date is the day the last listed case closed (all its workers paid).
  return { unpaidFen: Number(r.unpaid), openCases: r.open, correctedOn: r.open > 0 ? null : r.corrected };
}

const select = sql`SELECT id, entry_id AS "entryId", status, requested_on::text AS "requestedOn", corrected_on::text AS "correctedOn",
  commitment, decided_on::text AS "decidedOn", decision_reason AS "decisionReason" FROM blacklist_removal_requests`;

export async function requestRemoval(tx: DbOrTx, p: Principal, entryId: string, input: { commitment: string; correctedOn?: string }, asOf: string): Promise<RemovalRequest> {
  const e = await loadEntry(tx, entryId, true);
  assertCompanyScope(p, e);
  const pending = await rows<{ id: string }>(tx, sql`SELECT id FROM blacklist_removal_requests WHERE entry_id = ${entryId} AND status = 'pending'`);
  if (pending.length) throw new ConflictError('A removal request is already pending', 'removal_pending');
  const policy = await getPolicy(tx, e.county_code, asOf);
  const c = await correctionOf(tx, e, input.correctedOn);
  const check = earlyRemoval({ status: e.status, unpaidFen: c.unpaidFen, openCases: c.openCases, correctedOn: c.correctedOn, commitment: input.commitment }, asOf, policy.credit);
  if (!check.ok) throw new UnprocessableError('Early removal is not possible yet', check.errors, 'removal_not_eligible');
  const id = newId();
  await tx.execute(sql`
    INSERT INTO blacklist_removal_requests (id, entry_id, company_id, requested_on, requested_by, commitment, corrected_on, status)
    VALUES (${id}, ${entryId}, ${e.company_id}, ${asOf}, ${p.id}, ${input.commitment}, ${c.correctedOn}, 'pending')`);
  await appendAudit(tx, {
    actor: p.id, action: 'blacklist.removal_requested', entityType: 'blacklist_entry', entityId: entryId,
    data: { requestId: id, role: p.role, commitment: input.commitment, correctedOn: c.correctedOn, eligibleFrom: check.eligibleFrom, asOf },
  });
  return (await rows<RemovalRequest>(tx, sql`${select} WHERE id = ${id}`))[0]!;
}

export async function decideRemoval(tx: DbOrTx, p: Principal, entryId: string, requestId: string, decision: 'approve' | 'reject', reason: string, asOf: string): Promise<RemovalRequest> {
  const e = await loadEntry(tx, entryId, true);
  assertInspectorScope(p, e);
  const req = (await rows<RemovalRequest>(tx, sql`${select} WHERE id = ${requestId} AND entry_id = ${entryId} FOR UPDATE`))[0];
  if (!req) throw new NotFoundError('Removal request');
  if (req.status !== 'pending') throw new ConflictError(`The request is already ${req.status}`, 'removal_decided');
  if (decision === 'approve') {
    // Re-check at decision time: arrears may have reappeared or the entry may have expired meanwhile.
    const policy = await getPolicy(tx, e.county_code, asOf);
    const c = await correctionOf(tx, e, req.correctedOn);
    const check = earlyRemoval({ status: e.status, unpaidFen: c.unpaidFen, openCases: c.openCases, correctedOn: c.correctedOn ?? req.correctedOn, commitment: req.commitment }, asOf, policy.credit);
    if (!check.ok) throw new UnprocessableError('Early removal is not possible', check.errors, 'removal_not_eligible');
  }
  await tx.execute(sql`
    UPDATE blacklist_removal_requests SET status = ${decision === 'approve' ? 'approved' : 'rejected'}, decided_on = ${asOf},
      decided_by = ${p.id}, decision_reason = ${reason} WHERE id = ${requestId}`);
  if (decision === 'approve') await endListing(tx, actorOf(p), e, 'removed', `early removal approved: ${reason}`, asOf);
  else await appendAudit(tx, { actor: p.id, action: 'blacklist.removal_rejected', entityType: 'blacklist_entry', entityId: entryId, data: { requestId, role: p.role, reason, asOf } });
  return (await rows<RemovalRequest>(tx, sql`${select} WHERE id = ${requestId}`))[0]!;
}

export async function removalRequests(db: DbOrTx, entryId: string): Promise<RemovalRequest[]> {
  return rows<RemovalRequest>(db, sql`${select} WHERE entry_id = ${entryId} ORDER BY created_at`);
}
