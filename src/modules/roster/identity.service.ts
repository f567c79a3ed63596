/**
 * One name per resident ID (issue 17, rule 2). A registration naming a known ID under another name
 * is refused; the refusal tells the registering company nothing (not the stored name, not the other
 * employer or project), but the county's inspectors are told, on both sides: the project where it
 * was tried, and every project where the person is actively engaged.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit, type OutboxEvent } from '../alerts/outbox.service.js';

export interface MismatchAttempt { existingWorkerId: string; idMasked: string; employerId: string }

export async function emitIdentityMismatches(tx: DbOrTx, projectId: string, countyCode: string, actorId: string, attempts: MismatchAttempt[]): Promise<void> {
  if (!attempts.length) return;
  const events: OutboxEvent[] = [];
  const ids = [...new Set(attempts.map((a) => a.existingWorkerId))];
  // Where the person really works (other projects, active engagements): those inspectors and employers must know.
  const live = (await tx.execute(sql`
    SELECT e.worker_id, e.project_id, e.employer_id, p.county_code FROM engagements e JOIN projects p ON p.id = e.project_id
    WHERE e.worker_id = ANY(${`{${ids.join(',')}}`}::uuid[]) AND e.exit_date IS NULL AND e.project_id <> ${projectId}`)) as unknown as {
    rows: { worker_id: string; project_id: string; employer_id: string; county_code: string }[];
  };
  for (const a of attempts) {
    // The attempting side: no worker id, nothing about the registered holder.
    events.push({ type: EVENTS.identityMismatch, projectId, countyCode, companyId: a.employerId,
      payload: { side: 'attempt', idNumberMasked: a.idMasked, attemptedEmployerId: a.employerId, actor: actorId } });
    for (const l of live.rows.filter((x) => x.worker_id === a.existingWorkerId)) {
      events.push({ type: EVENTS.identityMismatch, projectId: l.project_id, countyCode: l.county_code, companyId: l.employer_id,
        payload: { side: 'holder', workerId: a.existingWorkerId, idNumberMasked: a.idMasked, attemptedProjectId: projectId, attemptedEmployerId: a.employerId } });
    }
  }
  await emit(tx, ...events);
}
