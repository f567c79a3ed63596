import { describe, expect, it } from 'vitest';
import { MIN_WORKING_AGE, normalizePhone, validateWorkerRow, type RowContext, type WorkerRowInput } from '../../src/modules/roster/worker.rules.js';
import { makeBankCard, makeResidentIdBornOn } from '../helpers/seed.js';

const EMP = '01900000-0000-7000-8000-0000000000aa';
const ctx: RowContext = { parties: new Set([EMP]), retirementAgeMale: 60, retirementAgeFemale: 50 };
// GB 11643: the 17th digit is odd for men, even for women.
const row = (birth: string, seq: number, entryDate = '2026-05-01'): WorkerRowInput => ({
  name: '张三', idNumber: makeResidentIdBornOn(birth, seq), bankCardNumber: makeBankCard(seq), employerId: EMP, trade: '木工',
  contractSigned: true, dispatched: false, entryDate,
});
const codes = (r: ReturnType<typeof validateWorkerRow>) => (r.ok ? r.warnings.map((w) => w.code) : r.errors.map((e) => `${e.field}!`));

describe('age rules (issue 17 rule 7)', () => {
  it('under 16 on the entry date is a rejection on idNumber, 16 is fine', () => {
    expect(MIN_WORKING_AGE).toBe(16);
    expect(codes(validateWorkerRow(row('2010-05-02', 1), ctx))).toEqual(['idNumber!']); // 15 the day before the birthday
    expect(codes(validateWorkerRow(row('2010-05-01', 1), ctx))).toEqual([]); // 16 on the entry date
  });

  it('retirement ages per sex from the county settings: men above 60, women above 50 warn', () => {
    expect(codes(validateWorkerRow(row('1965-05-02', 1), ctx))).toEqual([]); // man, 60
    expect(codes(validateWorkerRow(row('1965-05-01', 1), ctx))).toEqual(['over_age']); // man, 61
    expect(codes(validateWorkerRow(row('1976-05-02', 2), ctx))).toEqual([]); // woman, 49
    expect(codes(validateWorkerRow(row('1975-05-01', 2), ctx))).toEqual(['over_age']); // woman, 51
    expect(codes(validateWorkerRow(row('1975-05-01', 2), { ...ctx, retirementAgeFemale: 55 }))).toEqual([]); // county setting
  });
});

describe('normalizePhone', () => {
  it.each([
    ['13812345678', '13812345678'], ['+86 138 1234 5678', '13812345678'], ['0086-13812345678', '13812345678'], ['８６１３８１２３４５６７８', '13812345678'],
    ['(0438) 1234567', '04381234567'], ['861234', '861234'],
  ])('%s → %s', (a, b) => expect(normalizePhone(a)).toBe(b));
});
