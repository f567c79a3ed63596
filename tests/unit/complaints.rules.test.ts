import { describe, expect, it } from 'vitest';
import { EMPTY_CALENDAR } from '../../src/lib/calendar.js';
import { answerDueOn, complaintRef, complaintSeverity, decisionAllowed, overdueToday, sameCompanyName } from '../../src/modules/complaints/complaints.rules.js';

const P = { answerWorkingDays: 5, redWorkers: 10, redAmountFen: 3_000_000 };

describe('complaint rules', () => {
  it.each([
    [1, 100, 'orange'], [9, 2_999_999, 'orange'], [10, 0, 'red'], [1, 3_000_000, 'red'],
  ] as const)('%i workers, %i fen → %s', (w, f, sev) => expect(complaintSeverity(w, f, P)).toBe(sev));

  it('answers are due 5 working days after receipt; weekends and holidays do not count', () => {
    expect(answerDueOn('2026-11-20', P, EMPTY_CALENDAR)).toBe('2026-11-27'); // Friday → next Friday
    expect(answerDueOn('2026-11-20', P, { holidays: new Set(['2026-11-23']), makeUpWorkdays: new Set() })).toBe('2026-11-30'); // Monday off
    expect(answerDueOn('2026-11-20', P, { holidays: new Set(['2026-11-23']), makeUpWorkdays: new Set(['2026-11-22']) })).toBe('2026-11-27'); // a worked Sunday makes up for it
  });

  it('overdue alerts only on working days after the due date', () => {
    expect(overdueToday('2026-11-27', '2026-11-27', EMPTY_CALENDAR)).toBe(false);
    expect(overdueToday('2026-11-27', '2026-11-28', EMPTY_CALENDAR)).toBe(false); // Saturday
    expect(overdueToday('2026-11-27', '2026-11-30', EMPTY_CALENDAR)).toBe(true);
  });

  it('decisions follow the complaint\'s state', () => {
    expect(decisionAllowed('received', 'accept')).toBe(true);
    expect(decisionAllowed('accepted', 'accept')).toBe(false);
    expect(decisionAllowed('accepted', 'resolve')).toBe(true);
    for (const s of ['merged', 'rejected', 'resolved']) expect(decisionAllowed(s, 'resolve')).toBe(false);
  });

  it('company names match as people type them; references read out on the phone', () => {
    expect(sameCompanyName(' 松原建工（集团）有限公司', '松原建工(集团)有限公司')).toBe(true);
    expect(sameCompanyName('松原建工', '松原建工集团')).toBe(false);
    expect(complaintRef('2026-11-20', '0193a3b0-0000-7000-8000-00000000abcd')).toBe('C20261120-00ABCD');
  });
});
