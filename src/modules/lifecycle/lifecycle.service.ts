import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { ConflictError, NotFoundError, UnprocessableError } from '../../lib/errors.js';
import { idFromKey, newId } from '../../lib/ids.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import { getBalances, projectAccounts } from '../escrow/ledger.service.js';
import { getPolicy } from '../policy/policy.service.js';
import { completionBlockers } from './blockers.js';
import { closureMissing, completionDateError, completionOutcome, retainUntil, type Blocker, type ProjectStatus } from './lifecycle.rules.js';

type Rows<T> = { rows: T[] };
const q = async <T>(db: DbOrTx, s: ReturnType<typeof sql>): Promise<T[]> => ((await db.execute(s)) as unknown as Rows<T>).rows;

interface LifeRow {
  id: string; status: ProjectStatus; county_code: string; general_contractor_id: string; start_date: string; planned_end_date: string;
  completed_on: string | null; wage_account_closed_on: string | null; closed_on: string | null; retain_until: string | null;
}
export interface CompletionView {
  status: ProjectStatus;
  completedOn: string | null;
  wageAccountClosedOn: string | null;
  closedOn: string | null;
  retainUntil: string | null;
  blockers: Blocker[];
}

async function lockLife(tx: DbOrTx, projectId: string): Promise<LifeRow> {
  const p = (await q<LifeRow>(tx, sql`
    SELECT id, status, county_code, general_contractor_id, start_date::text, planned_end_date::text, completed_on::text,
      wage_account_closed_on::text, closed_on::text, retain_until::text
    FROM projects WHERE id = ${projectId} FOR UPDATE`))[0];
  if (!p) throw new NotFoundError('Project');
  return p;
}
const view = (p: LifeRow, blockers: Blocker[]): CompletionView => ({
  status: p.status, completedOn: p.completed_on, wageAccountClosedOn: p.wage_account_closed_on, closedOn: p.closed_on, retainUntil: p.retain_until, blockers,
});

/** Where the project stands; blockers are computed while it is active or completing. */
export async function getCompletion(db: DbOrTx, projectId: string): Promise<CompletionView> {
  const p = (await q<LifeRow>(db, sql`
    SELECT id, status, county_code, general_contractor_id, start_date::text, planned_end_date::text, completed_on::text,
      wage_account_closed_on::text, closed_on::text, retain_until::text FROM projects WHERE id = ${projectId}`))[0];
  if (!p) throw new NotFoundError('Project');
  const live = p.status === 'active' || p.status === 'completing';
  return view(p, live ? await completionBlockers(db, projectId) : []);
}

/**
 * The GC declares completion (竣工) on `completedOn`: active → completing, and → completed as soon as
 * the final settlement check finds no blocker. Re-posting re-runs the check (the GC's "try again");
 * a completed or closed project answers its state unchanged. `today` is the China date.
 */
export async function declareCompletion(tx: DbOrTx, projectId: string, completedOn: string, today: string, actor: string): Promise<CompletionView> {
  const p = await lockLife(tx, projectId);
  if (p.status === 'completed' || p.status === 'closed') return view(p, []);
  const bad = completionDateError(completedOn, p.start_date, today);
  if (bad) throw new UnprocessableError('Completion cannot be declared for that date', [{ path: 'body.completedOn', message: bad }], 'invalid_completion');
  if (p.status === 'completing' && p.completed_on !== completedOn) {
    throw new ConflictError(`Completion was declared for ${p.completed_on}; it cannot be moved`, 'completion_declared', [{ path: 'body.completedOn', message: `declared as ${p.completed_on}` }]);
  }
  const base = { projectId, countyCode: p.county_code, companyId: p.general_contractor_id };
  if (p.status === 'active') {
    // Work already recorded for a later month contradicts the declared date.
    const later = await q<{ month: string }>(tx, sql`
      SELECT month FROM payrolls WHERE project_id = ${projectId} AND status <> 'superseded' AND month > ${completedOn.slice(0, 7)} LIMIT 1`);
    if (later[0]) throw new UnprocessableError('A wage sheet exists for a later month', [{ path: 'body.completedOn', message: `a wage sheet exists for ${later[0].month}` }], 'invalid_completion');
    await tx.execute(sql`UPDATE projects SET status = 'completing', completed_on = ${completedOn}, completion_declared_on = ${today} WHERE id = ${projectId}`);
    await emit(tx, { ...base, id: idFromKey(`evt:project_completing:${projectId}`), type: EVENTS.projectCompleting, payload: { completedOn, declaredOn: today } });
    await appendAudit(tx, { actor, action: 'project.completion_declared', entityType: 'project', entityId: projectId, projectId, data: { completedOn, declaredOn: today } });
    p.status = 'completing';
    p.completed_on = completedOn;
  }
  const blockers = await completionBlockers(tx, projectId);
  const next = completionOutcome(p.status, blockers.length);
  if (next === 'completed') {
    await tx.execute(sql`UPDATE projects SET status = 'completed', completed_at = now() WHERE id = ${projectId}`);
    // The deposit becomes returnable (#19's return flow reads status IN ('completed','closed')).
    await emit(tx, { ...base, id: idFromKey(`evt:project_completed:${projectId}`), type: EVENTS.projectCompleted, payload: { completedOn, checkedOn: today } });
    await appendAudit(tx, { actor, action: 'project.completed', entityType: 'project', entityId: projectId, projectId, data: { completedOn, checkedOn: today } });
    p.status = 'completed';
  }
  return view(p, blockers);
}

