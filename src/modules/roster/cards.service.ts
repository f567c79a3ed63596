/**
 * Card custody (issue 17): what an engagement pays. Lifecycle in docs/roster.md.
 *
 * A card pays only when its holder is known: given at the engagement's registration (before anything
 * was paid on it), verified by the bank's account-holder check (三要素, `card.verified` match), or
 * confirmed by the worker on their own page. Every other change is a *proposal*; batches keep paying
 * the active card meanwhile. Exactly one paying card (active or legacy) per engagement, enforced by
 * the partial unique index `worker_cards_one_paying_uq`; activations of one engagement are also
 * serialised on its row lock so they queue instead of failing.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { ConflictError, NotFoundError, UnprocessableError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { maskBankCard, validateBankCard } from '../../lib/identifiers.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import type { ProjectScope } from '../auth/scope.js';
import { repayOpenFixes } from './card-fix.service.js';

type Rows<T> = { rows: T[] };
/** Who acted: a principal, or a system party ('bank'). #18 passes the signed-in worker. */
export interface AuditActor { id: string }
const iso = (v: unknown) => new Date(v as string).toISOString();

interface Eng { id: string; worker_id: string; project_id: string; employer_id: string; county_code: string }

async function lockEngagement(tx: DbOrTx, engagementId: string): Promise<Eng> {
  return ((await tx.execute(sql`
    SELECT e.id, e.worker_id, e.project_id, e.employer_id, p.county_code FROM engagements e JOIN projects p ON p.id = e.project_id
    WHERE e.id = ${engagementId} FOR UPDATE OF e`)) as unknown as Rows<Eng>).rows[0]!;
}

/** The worker's engagement on the project the caller may act for (latest first: a departed worker may still need a card). */
async function findEngagement(tx: DbOrTx, projectId: string, workerId: string, onlyEmployer: string | null): Promise<Eng | undefined> {
  return ((await tx.execute(sql`
    SELECT e.id, e.worker_id, e.project_id, e.employer_id, p.county_code FROM engagements e JOIN projects p ON p.id = e.project_id
    WHERE e.project_id = ${projectId} AND e.worker_id = ${workerId} AND (${onlyEmployer}::uuid IS NULL OR e.employer_id = ${onlyEmployer}::uuid)
    ORDER BY (e.exit_date IS NULL) DESC, e.entry_date DESC, e.id DESC LIMIT 1`)) as unknown as Rows<Eng>).rows[0];
}

async function payingCard(tx: DbOrTx, engagementId: string) {
  return ((await tx.execute(sql`
    SELECT id, card_bidx, card_masked FROM worker_cards WHERE engagement_id = ${engagementId} AND status IN ('active', 'legacy')`)) as unknown as Rows<{ id: string; card_bidx: string; card_masked: string }>).rows[0];
}

/**
 * A company that does not employ the worker on that project tried to change their card: the
 * answer is a 404 (as for a worker it cannot see), the attempt is audited and alerted red.
 * Only when the worker really is engaged there; a random id is just a 404.
 */
export async function recordRefusedChange(tx: DbOrTx, actor: Principal, projectId: string, workerId: string): Promise<void> {
  const e = await findEngagement(tx, projectId, workerId, null);
  if (!e) return;
  await appendAudit(tx, { actor: actor.id, action: 'worker.card_change_refused', entityType: 'engagement', entityId: e.id, projectId, data: { workerId, companyId: actor.companyId ?? null } });
  await emit(tx, { type: EVENTS.cardChangeRefused, projectId, countyCode: e.county_code, companyId: e.employer_id,
    payload: { workerId, engagementId: e.id, attemptedBy: actor.companyId ?? actor.id } });
}

/** POST …/workers/{workerId}/card: a proposal (202). `refused` = a 404 to answer after the commit. */
export async function proposeCard(tx: DbOrTx, pii: PiiCipher, actor: Principal, scope: ProjectScope, onlyEmployer: string | null, workerId: string, cardNumber: string) {
  const card = validateBankCard(cardNumber ?? '');
  if (!card.ok) throw new UnprocessableError('The card cannot be proposed', [{ path: 'body.bankCardNumber', message: 'must be 16 to 19 digits' }], 'invalid_card');
  const found = await findEngagement(tx, scope.projectId, workerId, onlyEmployer);
  if (!found) {
    await recordRefusedChange(tx, actor, scope.projectId, workerId);
    return { refused: new NotFoundError('Worker') };
  }
  const e = await lockEngagement(tx, found.id);
  const bidx = pii.blindIndex(card.normalized, 'card');
  const current = await payingCard(tx, e.id);
  if (current?.card_bidx === bidx) throw new ConflictError('This card is already the one the worker is paid to', 'card_unchanged');
  // A newer proposal replaces an older one still waiting: only the latest word of the employer counts.
  const superseded = ((await tx.execute(sql`
    UPDATE worker_cards SET status = 'refused', reason = 'superseded by a newer proposal', status_by = ${actor.id}, status_since = now()
    WHERE engagement_id = ${e.id} AND status = 'proposed' RETURNING id, card_masked`)) as unknown as Rows<{ id: string; card_masked: string }>).rows;
  const id = newId();
  const masked = maskBankCard(card.normalized);
  for (const old of superseded) await cardEvent(tx, e, actor.id, 'refused', old.id, old.card_masked, null, { reason: 'superseded', by: id });
  await tx.execute(sql`
    INSERT INTO worker_cards (id, engagement_id, worker_id, project_id, employer_id, card_enc, card_bidx, card_masked, status, origin, proposed_by, status_by, verification)
    VALUES (${id}, ${e.id}, ${e.worker_id}, ${e.project_id}, ${e.employer_id}, ${pii.encrypt(card.normalized)}, ${bidx}, ${masked}, 'proposed', 'proposal', ${actor.id}, ${actor.id}, 'pending')`);
  await cardEvent(tx, e, actor.id, 'proposed', id, current?.card_masked ?? null, masked);
  return { proposalId: id, status: 'proposed' as const };
}

