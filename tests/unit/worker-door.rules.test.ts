import { describe, expect, it } from 'vitest';
import { classifyEvent } from '../../src/modules/alerts/alert-catalogue.js';
import { afterWrongCode, codeFromRandom, codeRequestWaitMs, retryAfterSec } from '../../src/modules/workers-door/worker-auth.rules.js';
import { dayText, monthText, normalizePhone, renderSms, yuanText } from '../../src/modules/notify/sms.rules.js';

const at = (s: number) => new Date(Date.UTC(2026, 10, 20, 0, 0, s));

describe('sign-in code limits', () => {
  it.each([
    { name: 'nothing recent', recent: [] as number[], now: 0, wait: 0 },
    { name: 'one 10 s ago → 50 s', recent: [0], now: 10, wait: 50_000 },
    { name: 'one 60 s ago → free', recent: [0], now: 60, wait: 0 },
    { name: 'five in the hour → until the oldest is an hour old', recent: [0, 100, 200, 300, 400], now: 500, wait: 3_100_000 },
    { name: 'four in the hour, last 2 min ago → free', recent: [0, 100, 200, 300], now: 420, wait: 0 },
  ])('$name', ({ recent, now, wait }) => {
    expect(codeRequestWaitMs(recent.map(at), at(now))).toBe(wait);
  });
  it('Retry-After is whole seconds and never 0', () => {
    expect(retryAfterSec(1)).toBe(1);
    expect(retryAfterSec(59_001)).toBe(60);
  });
  it('the fifth wrong code locks and resets the count', () => {
    expect(afterWrongCode(0)).toEqual({ failures: 1, lock: false });
    expect(afterWrongCode(3)).toEqual({ failures: 4, lock: false });
    expect(afterWrongCode(4)).toEqual({ failures: 0, lock: true });
  });
  it('codes are 6 digits; values in the biased tail are drawn again', () => {
    const seq = [4_294_967_295, 42];
    expect(codeFromRandom(() => seq.shift()!)).toBe('000042');
  });
});

describe('SMS text', () => {
  it('renders the settle message as the issue words it', () => {
    expect(renderSms('payslip_paid', { project: '松原…项目', monthText: monthText('2026-10'), amount: yuanText(520_000), dateText: dayText('2026-11-15'), last4: '1234' }))
      .toBe('【WageGuard】松原…项目 2026年10月工资 ¥5,200.00 已于11月15日到账(尾号1234)。');
  });
  it.each([['+86 139 1234 5678', '13912345678'], ['８６13912345678', '13912345678'], ['139-1234-5678', '13912345678']])('normalises %s', (raw, out) => {
    expect(normalizePhone(raw)).toBe(out);
  });
  it('yuan text keeps fen exact', () => {
    expect(yuanText(1)).toBe('0.01');
    expect(yuanText(123_456_789)).toBe('1,234,567.89');
  });
});

describe('line.disputed alert', () => {
  it('is orange, and red when the bank had reported the line paid', () => {
    expect(classifyEvent('line.disputed', { bankPaid: false })).toMatchObject({ type: 'line.disputed', severity: 'orange' });
    expect(classifyEvent('line.disputed', { bankPaid: true })).toMatchObject({ type: 'line.disputed', severity: 'red' });
  });
});