/** An inspector excuses a line from the settlement check (paid outside the platform, court order…). */
export async function excuseLine(tx: DbOrTx, projectId: string, lineId: string, reason: string, actor: string) {
  const r = (await q<{ id: string; excused_at: Date | null; excuse_reason: string | null; status: string }>(tx, sql`
    SELECT id, excused_at, excuse_reason, status FROM payroll_lines WHERE id = ${lineId} AND project_id = ${projectId} FOR UPDATE`))[0];
  if (!r) throw new NotFoundError('Wage line');
  if (r.excused_at) return { lineId, excused: true, reason: r.excuse_reason ?? reason, replayed: true };
  await tx.execute(sql`UPDATE payroll_lines SET excused_at = now(), excused_by = ${actor}, excuse_reason = ${reason} WHERE id = ${lineId}`);
  await appendAudit(tx, { actor, action: 'line.excused', entityType: 'payroll_line', entityId: lineId, projectId, data: { reason, status: r.status } });
  return { lineId, excused: true, reason, replayed: false };
}

/** completed + the bank confirmed the wage account closed → closed (read-only); the retention clock starts. */
export async function closeProject(tx: DbOrTx, projectId: string, today: string, actor: string): Promise<CompletionView> {
  const p = await lockLife(tx, projectId);
  if (p.status === 'closed') return view(p, []);
  const missing = closureMissing({ status: p.status, wageAccountClosedOn: p.wage_account_closed_on });
  if (missing.length) throw new UnprocessableError('The project cannot be closed yet', missing, 'closure_blocked');
  const years = (await getPolicy(tx, p.county_code, today)).lifecycle.retentionYears;
  const until = retainUntil(today, years);
  await tx.execute(sql`UPDATE projects SET status = 'closed', closed_on = ${today}, retain_until = ${until} WHERE id = ${projectId}`);
  await emit(tx, { id: idFromKey(`evt:project_closed:${projectId}`), type: EVENTS.projectClosed, projectId, countyCode: p.county_code, companyId: p.general_contractor_id, payload: { closedOn: today, retainUntil: until } });
  await appendAudit(tx, { actor, action: 'project.closed', entityType: 'project', entityId: projectId, projectId, data: { closedOn: today, retainUntil: until, retentionYears: years } });
  return view({ ...p, status: 'closed', closed_on: today, retain_until: until }, []);
}

/**
 * The bank's signed `account.closed` for a wage account. The fact is recorded whatever the state
 * (the bank has closed it); closing before completion or with money still on the ledger is flagged
 * by an event for the inspector. Replays change nothing.
 */
export async function applyAccountClosed(tx: DbOrTx, bankId: string, data: { accountNumber: string; closedOn: string }, webhookId: string): Promise<void> {
  const p = (await q<{ id: string; status: string; county_code: string; general_contractor_id: string; wage_account_closed_on: string | null }>(tx, sql`
    SELECT id, status, county_code, general_contractor_id, wage_account_closed_on::text FROM projects
    WHERE wage_bank_id = ${bankId} AND wage_account_number = ${data.accountNumber} FOR UPDATE`))[0];
  if (!p) {
    await appendAudit(tx, { actor: `bank:${bankId}`, action: 'wage_account.closed_unknown', entityType: 'bank_event', entityId: webhookId, data: { accountNumber: data.accountNumber, closedOn: data.closedOn } });
    return;
  }
  if (p.wage_account_closed_on) return;
  const acc = await projectAccounts(tx, p.id);
  const bal = (await getBalances(tx, [acc.wage])).get(acc.wage)!;
  const early = p.status !== 'completed' && p.status !== 'closed';
  const balanceFen = bal.postedFen;
  await tx.execute(sql`UPDATE projects SET wage_account_closed_on = ${data.closedOn} WHERE id = ${p.id}`);
  await emit(tx, { id: idFromKey(`evt:wage_account_closed:${p.id}`), type: EVENTS.wageAccountClosed, projectId: p.id, countyCode: p.county_code, companyId: p.general_contractor_id,
    payload: { accountNumber: data.accountNumber, closedOn: data.closedOn, balanceFen, beforeCompletion: early, webhookId } });
  await appendAudit(tx, { actor: `bank:${bankId}`, action: 'wage_account.closed', entityType: 'project', entityId: p.id, projectId: p.id,
    data: { accountNumber: data.accountNumber, closedOn: data.closedOn, balanceFen, beforeCompletion: early, webhookId } });
}

/** An inspector's legal hold: the project's personal data outlives its retention date. */
export async function addLegalHold(tx: DbOrTx, projectId: string, reason: string, today: string, actor: string) {
  const id = newId();
  await tx.execute(sql`INSERT INTO legal_holds (id, project_id, reason, created_by, created_on) VALUES (${id}, ${projectId}, ${reason}, ${actor}, ${today})`);
  await appendAudit(tx, { actor, action: 'project.legal_hold', entityType: 'legal_hold', entityId: id, projectId, data: { reason } });
  return { id, projectId, reason, createdOn: today, releasedAt: null };
}

export async function releaseLegalHold(tx: DbOrTx, projectId: string, holdId: string, actor: string) {
  const r = (await q<{ id: string; reason: string; created_on: string; released_at: Date | null }>(tx, sql`
    SELECT id, reason, created_on::text, released_at FROM legal_holds WHERE id = ${holdId} AND project_id = ${projectId} FOR UPDATE`))[0];
  if (!r) throw new NotFoundError('Legal hold');
  const at = r.released_at ?? new Date();
  if (!r.released_at) {
    await tx.execute(sql`UPDATE legal_holds SET released_at = ${at.toISOString()} WHERE id = ${holdId}`);
    await appendAudit(tx, { actor, action: 'project.legal_hold_released', entityType: 'legal_hold', entityId: holdId, projectId, data: {} });
  }
  return { id: r.id, projectId, reason: r.reason, createdOn: r.created_on, releasedAt: at.toISOString() };
}
