/** Workers and engagements: single registration, scoped lists, exit, audited full-value reads. */
import { sql } from 'drizzle-orm';
import { ERASED } from '../lifecycle/lifecycle.rules.js';
import type { DbOrTx } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { ConflictError, NotFoundError, UnprocessableError } from '../../lib/errors.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import type { ProjectScope } from '../auth/scope.js';
import { encodeCursor, idObjectCursor, readCursor } from '../platform/common.schemas.js';
import { getPolicy } from '../policy/policy.service.js';
import { projectParties } from '../registry/registry.service.js';
import { checkDispatchedCap } from './compliance.service.js';
import { emitIdentityMismatches } from './identity.service.js';
import { NAME_MISMATCH, registerChunk } from './register.service.js';
import { validateWorkerRow, type RowContext, type WorkerRowInput } from './worker.rules.js';

type Rows<T> = { rows: T[] };

/** Who may register for whom: the GC and admin for any party, a subcontractor for itself only. */
export async function rowContext(db: DbOrTx, scope: ProjectScope, actor: Principal): Promise<RowContext> {
  const parties = await projectParties(db, scope.projectId);
  const policy = await getPolicy(db, scope.countyCode);
  const privileged = scope.relations.includes('gc') || scope.relations.includes('admin');
  const life = (await db.execute(sql`SELECT completed_on FROM projects WHERE id = ${scope.projectId}`)) as unknown as Rows<{ completed_on: string | null }>;
  return {
    parties, onlyEmployer: privileged ? null : actor.companyId,
    retirementAgeMale: policy.roster.retirementAgeMale, retirementAgeFemale: policy.roster.retirementAgeFemale,
    completedOn: life.rows[0]?.completed_on ?? null,
  };
}

export async function registerWorker(tx: DbOrTx, pii: PiiCipher, actor: Principal, scope: ProjectScope, input: WorkerRowInput) {
  const ctx = await rowContext(tx, scope, actor);
  const v = validateWorkerRow(input, ctx);
  if (!v.ok) throw new UnprocessableError('The worker cannot be registered', v.errors.map((e) => ({ path: `body.${e.field}`, message: e.message })), 'invalid_worker');
  const [out] = await registerChunk(tx, pii, scope.projectId, scope.countyCode, actor.id, [{ ord: 1, row: v.row, warnings: v.warnings }]);
  if (!out!.ok) {
    if (out!.refusal === 'name') {
      // The refusal is committed with its alert (the inspectors must see the attempt), so it cannot
      // be a thrown error inside this transaction: the route answers 422 after the commit.
      await emitIdentityMismatches(tx, scope.projectId, scope.countyCode, actor.id, [{ existingWorkerId: out!.existingWorkerId!, idMasked: v.row.idMasked, employerId: v.row.employerId }]);
      await appendAudit(tx, { actor: actor.id, action: 'worker.identity_mismatch', entityType: 'project', entityId: scope.projectId, projectId: scope.projectId, data: { idNumberMasked: v.row.idMasked, employerId: v.row.employerId } });
      return { refused: new UnprocessableError('The worker cannot be registered', [{ path: 'body.name', message: NAME_MISMATCH }], 'identity_mismatch') };
    }
    throw new UnprocessableError('The worker cannot be registered', out!.errors.map((e) => ({ path: `body.${e.field}`, message: e.message })), 'worker_already_active');
  }
  if (v.row.dispatched) await checkDispatchedCap(tx, scope.projectId, scope.countyCode, v.row.entryDate);
  await appendAudit(tx, { actor: actor.id, action: 'worker.engaged', entityType: 'engagement', entityId: out!.engagementId, projectId: scope.projectId, data: { workerId: out!.workerId, employerId: v.row.employerId, cardId: out!.cardId, cardMasked: out!.cardMasked } });
  return {
    id: out!.workerId, engagementId: out!.engagementId, projectId: scope.projectId, employerId: v.row.employerId, name: v.row.name,
    idNumberMasked: out!.idMasked, bankCardMasked: out!.cardMasked, warnings: out!.warnings.map((w) => ({ code: w.code, path: `body.${w.field}`, message: w.message })),
  };
}

/** The employer filter for a caller: a subcontractor (not also GC) sees only its own employees. */
export function employerFilter(scope: ProjectScope, actor: Principal): string | null {
  const sees = ['gc', 'admin', 'inspector', 'construction_unit', 'regulator'];
  return scope.relations.some((r) => sees.includes(r)) ? null : actor.companyId;
}

