/**
 * Blacklist proposals and their objection flow: propose → (object → decide) → list. Each step is
 * one transaction with its outbox event and an audit row naming who decided and why.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { EVENTS } from '../../jobs/event-types.js';
import { ConflictError, ForbiddenError, NotFoundError, UnprocessableError, field } from '../../lib/errors.js';
import { idFromKey, newId } from '../../lib/ids.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import { getCalendar, getPolicy } from '../policy/policy.service.js';
import { listable, listingPeriod, objectionDeadline, type EntryStatus } from './blacklist.rules.js';

type Rows<T> = { rows: T[] };
const rows = async <T>(db: DbOrTx, q: ReturnType<typeof sql>): Promise<T[]> => ((await db.execute(q)) as unknown as Rows<T>).rows;

export type ProposalReason = 'arrears_threshold' | 'mass_incident';

export interface Actor {
  /** API key id, or `system:<job>` for automatic steps. */
  id: string;
  role: string;
}
export const actorOf = (p: Principal): Actor => ({ id: p.id, role: p.role });
export const SYSTEM: Actor = { id: 'system:credit', role: 'system' };

export interface EntryRow {
  id: string; company_id: string; company_name: string; credit_code: string; legal_representative: string;
  status: EntryStatus; reason: ProposalReason; reason_detail: string; basis: Record<string, unknown>; case_ids: string[];
  county_code: string; proposed_on: string; proposed_by: string; objection_deadline: string;
  listed_on: string | null; expires_on: string | null; ended_on: string | null; end_reason: string | null;
  objection_dismissed: boolean;
  responsible_persons: ResponsiblePerson[];
}

export interface ResponsiblePerson {
  name: string;
  role: 'legal_representative' | 'principal_in_charge' | 'directly_responsible';
}

/** The legal representative first, then the others, each (name, role) once. */
export function withLegalRepresentative(legalRep: string, persons: ResponsiblePerson[] = []): ResponsiblePerson[] {
  const all = [...(legalRep.trim() ? [{ name: legalRep.trim(), role: 'legal_representative' as const }] : []), ...persons.map((p) => ({ name: p.name.trim(), role: p.role }))];
  const seen = new Set<string>();
  return all.filter((p) => p.name && !seen.has(`${p.role}:${p.name}`) && seen.add(`${p.role}:${p.name}`));
}

const ENTRY_COLUMNS = sql`b.id, b.company_id, b.company_name, b.credit_code, b.legal_representative, b.status, b.reason, b.reason_detail,
  b.basis, b.case_ids::text[] AS case_ids, b.county_code, b.proposed_on::text, b.proposed_by, b.objection_deadline::text,
  b.listed_on::text, b.expires_on::text, b.ended_on::text, b.end_reason, b.responsible_persons,
  EXISTS (SELECT 1 FROM blacklist_objections o WHERE o.entry_id = b.id AND o.decision = 'dismiss_objection') AS objection_dismissed`;

/** Load an entry (locked for update inside a transaction) or 404. */
export async function loadEntry(tx: DbOrTx, id: string, lock = false): Promise<EntryRow> {
  const r = await rows<EntryRow>(tx, lock
    ? sql`SELECT ${ENTRY_COLUMNS} FROM blacklist_entries b WHERE b.id = ${id} FOR UPDATE`
    : sql`SELECT ${ENTRY_COLUMNS} FROM blacklist_entries b WHERE b.id = ${id}`);
  if (!r[0]) throw new NotFoundError('Blacklist entry');
  return r[0];
}

/** Inspectors act on entries of their counties only; others' entries are invisible (404). */
export function assertInspectorScope(p: Principal, e: { county_code: string }): void {
  if (p.role === 'admin') return;
  if (p.role === 'inspector' && p.countyCodes.includes(e.county_code)) return;
  if (p.role === 'inspector') throw new NotFoundError('Blacklist entry');
  throw new ForbiddenError('Only an inspector of the county or an admin may decide');
}

/** The listed company's own key (or an admin); another company sees a 404. */
export function assertCompanyScope(p: Principal, e: { company_id: string }): void {
  if (p.role === 'admin') return;
  if (p.role === 'contractor' && p.companyId === e.company_id) return;
  if (p.role === 'contractor') throw new NotFoundError('Blacklist entry');
  throw new ForbiddenError('Only the company concerned may do this');
}

export interface ProposeInput {
  companyId: string;
  countyCode: string;
  reason: ProposalReason;
  reasonDetail: string;
  caseIds?: string[];
  responsiblePersons?: ResponsiblePerson[];
  basis?: Record<string, unknown>;
  /** Why the proposer proposes (audit). */
  note?: string;
}

/**
 * Insert a proposal with the company's legal representative. Returns null when the company already
 * has a live entry (proposed, objected or listed) or this exact proposal exists: a re-run adds nothing.
 */
