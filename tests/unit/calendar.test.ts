import { describe, expect, it } from 'vitest';
import { addWorkingDays, chinaToday, effectivePayDate, isIsoDate, isWorkingDay, previousWorkingDayOnOrBefore, type WorkCalendar } from '../../src/lib/calendar.js';

// 2025 National Day: Oct 1–8 off, make-up workdays Sun Sep 28 and Sat Oct 11.
const cal: WorkCalendar = {
  holidays: new Set(['2025-10-01', '2025-10-02', '2025-10-03', '2025-10-06', '2025-10-07', '2025-10-08', '2026-01-01']),
  makeUpWorkdays: new Set(['2025-09-28', '2025-10-11']),
};
const none: WorkCalendar = { holidays: new Set(), makeUpWorkdays: new Set() };

describe('isWorkingDay', () => {
  it.each([
    ['2025-09-26', none, true, 'Friday'],
    ['2025-09-27', none, false, 'Saturday'],
    ['2025-09-28', none, false, 'Sunday without calendar'],
    ['2025-09-28', cal, true, 'Sunday make-up workday'],
    ['2025-10-01', cal, false, 'holiday on a Wednesday'],
    ['2025-10-11', cal, true, 'Saturday make-up workday'],
    ['2025-10-09', cal, true, 'first Thursday after the holiday'],
    ['2026-01-01', cal, false, "New Year's Day"],
  ])('%s → %s (%s)', (day, c, want) => expect(isWorkingDay(day, c as WorkCalendar)).toBe(want));
});

describe('addWorkingDays', () => {
  it.each([
    ['2025-09-26', 0, none, '2025-09-26', 'n = 0 is the date itself'],
    ['2025-09-26', 1, none, '2025-09-29', 'Friday + 1 skips the weekend'],
    ['2025-09-26', 1, cal, '2025-09-28', 'Friday + 1 lands on the Sunday make-up day'],
    ['2025-09-29', 3, cal, '2025-10-10', 'Mon + 3 over National Day'],
    ['2025-09-30', 1, cal, '2025-10-09', 'the day before the holiday + 1'],
    ['2025-09-30', 2, cal, '2025-10-10', '+2'],
    ['2025-09-30', 3, cal, '2025-10-11', '+3 is the Saturday make-up day'],
    ['2025-09-30', 10, cal, '2025-10-21', 'replenishment window of 10 working days'],
    ['2025-09-30', 10, none, '2025-10-14', 'same without the calendar'],
    ['2025-12-31', 1, cal, '2026-01-02', 'over New Year'],
    ['2025-10-04', 5, cal, '2025-10-14', 'starting on a holiday Saturday'],
  ])('%s + %i', (from, n, c, want) => expect(addWorkingDays(from, n, c as WorkCalendar)).toBe(want));
});

describe('pay day moves earlier (Art. 12)', () => {
  it.each([
    ['2025-10-05', cal, '2025-09-30', 'Sunday inside the holiday → last workday before it'],
    ['2025-09-28', cal, '2025-09-28', 'make-up Sunday is a workday'],
    ['2025-10-12', cal, '2025-10-11', 'Sunday → Saturday make-up day'],
    ['2025-10-12', none, '2025-10-10', 'Sunday → Friday'],
  ])('%s', (d, c, want) => expect(previousWorkingDayOnOrBefore(d, c as WorkCalendar)).toBe(want));
  it('effective pay date of a wage month', () => {
    expect(effectivePayDate('2025-09', 5, cal)).toBe('2025-09-30');
    expect(effectivePayDate('2025-09', 15, cal)).toBe('2025-10-15');
  });
});

describe('isIsoDate', () => {
  it('accepts real days only, and never throws', () => {
    expect(['2026-01-31', '2028-02-29', '2000-02-29'].map(isIsoDate)).toEqual([true, true, true]);
    expect(['2026-02-30', '2025-02-29', '1900-02-29', '2026-04-31', '2026-13-45', '2026-00-01', '2026-1-01', ''].map(isIsoDate)).toEqual(Array(8).fill(false));
  });
});

describe('chinaToday', () => {
  it('is the UTC+8 date of an instant, at both edges of the day', () => {
    expect(chinaToday(new Date('2026-10-15T15:59:59.999Z'))).toBe('2026-10-15');
    expect(chinaToday(new Date('2026-10-15T16:00:00.000Z'))).toBe('2026-10-16');
    expect(chinaToday('2026-12-31T16:00:00Z')).toBe('2027-01-01');
    expect(chinaToday('2026-10-16T04:00:00+08:00')).toBe('2026-10-16');
  });
});
