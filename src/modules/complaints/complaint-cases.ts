import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { EVENTS } from '../../jobs/event-types.js';
import { addWorkingDays, type WorkCalendar } from '../../lib/calendar.js';
import { newId } from '../../lib/ids.js';
import { emit } from '../alerts/outbox.service.js';
import type { Policy } from '../policy/policy.defaults.js';

type Rows<T> = { rows: T[] };

export interface CaseTarget { projectId: string; employerId: string | null; months: string[]; workers: number; amountFen: number; receivedOn: string }

/**
 * Attach a complaint to the open arrears case of its project and employer, or open a case of origin
 * `complaint` on the same ladder (overdue notice → GC order → deposit). Without a known employer the
 * case is against the GC, which answers for all wages on its project (谁承包谁负责).
 */
export async function attachOrOpenCase(tx: DbOrTx, t: CaseTarget, policy: Policy, cal: WorkCalendar): Promise<{ caseId: string; opened: boolean }> {
  if (t.employerId) {
    const open = (await tx.execute(sql`
      SELECT id FROM arrears_cases WHERE project_id = ${t.projectId} AND employer_id = ${t.employerId} AND status = 'open'
      ORDER BY opened_on DESC, id DESC LIMIT 1`)) as unknown as Rows<{ id: string }>;
    if (open.rows[0]) return { caseId: open.rows[0].id, opened: false };
  }
  const p = ((await tx.execute(sql`SELECT general_contractor_id, construction_unit_id, county_code, industry FROM projects WHERE id = ${t.projectId}`)) as unknown as Rows<{ general_contractor_id: string; construction_unit_id: string; county_code: string; industry: string }>).rows[0]!;
  const employerId = t.employerId ?? p.general_contractor_id;
  const month = [...t.months].sort()[0]!;
  const deadline = addWorkingDays(t.receivedOn, policy.enforcement.overdueNoticeWorkingDays, cal);
  const responsible = {
    direct: { companyId: employerId, role: employerId === p.general_contractor_id ? 'general_contractor' : 'subcontractor' },
    total: { companyId: p.general_contractor_id, role: 'general_contractor' },
  };
  const id = newId();
  const ins = (await tx.execute(sql`
    INSERT INTO arrears_cases (id, project_id, employer_id, general_contractor_id, construction_unit_id, county_code, industry, month,
      stage, status, origin, pay_date, opened_on, stage_deadline, workers_owed, workers_unpaid, amount_owed_fen, amount_outstanding_fen, responsible)
    VALUES (${id}, ${t.projectId}, ${employerId}, ${p.general_contractor_id}, ${p.construction_unit_id}, ${p.county_code}, ${p.industry}, ${month},
      'overdue_notice', 'open', 'complaint', ${t.receivedOn}, ${t.receivedOn}, ${deadline}, ${t.workers}, ${t.workers}, ${t.amountFen}, ${t.amountFen}, ${JSON.stringify(responsible)}::jsonb)
    ON CONFLICT (project_id, employer_id, month) DO NOTHING RETURNING id`)) as unknown as Rows<{ id: string }>;
  if (!ins.rows[0]) {
    // A case for that employer and month exists (closed, or opened by the sweep meanwhile): the complaint joins it.
    const ex = (await tx.execute(sql`SELECT id FROM arrears_cases WHERE project_id = ${t.projectId} AND employer_id = ${employerId} AND month = ${month}`)) as unknown as Rows<{ id: string }>;
    return { caseId: ex.rows[0]!.id, opened: false };
  }
  await emit(tx, {
    id, type: EVENTS.caseOpened, projectId: t.projectId, companyId: employerId, countyCode: p.county_code,
    payload: { caseId: id, stage: 'overdue_notice', deadline, origin: 'complaint', workersOwed: t.workers, amountOwedFen: t.amountFen, asOf: t.receivedOn },
  });
  await tx.execute(sql`
    INSERT INTO arrears_case_events (id, case_id, project_id, stage, "on", deadline, actor, note)
    VALUES (${newId()}, ${id}, ${t.projectId}, 'overdue_notice', ${t.receivedOn}, ${deadline}, 'complaint', 'opened from an arrears complaint')`);
  return { caseId: id, opened: true };
}
