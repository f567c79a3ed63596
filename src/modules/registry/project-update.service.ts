/** The GC changes a project's settings after registration (today: which month the pay day pays). */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { addMonths, monthOf } from '../../lib/calendar.js';
import { UnprocessableError } from '../../lib/errors.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import { projectScope, requireRelation } from '../auth/scope.js';
import { changePayMonth, payMonthOf, type PayMonth, type PayMonthPeriod } from './pay-month.js';
import { getProject } from './project.service.js';

export interface ProjectUpdate {
  payMonth?: PayMonth;
  /** First wage month the new pay month applies to (YYYY-MM); default and minimum: the next month (China date). */
  payMonthFrom?: string;
}

/**
 * Only the project's GC changes it (another company: 404, a subcontractor of the project: 403). The
 * change, its `project.pay_month_changed` event and its audit row commit together; asking for what is
 * already the setting changes nothing and writes nothing (a replay is harmless).
 */
export async function updateProject(tx: DbOrTx, actor: Principal, projectId: string, input: ProjectUpdate, today: string) {
  const scope = await projectScope(tx, actor, projectId);
  requireRelation(scope, 'gc');
  if (input.payMonth === undefined) {
    if (input.payMonthFrom !== undefined) throw new UnprocessableError('payMonthFrom needs payMonth', [{ path: 'body.payMonth', message: 'required with payMonthFrom' }]);
    return { ...(await getProject(tx, projectId))!, changed: false };
  }
  const next = addMonths(monthOf(today), 1);
  const from = input.payMonthFrom ?? next;
  if (from < next) {
    throw new UnprocessableError('A new pay month applies to wage months not yet begun', [{ path: 'body.payMonthFrom', message: `must be ${next} or later` }]);
  }
  const row = ((await tx.execute(sql`SELECT pay_month, pay_month_earlier FROM projects WHERE id = ${projectId} FOR UPDATE`)) as unknown as {
    rows: { pay_month: PayMonth; pay_month_earlier: PayMonthPeriod[] | null }[] }).rows[0]!;
  const cur = { payMonth: row.pay_month, earlier: row.pay_month_earlier };
  const after = changePayMonth(cur, { payMonth: input.payMonth, from });
  const changed = after.payMonth !== cur.payMonth || JSON.stringify(after.earlier) !== JSON.stringify(cur.earlier);
  if (changed) {
    await tx.execute(sql`UPDATE projects SET pay_month = ${after.payMonth}, pay_month_earlier = ${after.earlier ? JSON.stringify(after.earlier) : null}::jsonb WHERE id = ${projectId}`);
    const data = { payMonth: input.payMonth, fromMonth: from, before: payMonthOf(cur, from), earlier: after.earlier };
    await emit(tx, { type: EVENTS.projectPayMonthChanged, projectId, companyId: scope.generalContractorId, countyCode: scope.countyCode, payload: data });
    await appendAudit(tx, { actor: actor.id, action: 'project.pay_month_changed', entityType: 'project', entityId: projectId, projectId, data });
  }
  return { ...(await getProject(tx, projectId))!, changed };
}
