/**
 * Pure rules of a project's life (issue 20). Status: active → completing → completed → closed.
 * "Live" (counts for deposit ratios, accepts work) = active | completing.
 */
export type ProjectStatus = 'active' | 'completing' | 'completed' | 'closed';
export const LIVE_STATUSES: ProjectStatus[] = ['active', 'completing'];

export interface Blocker {
  kind: 'engagement_open' | 'final_line_missing' | 'line_unpaid' | 'case_open' | 'complaint_unanswered' | 'line_disputed';
  id?: string;
  message: string;
  /** API path of the thing to act on. */
  link: string;
}

/** A completion date must be a real past-or-today date on or after the project's start. */
export function completionDateError(completedOn: string, startDate: string, today: string): string | null {
  if (completedOn > today) return `completion cannot be declared for a future date (today is ${today})`;
  if (completedOn < startDate) return `completion cannot precede the project start (${startDate})`;
  return null;
}

/**
 * After completion is declared, nothing may be added for a month after the completion month:
 * returns the reason, or null when `month` is allowed. A project without a completion date allows all.
 */
export function afterCompletion(completedOn: string | null, month: string): string | null {
  if (!completedOn) return null;
  const cm = completedOn.slice(0, 7);
  return month > cm ? `the project was completed on ${completedOn}; nothing may be added for ${month}` : null;
}

/** The next status when completion is (re)declared: completed only when no blocker is left. */
export function completionOutcome(status: ProjectStatus, blockers: number): ProjectStatus {
  if (status === 'completed' || status === 'closed') return status;
  return blockers === 0 ? 'completed' : 'completing';
}

/** What still prevents closure, or [] when it may close. */
export function closureMissing(p: { status: string; wageAccountClosedOn: string | null }): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (p.status !== 'completed') out.push({ path: 'status', message: `the project must be completed first (it is ${p.status})` });
  if (!p.wageAccountClosedOn) out.push({ path: 'wageAccount', message: 'the bank has not confirmed the wage account closed (account.closed)' });
  return out;
}

/** Closing date + whole years (29 February → 28 February in a common year). */
export function retainUntil(closedOn: string, years: number): string {
  const [y, m, d] = closedOn.split('-').map(Number) as [number, number, number];
  const ty = y + years;
  const last = new Date(Date.UTC(ty, m, 0)).getUTCDate();
  return `${ty}-${String(m).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** The retention decision for one closed project as of a date. */
export function retentionDecision(p: { retainUntil: string | null; erased: boolean; holds: string[] }, asOf: string): 'erase' | 'keep_held' | 'keep_retained' | 'done' {
  if (p.erased) return 'done';
  if (!p.retainUntil || asOf <= p.retainUntil) return 'keep_retained';
  if (p.holds.length) return 'keep_held';
  return 'erase';
}

export const ERASED = '[已删除]';
