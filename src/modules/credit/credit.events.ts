/**
 * Reaction to outbox events: enqueue a `credit` job per company concerned, keyed by company and
 * event so a redelivered event collapses into the same job. The job recomputes the grade and, for
 * case events, re-evaluates the company against the blacklist criteria.
 */
import { sql } from 'drizzle-orm';
import type { EventHandler, RelayedEvent } from '../../jobs/event-handlers.js';
import { EVENTS } from '../../jobs/event-types.js';
import { jobId } from '../../jobs/queues.js';
import { chinaToday, isIsoDate } from '../../lib/calendar.js';
import { isUuid } from '../../lib/ids.js';

const CASE_EVENTS: string[] = [EVENTS.caseOpened, EVENTS.caseEscalated, EVENTS.caseClosed, EVENTS.replenishmentOverdue, 'case.mass_incident'];
const GRADE_EVENTS: string[] = [EVENTS.blacklistListed, EVENTS.blacklistRemoved];

export interface CreditJob {
  asOf: string;
  all?: boolean;
  companyId?: string;
  trigger?: string;
  /** Re-evaluate the blacklist criteria for this company before grading. */
  evaluate?: boolean;
}


export const creditEventHandler: EventHandler = {
  name: 'credit',
  types: [...CASE_EVENTS, ...GRADE_EVENTS],
  async handle(deps, e: RelayedEvent) {
    const p = e.payload ?? {};
    const ids = new Set<string>();
    for (const v of [e.companyId, p.companyId, p.employerId, p.generalContractorId]) if (typeof v === 'string' && isUuid(v)) ids.add(v);
    if (typeof p.caseId === 'string' && isUuid(p.caseId) && CASE_EVENTS.includes(e.type)) {
      const r = (await deps.db.execute(sql`SELECT employer_id, general_contractor_id FROM arrears_cases WHERE id = ${p.caseId}`)) as unknown as { rows: { employer_id: string; general_contractor_id: string }[] };
      for (const row of r.rows) ids.add(row.employer_id).add(row.general_contractor_id);
    }
    const asOf = typeof p.asOf === 'string' && isIsoDate(p.asOf) ? p.asOf : chinaToday(e.createdAt);
    const evaluate = CASE_EVENTS.includes(e.type);
    for (const companyId of ids) {
      const data: CreditJob = { asOf, companyId, trigger: e.type, evaluate };
      await deps.queues.credit.add('company', data, { jobId: jobId('credit', companyId, e.id) });
    }
  },
};
