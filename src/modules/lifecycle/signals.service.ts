import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { addDays } from '../../lib/calendar.js';
import { idFromKey } from '../../lib/ids.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit, type OutboxEvent } from '../alerts/outbox.service.js';
import { getPolicy } from '../policy/policy.service.js';

type Rows<T> = { rows: T[] };
const q = async <T>(db: DbOrTx, s: ReturnType<typeof sql>): Promise<T[]> => ((await db.execute(s)) as unknown as Rows<T>).rows;

/**
 * Two signals of a project's life, as of a date (idempotent: one event per project or engagement,
 * keyed by it, so a nightly re-run emits nothing new):
 * - a project past its planned end by the county's `completionOverdueDays` with no completion declared;
 * - a worker who exited more than `finalLineDays` ago without a final wage line (工资支付暂行规定 Art. 9).
 * Thresholds are per county, so candidates are found with the smallest threshold in use (0) and each
 * is checked against its own county's policy.
 */
export async function lifecycleSignals(db: DbOrTx, asOf: string): Promise<{ completionOverdue: number; finalLineMissing: number }> {
  const events: OutboxEvent[] = [];
  const overdue = await q<{ id: string; county_code: string; general_contractor_id: string; planned_end_date: string }>(db, sql`
    SELECT id, county_code, general_contractor_id, planned_end_date::text FROM projects
    WHERE status = 'active' AND planned_end_date < ${asOf}::date`);
  const exited = await q<{ id: string; project_id: string; worker_id: string; employer_id: string; exit_date: string; county_code: string }>(db, sql`
    SELECT e.id, e.project_id, e.worker_id, e.employer_id, e.exit_date::text, p.county_code FROM engagements e JOIN projects p ON p.id = e.project_id
    WHERE e.exit_date IS NOT NULL AND e.exit_date < ${asOf}::date AND p.status IN ('active', 'completing')
      AND NOT EXISTS (SELECT 1 FROM payroll_lines l JOIN payrolls pr ON pr.id = l.payroll_id AND pr.status <> 'superseded'
        WHERE l.project_id = e.project_id AND l.worker_id = e.worker_id AND l.employer_id = e.employer_id AND l.month >= to_char(e.exit_date, 'YYYY-MM'))`);
  const policies = new Map<string, Awaited<ReturnType<typeof getPolicy>>>();
  const policyOf = async (county: string) => policies.get(county) ?? policies.set(county, await getPolicy(db, county, asOf)).get(county)!;
  let nOverdue = 0;
  for (const p of overdue) {
    const days = (await policyOf(p.county_code)).lifecycle.completionOverdueDays;
    if (addDays(p.planned_end_date, days) >= asOf) continue;
    nOverdue++;
    events.push({ id: idFromKey(`evt:completion_overdue:${p.id}`), type: EVENTS.completionOverdue, projectId: p.id, countyCode: p.county_code, companyId: p.general_contractor_id,
      payload: { plannedEndDate: p.planned_end_date, overdueDays: days, asOf } });
  }
  let nFinal = 0;
  for (const e of exited) {
    const days = (await policyOf(e.county_code)).lifecycle.finalLineDays;
    if (addDays(e.exit_date, days) >= asOf) continue;
    nFinal++;
    events.push({ id: idFromKey(`evt:final_line_missing:${e.id}`), type: EVENTS.finalLineMissing, projectId: e.project_id, countyCode: e.county_code, companyId: e.employer_id,
      payload: { engagementId: e.id, workerId: e.worker_id, exitDate: e.exit_date, asOf } });
  }
  for (let i = 0; i < events.length; i += 500) await emit(db, ...events.slice(i, i + 500));
  return { completionOverdue: nOverdue, finalLineMissing: nFinal };
}
