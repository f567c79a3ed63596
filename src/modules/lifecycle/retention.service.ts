import { sql } from 'drizzle-orm';
import { openComplaintCount } from '../complaints/complaints.service.js';
import type { Db, DbOrTx } from '../../db/client.js';
import { idFromKey } from '../../lib/ids.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import { ERASED, retentionDecision } from './lifecycle.rules.js';

type Rows<T> = { rows: T[] };
const q = async <T>(db: DbOrTx, s: ReturnType<typeof sql>): Promise<T[]> => ((await db.execute(s)) as unknown as Rows<T>).rows;

export interface RetentionResult {
  asOf: string;
  erased: { projectId: string; personsErased: number; personsKept: number; paymentInstructions: number }[];
  kept: { projectId: string; retainUntil: string; holds: string[] }[];
}

/** Why a closed project's data must outlive its retention date (条例 Art. 28; PIPL Art. 47 exceptions). */
async function holdsOf(db: DbOrTx, projectId: string): Promise<string[]> {
  const r = (await q<{ cases: number; blacklist: number; holds: string[] | null }>(db, sql`
    SELECT (SELECT count(*)::int FROM arrears_cases WHERE project_id = ${projectId} AND status = 'open') AS cases,
      (SELECT count(*)::int FROM blacklist_entries b WHERE b.status IN ('proposed', 'objected', 'listed')
        AND b.case_ids && ARRAY(SELECT id FROM arrears_cases WHERE project_id = ${projectId})) AS blacklist,
      (SELECT array_agg(reason ORDER BY created_at) FROM legal_holds WHERE project_id = ${projectId} AND released_at IS NULL) AS holds`))[0]!;
  const out: string[] = [];
  if (r.cases) out.push(`open arrears case (${r.cases})`);
  if (r.blacklist) out.push('blacklist entry');
  for (const h of r.holds ?? []) out.push(`inspector hold: ${h}`);
  if (await openComplaintCount(db, projectId)) out.push('unanswered complaint');
  return out;
}

/**
 * Erase one project's personal data: names, resident IDs, cards and phones become the erasure
 * marker; figures, dates, statuses, counts and audit rows stay. A person still engaged on a project
 * that is not erased keeps their data (they are erased with the last of their projects).
 */
async function eraseProject(tx: DbOrTx, projectId: string) {
  const persons = await q<{ worker_id: string; kept: boolean }>(tx, sql`
    SELECT DISTINCT e.worker_id, EXISTS (SELECT 1 FROM engagements o JOIN projects op ON op.id = o.project_id
      WHERE o.worker_id = e.worker_id AND o.project_id <> ${projectId} AND op.erased_at IS NULL) AS kept
    FROM engagements e WHERE e.project_id = ${projectId}`);
  const free = persons.filter((p) => !p.kept).map((p) => p.worker_id);
  let personsErased = 0;
  if (free.length) {
    // The blind indexes become unique per-row markers (the ID index is UNIQUE); the birth date keeps its year for statistics.
    const r = await q<{ id: string }>(tx, sql`
      UPDATE workers SET name = ${ERASED}, id_number_enc = ${ERASED}, id_number_bidx = 'erased:' || id::text, id_number_masked = ${ERASED},
        phone_enc = NULL, phone_masked = NULL, bank_card_enc = ${ERASED}, bank_card_bidx = 'erased:' || id::text, bank_card_masked = ${ERASED},
        birth_date = date_trunc('year', birth_date)::date, erased_at = now(), updated_at = now()
      WHERE id = ANY(${`{${free.join(',')}}`}::uuid[]) AND erased_at IS NULL RETURNING id`);
    personsErased = r.length;
  }
  // Card custody keeps phones on the engagement and cards per engagement: this project's copies go with it,
  // whoever the person is (another project's engagement keeps its own copies).
  await tx.execute(sql`UPDATE engagements SET phone_enc = NULL, phone_bidx = NULL, phone_masked = NULL WHERE project_id = ${projectId} AND phone_enc IS NOT NULL`);
  await tx.execute(sql`UPDATE worker_cards SET card_enc = ${ERASED}, card_bidx = 'erased:' || id::text, card_masked = ${ERASED} WHERE project_id = ${projectId} AND card_enc <> ${ERASED}`);
  const ins = await q<{ n: number }>(tx, sql`
    WITH u AS (UPDATE instructions SET creditor_name = ${ERASED}, card_enc = ${ERASED}, card_bidx = 'erased', card_masked = ${ERASED}
      WHERE project_id = ${projectId} AND card_enc <> ${ERASED} RETURNING 1) SELECT count(*)::int AS n FROM u`);
  await tx.execute(sql`UPDATE bank_records SET card_bidx = NULL, card_masked = CASE WHEN card_masked IS NULL THEN NULL ELSE ${ERASED} END WHERE project_id = ${projectId} AND card_bidx IS NOT NULL`);
  // The labour-wage officers are people too.
  await tx.execute(sql`UPDATE projects SET labor_manager_name = ${ERASED}, labor_manager_phone_enc = NULL, labor_manager_phone_masked = NULL, erased_at = now() WHERE id = ${projectId}`);
  await tx.execute(sql`UPDATE subcontracts SET labor_manager_name = CASE WHEN labor_manager_name IS NULL THEN NULL ELSE ${ERASED} END, labor_manager_phone_enc = NULL, labor_manager_phone_masked = NULL WHERE project_id = ${projectId}`);
  return { personsErased, personsKept: persons.length - free.length, paymentInstructions: ins[0]?.n ?? 0 };
}