export async function propose(tx: DbOrTx, actor: Actor, input: ProposeInput, asOf: string): Promise<EntryRow | null> {
  const company = (await rows<{ name: string; credit_code: string; legal_representative: string }>(tx, sql`
    SELECT name, credit_code, legal_representative FROM companies WHERE id = ${input.companyId}`))[0];
  if (!company) throw new UnprocessableError('Unknown company', field('body.companyId', 'unknown company'));
  const policy = await getPolicy(tx, input.countyCode, asOf);
  const cal = await getCalendar(tx, input.countyCode);
  const caseIds = [...new Set(input.caseIds ?? [])].sort();
  // Automatic proposals derive their id from the company and the cases, so a retried sweep collides.
  const id = caseIds.length && actor.role === 'system' ? idFromKey(`blacklist:${input.companyId}:${caseIds.join(',')}`) : newId();
  const deadline = objectionDeadline(asOf, policy.credit, cal);
  const ins = await rows<{ id: string }>(tx, sql`
    INSERT INTO blacklist_entries (id, company_id, company_name, credit_code, legal_representative, status, reason, reason_detail,
      basis, case_ids, county_code, proposed_on, proposed_by, objection_deadline, responsible_persons)
    VALUES (${id}, ${input.companyId}, ${company.name}, ${company.credit_code}, ${company.legal_representative}, 'proposed',
      ${input.reason}, ${input.reasonDetail}, ${JSON.stringify(input.basis ?? {})}::jsonb, ${`{${caseIds.join(',')}}`}::uuid[],
      ${input.countyCode}, ${asOf}, ${actor.id}, ${deadline}, ${JSON.stringify(withLegalRepresentative(company.legal_representative, input.responsiblePersons))}::jsonb)
    ON CONFLICT DO NOTHING RETURNING id`);
  if (!ins[0]) return null;
  await emit(tx, {
    id: idFromKey(`blacklist.proposed:${id}`), type: EVENTS.blacklistProposed, companyId: input.companyId, countyCode: input.countyCode,
    payload: { entryId: id, companyId: input.companyId, reason: input.reason, reasonDetail: input.reasonDetail, legalRepresentative: company.legal_representative, objectionDeadline: deadline, proposedOn: asOf, asOf },
  });
  await appendAudit(tx, {
    actor: actor.id, action: 'blacklist.proposed', entityType: 'blacklist_entry', entityId: id,
    data: { companyId: input.companyId, role: actor.role, reason: input.reason, reasonDetail: input.reasonDetail, note: input.note ?? null, caseIds, asOf, objectionDeadline: deadline },
  });
  return loadEntry(tx, id);
}

/** Manual proposal by an inspector (own county) or admin; a live entry already there is a 409. */
export async function proposeManually(tx: DbOrTx, p: Principal, input: ProposeInput, asOf: string): Promise<EntryRow> {
  if (p.role === 'inspector' && !p.countyCodes.includes(input.countyCode)) throw new ForbiddenError('The county is outside your scope');
  if (input.caseIds?.length) {
    const found = await rows<{ id: string }>(tx, sql`SELECT id FROM arrears_cases WHERE id = ANY(${`{${input.caseIds.join(',')}}`}::uuid[])
      AND (employer_id = ${input.companyId} OR general_contractor_id = ${input.companyId})`);
    const have = new Set(found.map((r) => r.id));
    const bad = input.caseIds.map((c, i) => ({ c, i })).filter((x) => !have.has(x.c));
    if (bad.length) throw new UnprocessableError('Unknown arrears case', bad.map((b) => ({ path: `body.caseIds[${b.i}]`, message: 'no such case of this company' })));
  }
  const out = await propose(tx, actorOf(p), input, asOf);
  if (!out) throw new ConflictError('The company already has a pending or current blacklist entry', 'blacklist_entry_exists');
  return out;
}

export interface ObjectionInput {
  statement: string;
  evidence: { title: string; reference: string }[];
}

export async function fileObjection(tx: DbOrTx, p: Principal, entryId: string, input: ObjectionInput, asOf: string) {
  const e = await loadEntry(tx, entryId, true);
  assertCompanyScope(p, e);
  if (e.status !== 'proposed') throw new ConflictError(`The proposal is ${e.status}; an objection is no longer possible`, 'not_objectable');
  if (e.objection_dismissed) throw new ConflictError('An objection was already filed and decided', 'objection_decided');
  if (asOf > e.objection_deadline) {
    throw new UnprocessableError('The objection period has ended', field('body', `objections were accepted until ${e.objection_deadline}`), 'objection_late');
  }
  const id = newId();
  await tx.execute(sql`
    INSERT INTO blacklist_objections (id, entry_id, company_id, filed_on, filed_by, statement, evidence)
    VALUES (${id}, ${entryId}, ${e.company_id}, ${asOf}, ${p.id}, ${input.statement}, ${JSON.stringify(input.evidence)}::jsonb)`);
  await tx.execute(sql`UPDATE blacklist_entries SET status = 'objected', updated_at = now() WHERE id = ${entryId}`);
  await emit(tx, {
    id: idFromKey(`blacklist.objection_filed:${id}`), type: EVENTS.blacklistObjectionFiled, companyId: e.company_id, countyCode: e.county_code,
    payload: { entryId, objectionId: id, companyId: e.company_id, filedOn: asOf, evidenceCount: input.evidence.length, asOf },
  });
  await appendAudit(tx, {
    actor: p.id, action: 'blacklist.objection_filed', entityType: 'blacklist_entry', entityId: entryId,
    data: { objectionId: id, role: p.role, statement: input.statement, evidence: input.evidence, asOf },
  });
  return { id, entryId, filedOn: asOf, status: 'objected' as const };
}