/** Audit row (old and new card masked) and `worker.card_changed` for one transition. */
async function cardEvent(tx: DbOrTx, e: Eng, by: string, action: string, cardId: string, oldMasked: string | null, newMasked: string | null, extra: Record<string, unknown> = {}) {
  await appendAudit(tx, { actor: by, action: `worker.card_${action}`, entityType: 'worker_card', entityId: cardId, projectId: e.project_id,
    data: { workerId: e.worker_id, engagementId: e.id, oldCardMasked: oldMasked, newCardMasked: newMasked, ...extra } });
  await emit(tx, { type: EVENTS.cardChanged, projectId: e.project_id, countyCode: e.county_code, companyId: e.employer_id,
    payload: { action, workerId: e.worker_id, engagementId: e.id, cardId, cardMasked: newMasked ?? oldMasked, oldCardMasked: oldMasked, ...extra } });
}

/**
 * proposed/verified → active; the previous paying card → replaced. Returns false when the card is
 * no longer waiting (already active, refused, superseded). Then re-pays what a card fix held back.
 */
export async function activateCard(tx: DbOrTx, cardId: string, by: string, how: 'bank_verified' | 'worker_confirmed'): Promise<boolean> {
  const eid = ((await tx.execute(sql`SELECT engagement_id FROM worker_cards WHERE id = ${cardId}`)) as unknown as Rows<{ engagement_id: string }>).rows[0]?.engagement_id;
  if (!eid) return false;
  const e = await lockEngagement(tx, eid);
  const c = ((await tx.execute(sql`SELECT status, card_masked FROM worker_cards WHERE id = ${cardId} FOR UPDATE`)) as unknown as Rows<{ status: string; card_masked: string }>).rows[0]!;
  if (c.status !== 'proposed' && c.status !== 'verified') return false;
  const old = ((await tx.execute(sql`
    UPDATE worker_cards SET status = 'replaced', status_by = ${by}, status_since = now()
    WHERE engagement_id = ${eid} AND status IN ('active', 'legacy') RETURNING card_masked`)) as unknown as Rows<{ card_masked: string }>).rows[0];
  await tx.execute(sql`UPDATE worker_cards SET status = 'active', status_by = ${by}, status_since = now() WHERE id = ${cardId}`);
  await cardEvent(tx, e, by, 'activated', cardId, old?.card_masked ?? null, c.card_masked, { how });
  await repayOpenFixes(tx, eid);
  return true;
}

/**
 * The worker confirms, on their own page, a card proposed for one of their own engagements; it
 * becomes active. NotFound when the proposal is not that worker's or no longer waits.
 * Called by #18's POST /v1/me/card-proposals/{proposalId}/confirm.
 */
export async function confirmCardProposal(db: DbOrTx, input: { workerId: string; proposalId: string; phoneBidx?: string }, actor: AuditActor) {
  return db.transaction(async (tx) => {
    // From the worker's door: only a proposal on an engagement under the phone that signed in (the
    // session's phone), so a company that put its own number on the worker's ID confirms nothing of another's.
    const c = ((await tx.execute(sql`
      SELECT c.id FROM worker_cards c WHERE c.id = ${input.proposalId} AND c.worker_id = ${input.workerId} AND c.status IN ('proposed', 'verified')
        ${input.phoneBidx !== undefined ? sql`AND EXISTS (SELECT 1 FROM engagements e WHERE e.id = c.engagement_id AND e.phone_bidx = ${input.phoneBidx})` : sql``}`)) as unknown as Rows<{ id: string }>).rows[0];
    if (!c || !(await activateCard(tx, c.id, actor.id, 'worker_confirmed'))) throw new NotFoundError('Card proposal');
    return { proposalId: c.id, status: 'active' as const };
  });
}

/**
 * The proposals waiting for this worker's word, for #18's worker page (what `confirmCardProposal`
 * accepts): masked card, where and by whom.
 */