/**
 * The nightly retention job as of `asOf`: every closed project past its retention date is erased
 * unless held; each project gets an audit row (erased, or kept with the holds — once per distinct
 * set of holds). Idempotent: an erased project is skipped; a second run erases and writes nothing.
 * One transaction per project, so a failure leaves the others done.
 */
export async function runRetention(db: Db, asOf: string, actor = 'system'): Promise<RetentionResult> {
  const due = await q<{ id: string; county_code: string; retain_until: string }>(db, sql`
    SELECT id, county_code, retain_until::text FROM projects WHERE status = 'closed' AND erased_at IS NULL AND retain_until < ${asOf}::date ORDER BY retain_until, id`);
  const out: RetentionResult = { asOf, erased: [], kept: [] };
  for (const p of due) {
    await db.transaction(async (tx) => {
      const locked = (await q<{ erased_at: Date | null }>(tx, sql`SELECT erased_at FROM projects WHERE id = ${p.id} FOR UPDATE`))[0];
      const holds = await holdsOf(tx, p.id);
      const d = retentionDecision({ retainUntil: p.retain_until, erased: !!locked?.erased_at, holds }, asOf);
      if (d === 'keep_held') {
        out.kept.push({ projectId: p.id, retainUntil: p.retain_until, holds });
        const mark = `retention:kept:${p.id}:${idFromKey(holds.join('|'))}`;
        const fresh = await q(tx, sql`INSERT INTO job_runs (key, finished, result) VALUES (${mark}, true, ${JSON.stringify({ asOf })}::jsonb) ON CONFLICT (key) DO NOTHING RETURNING key`);
        if (fresh.length) await appendAudit(tx, { actor, action: 'retention.kept', entityType: 'project', entityId: p.id, projectId: p.id, data: { asOf, retainUntil: p.retain_until, holds } });
        return;
      }
      if (d !== 'erase') return;
      const r = await eraseProject(tx, p.id);
      out.erased.push({ projectId: p.id, ...r });
      await appendAudit(tx, { actor, action: 'retention.erased', entityType: 'project', entityId: p.id, projectId: p.id, data: { asOf, retainUntil: p.retain_until, ...r } });
      await emit(tx, { id: idFromKey(`evt:retention_erased:${p.id}`), type: EVENTS.retentionErased, projectId: p.id, countyCode: p.county_code, payload: { asOf, ...r } });
    });
  }
  return out;
}