export type ObjectionDecision = 'uphold_objection' | 'dismiss_objection';

export async function decideObjection(tx: DbOrTx, p: Principal, entryId: string, decision: ObjectionDecision, reason: string, asOf: string) {
  const e = await loadEntry(tx, entryId, true);
  assertInspectorScope(p, e);
  if (e.status !== 'objected') throw new ConflictError(`The proposal is ${e.status}; there is no pending objection`, 'no_pending_objection');
  await tx.execute(sql`
    UPDATE blacklist_objections SET decision = ${decision}, decided_on = ${asOf}, decided_by = ${p.id}, decision_reason = ${reason}
    WHERE entry_id = ${entryId}`);
  // Upheld: the proposal ends here. Dismissed: back to proposed, listable at once.
  if (decision === 'uphold_objection') {
    await tx.execute(sql`UPDATE blacklist_entries SET status = 'dismissed', ended_on = ${asOf}, end_reason = 'objection_upheld', updated_at = now() WHERE id = ${entryId}`);
  } else {
    await tx.execute(sql`UPDATE blacklist_entries SET status = 'proposed', updated_at = now() WHERE id = ${entryId}`);
  }
  await emit(tx, {
    id: idFromKey(`blacklist.objection_decided:${entryId}`), type: EVENTS.blacklistObjectionDecided, companyId: e.company_id, countyCode: e.county_code,
    payload: { entryId, companyId: e.company_id, decision, decidedOn: asOf, asOf },
  });
  await appendAudit(tx, {
    actor: p.id, action: 'blacklist.objection_decided', entityType: 'blacklist_entry', entityId: entryId,
    data: { role: p.role, decision, reason, asOf },
  });
  return loadEntry(tx, entryId);
}

/** List an entry (inspector route, or the automatic step of evaluateBlacklist). */
export async function listEntry(tx: DbOrTx, actor: Actor, entryId: string, reason: string, asOf: string, opts: { strict: boolean } = { strict: true }): Promise<EntryRow | null> {
  const e = await loadEntry(tx, entryId, true);
  const ok = listable({ status: e.status, objectionDeadline: e.objection_deadline, objectionDismissed: e.objection_dismissed }, asOf);
  if (!ok.ok) {
    if (!opts.strict) return null;
    if (e.status === 'proposed') throw new UnprocessableError('Not listable yet', field('params.id', ok.why), 'objection_period_running');
    throw new ConflictError(`Not listable: ${ok.why}`, 'not_listable');
  }
  const policy = await getPolicy(tx, e.county_code, asOf);
  const period = listingPeriod(asOf, policy.credit);
  await tx.execute(sql`
    UPDATE blacklist_entries SET status = 'listed', listed_on = ${period.listedOn}, expires_on = ${period.expiresOn}, updated_at = now()
    WHERE id = ${entryId}`);
  await emit(tx, {
    id: idFromKey(`blacklist.listed:${entryId}`), type: EVENTS.blacklistListed, companyId: e.company_id, countyCode: e.county_code,
    payload: { entryId, companyId: e.company_id, creditCode: e.credit_code, legalRepresentative: e.legal_representative, reason: e.reason, listedOn: period.listedOn, expiresOn: period.expiresOn, asOf },
  });
  await appendAudit(tx, {
    actor: actor.id, action: 'blacklist.listed', entityType: 'blacklist_entry', entityId: entryId,
    data: { role: actor.role, companyId: e.company_id, reason, basis: ok.why, ...period },
  });
  return loadEntry(tx, entryId);
}

/** End a listing (expiry or approved early removal). */
export async function endListing(tx: DbOrTx, actor: Actor, e: EntryRow, status: 'removed' | 'expired', why: string, asOf: string): Promise<void> {
  await tx.execute(sql`UPDATE blacklist_entries SET status = ${status}, ended_on = ${asOf}, end_reason = ${why}, updated_at = now() WHERE id = ${e.id}`);
  await emit(tx, {
    id: idFromKey(`blacklist.removed:${e.id}`), type: EVENTS.blacklistRemoved, companyId: e.company_id, countyCode: e.county_code,
    payload: { entryId: e.id, companyId: e.company_id, creditCode: e.credit_code, status, reason: why, removedOn: asOf, listedOn: e.listed_on, expiresOn: e.expires_on, asOf },
  });
  await appendAudit(tx, { actor: actor.id, action: `blacklist.${status}`, entityType: 'blacklist_entry', entityId: e.id, data: { role: actor.role, companyId: e.company_id, reason: why, asOf } });
}
