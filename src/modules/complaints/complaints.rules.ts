/** Complaint policy as pure functions (thresholds and deadlines are county settings, see policy.defaults). */
import { addWorkingDays, isWorkingDay, type WorkCalendar } from '../../lib/calendar.js';

export const CHANNELS = ['web', 'worker', 'phone_12333', 'walk_in', 'national_platform'] as const;
export type Channel = (typeof CHANNELS)[number];
export const INSPECTOR_CHANNELS: Channel[] = ['phone_12333', 'walk_in', 'national_platform'];
export const DECISIONS = ['accept', 'merge', 'reject', 'resolve'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface ComplaintPolicy { answerWorkingDays: number; redWorkers: number; redAmountFen: number }

/** Red when it claims ≥ 10 workers or ≥ CNY 30,000 (defaults), orange otherwise. */
export const complaintSeverity = (workers: number, amountFen: number, p: ComplaintPolicy): 'red' | 'orange' =>
  workers >= p.redWorkers || amountFen >= p.redAmountFen ? 'red' : 'orange';

/** The last day to answer: N working days after receipt (counted from the next day). */
export const answerDueOn = (receivedOn: string, p: ComplaintPolicy, cal: WorkCalendar): string => addWorkingDays(receivedOn, p.answerWorkingDays, cal);

/** Overdue alerts go out on working days after the due date, once per day, until answered. */
export const overdueToday = (dueOn: string, asOf: string, cal: WorkCalendar): boolean => asOf > dueOn && isWorkingDay(asOf, cal);

const NEXT: Record<string, Decision[]> = {
  received: ['accept', 'merge', 'reject', 'resolve'],
  accepted: ['merge', 'resolve'],
};
export const decisionAllowed = (status: string, action: Decision): boolean => (NEXT[status] ?? []).includes(action);
export const STATUS_AFTER: Record<Decision, string> = { accept: 'accepted', merge: 'merged', reject: 'rejected', resolve: 'resolved' };

/** A company name as people type it: spaces and full-width brackets do not make another company. */
export const sameCompanyName = (a: string, b: string): boolean => {
  const n = (s: string) => s.normalize('NFKC').replace(/\s+/g, '').replace(/[()（）]/g, '');
  return n(a) === n(b);
};

/** A short reference a person can read out on the phone: C + date + 4 hex. */
export const complaintRef = (receivedOn: string, id: string): string => `C${receivedOn.replace(/-/g, '')}-${id.replace(/-/g, '').slice(-6).toUpperCase()}`;