export async function proposalsForWorker(db: DbOrTx, workerId: string) {
  const r = (await db.execute(sql`
    SELECT c.id, c.project_id, p.name AS project_name, co.name AS employer_name, c.card_masked, c.created_at
    FROM worker_cards c JOIN projects p ON p.id = c.project_id JOIN companies co ON co.id = c.employer_id
    WHERE c.worker_id = ${workerId} AND c.status IN ('proposed', 'verified') ORDER BY c.created_at, c.id`)) as unknown as Rows<{
    id: string; project_id: string; project_name: string; employer_name: string; card_masked: string; created_at: Date;
  }>;
  return { items: r.rows.map((x) => ({ proposalId: x.id, projectId: x.project_id, projectName: x.project_name, employerName: x.employer_name, cardMasked: x.card_masked, createdAt: iso(x.created_at) })) };
}

/** The bank's account-holder checks still to do, with full values (each read audited). */
export async function pendingVerifications(tx: DbOrTx, pii: PiiCipher, actor: Principal, limit: number) {
  const r = (await tx.execute(sql`
    SELECT c.id, c.project_id, w.name, w.id_number_enc, c.card_enc FROM worker_cards c JOIN workers w ON w.id = c.worker_id JOIN projects p ON p.id = c.project_id
    WHERE c.status = 'proposed' AND c.verification = 'pending' AND (${actor.role === 'admin'} OR p.wage_bank_id = ${actor.bankId ?? null}::uuid)
    ORDER BY c.created_at, c.id LIMIT ${limit}`)) as unknown as Rows<{ id: string; project_id: string; name: string; id_number_enc: string; card_enc: string }>;
  const full = actor.role === 'bank';
  for (const x of r.rows) {
    if (full) await appendAudit(tx, { actor: actor.id, action: 'worker_card.verification_read', entityType: 'worker_card', entityId: x.id, projectId: x.project_id, data: { fields: ['name', 'idNumber', 'cardNumber'] } });
  }
  return {
    items: r.rows.map((x) => ({
      id: x.id, name: x.name,
      idNumber: full ? pii.decrypt(x.id_number_enc) : '******************',
      cardNumber: full ? pii.decrypt(x.card_enc) : '****',
    })),
  };
}

/**
 * `card.verified` from the proposal's bank (the project's wage-account bank): match → verified →
 * active; mismatch or closed → refused (never active). Repeats and other banks' ids are ignored.
 */
export async function applyCardVerifications(tx: DbOrTx, bankId: string, items: { verificationId: string; result: 'match' | 'mismatch' | 'closed' }[]): Promise<number> {
  let applied = 0;
  for (const v of items) {
    const c = ((await tx.execute(sql`
      SELECT c.id, c.engagement_id, c.status, c.card_masked FROM worker_cards c JOIN projects p ON p.id = c.project_id
      WHERE c.id = ${v.verificationId} AND p.wage_bank_id = ${bankId} AND c.verification = 'pending' FOR UPDATE OF c`)) as unknown as Rows<{ id: string; engagement_id: string; status: string; card_masked: string }>).rows[0];
    if (!c) continue;
    applied++;
    await tx.execute(sql`UPDATE worker_cards SET verification = ${v.result}, verification_at = now() WHERE id = ${c.id}`);
    if (c.status !== 'proposed') continue;
    const e = await lockEngagement(tx, c.engagement_id);
    if (v.result === 'match') {
      await tx.execute(sql`UPDATE worker_cards SET status = 'verified', status_by = 'bank', status_since = now() WHERE id = ${c.id}`);
      await cardEvent(tx, e, 'bank', 'verified', c.id, null, c.card_masked);
      await activateCard(tx, c.id, 'bank', 'bank_verified');
    } else {
      await tx.execute(sql`UPDATE worker_cards SET status = 'refused', status_by = 'bank', status_since = now(), reason = ${`bank check: ${v.result}`} WHERE id = ${c.id}`);
      await cardEvent(tx, e, 'bank', 'refused', c.id, null, c.card_masked, { result: v.result });
    }
  }
  return applied;
}

/** GET …/workers/{workerId}/cards: the engagement's cards, newest first, masked. */
export async function cardHistory(db: DbOrTx, projectId: string, workerId: string, onlyEmployer: string | null) {
  const r = (await db.execute(sql`
    SELECT c.id, c.engagement_id, c.card_masked, c.status, c.status_since, c.status_by, c.origin, c.verification, c.reason, c.created_at
    FROM worker_cards c JOIN engagements e ON e.id = c.engagement_id
    WHERE c.project_id = ${projectId} AND c.worker_id = ${workerId} AND (${onlyEmployer}::uuid IS NULL OR e.employer_id = ${onlyEmployer}::uuid)
    ORDER BY c.created_at DESC, c.id DESC LIMIT 500`)) as unknown as Rows<{
    id: string; engagement_id: string; card_masked: string; status: string; status_since: Date; status_by: string; origin: string; verification: string | null; reason: string | null; created_at: Date;
  }>;
  if (!r.rows.length) throw new NotFoundError('Worker');
  return {
    items: r.rows.map((x) => ({
      id: x.id, engagementId: x.engagement_id, cardMasked: x.card_masked, status: x.status, since: iso(x.status_since), by: x.status_by,
      origin: x.origin, verification: x.verification, reason: x.reason, createdAt: iso(x.created_at),
    })),
  };
}