export async function listWorkers(db: DbOrTx, scope: ProjectScope, actor: Principal, q: { limit?: number; cursor?: string; employerId?: string; active?: boolean }) {
  const limit = q.limit ?? 100;
  const after = readCursor(q.cursor, idObjectCursor)?.id ?? '00000000-0000-0000-0000-000000000000';
  const only = employerFilter(scope, actor);
  const r = (await db.execute(sql`
    SELECT e.id AS engagement_id, w.id, w.name, w.id_number_masked, COALESCE(c.card_masked, w.bank_card_masked) AS bank_card_masked, e.phone_masked, w.gender, w.birth_date::text,
      e.employer_id, e.trade, e.team, e.contract_signed, e.dispatched, e.entry_date::text, e.exit_date::text
    FROM engagements e JOIN workers w ON w.id = e.worker_id
    -- What THIS engagement pays (issue 17): its paying card, or while a card fix is open its last card.
    LEFT JOIN LATERAL (SELECT card_masked FROM worker_cards k WHERE k.engagement_id = e.id AND k.status IN ('active', 'legacy', 'invalid')
      ORDER BY (k.status <> 'invalid') DESC, k.status_since DESC LIMIT 1) c ON TRUE
    WHERE e.project_id = ${scope.projectId} AND e.id > ${after}::uuid
      AND (${only}::uuid IS NULL OR e.employer_id = ${only}::uuid)
      AND (${q.employerId ?? null}::uuid IS NULL OR e.employer_id = ${q.employerId ?? null}::uuid)
      AND (${q.active ?? null}::bool IS NULL OR (e.exit_date IS NULL) = ${q.active ?? null}::bool)
    ORDER BY e.id LIMIT ${limit + 1}`)) as unknown as Rows<Record<string, string | boolean | null>>;
  const rows = r.rows.slice(0, limit);
  return {
    items: rows.map((x) => ({
      id: x.id as string, engagementId: x.engagement_id as string, name: x.name as string, idNumberMasked: x.id_number_masked as string,
      bankCardMasked: x.bank_card_masked as string, phoneMasked: (x.phone_masked as string | null) ?? null, gender: x.gender as string,
      birthDate: x.birth_date as string, employerId: x.employer_id as string, trade: x.trade as string, team: (x.team as string | null) ?? null,
      contractSigned: x.contract_signed as boolean, dispatched: x.dispatched as boolean, entryDate: x.entry_date as string, exitDate: (x.exit_date as string | null) ?? null,
    })),
    nextCursor: r.rows.length > limit ? encodeCursor({ id: rows[rows.length - 1]!.engagement_id }) : null,
  };
}

export async function exitEngagement(tx: DbOrTx, actor: Principal, scope: ProjectScope, workerId: string, exitDate: string) {
  const only = employerFilter(scope, actor);
  const r = (await tx.execute(sql`
    SELECT id, entry_date::text, employer_id FROM engagements
    WHERE project_id = ${scope.projectId} AND worker_id = ${workerId} AND exit_date IS NULL
      AND (${only}::uuid IS NULL OR employer_id = ${only}::uuid) FOR UPDATE`)) as unknown as Rows<{ id: string; entry_date: string; employer_id: string }>;
  const e = r.rows[0];
  if (!e) {
    const any = (await tx.execute(sql`SELECT 1 FROM engagements WHERE project_id = ${scope.projectId} AND worker_id = ${workerId}
      AND (${only}::uuid IS NULL OR employer_id = ${only}::uuid)`)) as unknown as Rows<unknown>;
    if (any.rows.length) throw new ConflictError('This worker has already left the project', 'already_exited');
    throw new NotFoundError('Worker');
  }
  if (exitDate < e.entry_date) throw new UnprocessableError('Exit before entry', [{ path: 'body.exitDate', message: `must be on or after ${e.entry_date}` }]);
  await tx.execute(sql`UPDATE engagements SET exit_date = ${exitDate} WHERE id = ${e.id}`);
  await appendAudit(tx, { actor: actor.id, action: 'worker.exited', entityType: 'engagement', entityId: e.id, projectId: scope.projectId, data: { workerId, exitDate } });
  return { workerId, engagementId: e.id, employerId: e.employer_id, entryDate: e.entry_date, exitDate };
}

export type PiiField = 'idNumber' | 'bankCardNumber' | 'phone';

/** Full values of a worker's PII; every call writes an audit row naming the fields read. */
export async function revealWorkerPii(tx: DbOrTx, pii: PiiCipher, actor: Principal, workerId: string, fields: PiiField[] = ['idNumber', 'bankCardNumber', 'phone']) {
  const r = (await tx.execute(sql`SELECT id, name, id_number_enc, bank_card_enc, phone_enc FROM workers WHERE id = ${workerId}`)) as unknown as Rows<{ id: string; name: string; id_number_enc: string; bank_card_enc: string; phone_enc: string | null }>;
  const w = r.rows[0];
  if (!w) throw new NotFoundError('Worker');
  const out: { id: string; name: string; idNumber?: string; bankCardNumber?: string; phone?: string | null } = { id: w.id, name: w.name };
  // Erased by the retention job: the ciphertexts are gone; the marker is all there is to show.
  if (w.id_number_enc === ERASED) return { id: w.id, name: w.name, idNumber: ERASED, bankCardNumber: ERASED, phone: null };
  if (fields.includes('idNumber')) out.idNumber = pii.decrypt(w.id_number_enc);
  if (fields.includes('bankCardNumber')) out.bankCardNumber = pii.decrypt(w.bank_card_enc);
  if (fields.includes('phone')) out.phone = w.phone_enc ? pii.decrypt(w.phone_enc) : null;
  await appendAudit(tx, { actor: actor.id, action: 'worker.pii_read', entityType: 'worker', entityId: workerId, data: { fields } });
  return out;
}
