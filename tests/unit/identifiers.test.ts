import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ageOn, isCountyCode, luhnValid, maskBankCard, maskPhone, maskResidentId, normalizeCardNumber, validateBankCard, validateCreditCode, validateResidentId,
} from '../../src/lib/identifiers.js';
import { checkResidentId } from '../../src/modules/roster/worker.rules.js';
import { makeBankCard, makeCreditCode, makeResidentId, makeResidentIdBornOn } from '../helpers/seed.js';

const VECTORS = join(import.meta.dirname, '../fixtures/vectors');
const vectors = (file: string) =>
  readFileSync(join(VECTORS, file), 'utf8').split('\n').map((l) => l.trim()).filter((l) => /^(valid|invalid) /.test(l))
    .map((l) => l.split(/\s+/) as ['valid' | 'invalid', string]);

describe('resident ID vectors (GB 11643)', () => {
  const v = vectors('cn_resident_id_vectors.txt');
  it('has vectors', () => expect(v.length).toBeGreaterThan(3));
  it.each(v)('%s %s (roster check: GB 11643 + province prefix)', (kind, id) => expect(checkResidentId(id).ok).toBe(kind === 'valid'));
  it('region failure is told apart', () => expect(checkResidentId('990426199112010074')).toEqual({ ok: false, reason: 'region' }));
  it('normalises a lower-case x and reads birth date and gender', () => {
    const r = validateResidentId('44011320141005001x');
    expect(r).toEqual({ ok: true, normalized: '44011320141005001X', birthDate: '2014-10-05', gender: 'male' });
    expect(validateResidentId('11010519491231002X')).toMatchObject({ ok: true, gender: 'female', birthDate: '1949-12-31' });
  });
  it('reads a full-width (全角) ID as the same number: same normalised value, so the same blind index', () => {
    const full = '４４０１１３２０１４１００５００１ｘ';
    expect(validateResidentId(full)).toEqual(validateResidentId('44011320141005001X'));
    expect(validateResidentId('\u3000４４０１１３２０１４１００５００１Ｘ\u3000')).toMatchObject({ ok: true, normalized: '44011320141005001X' });
    expect(validateResidentId('４４０１１３２０１４１００５００１２')).toEqual({ ok: false, reason: 'checksum' });
    expect(validateResidentId('440113 20141005 001x')).toEqual(validateResidentId('44011320141005001X'));
  });
  it('distinguishes format, checksum and birth-date failures', () => {
    expect(validateResidentId('12345')).toEqual({ ok: false, reason: 'format' });
    expect(validateResidentId('11010519491231002Y')).toEqual({ ok: false, reason: 'format' });
    expect(validateResidentId('110105194912310021')).toEqual({ ok: false, reason: 'checksum' });
    expect(validateResidentId(makeResidentIdBornOn('1990-02-30'))).toEqual({ ok: false, reason: 'birth_date' });
    expect(validateResidentId(makeResidentIdBornOn('1899-12-31'))).toEqual({ ok: false, reason: 'birth_date' });
    expect(validateResidentId(makeResidentIdBornOn('2030-01-01'), '2026-10-01')).toEqual({ ok: false, reason: 'birth_date' });
  });
  it('generated IDs are valid and distinct', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i += 7) {
      const id = makeResidentId(i);
      expect(validateResidentId(id).ok).toBe(true);
      ids.add(id);
    }
    expect(ids.size).toBe(Math.ceil(20_000 / 7));
  });
});

describe('credit code vectors (GB 32100)', () => {
  const v = vectors('cn_uscc_vectors.txt');
  it('has 200+ vectors', () => expect(v.length).toBeGreaterThan(200));
  it('every vector', () => {
    for (const [kind, code] of v) expect([code, validateCreditCode(code).ok]).toEqual([code, kind === 'valid']);
  });
  it('reasons and generated codes', () => {
    expect(validateCreditCode('12345')).toEqual({ ok: false, reason: 'format' });
    expect(validateCreditCode('9111000060003IOZSV')).toEqual({ ok: false, reason: 'format' });
    expect(validateCreditCode('91110000600037341N')).toEqual({ ok: false, reason: 'checksum' });
    expect(validateCreditCode(' 91110000600037341l ')).toEqual({ ok: true, normalized: '91110000600037341L' });
    for (let i = 0; i < 500; i++) expect(validateCreditCode(makeCreditCode(i * 7919)).ok).toBe(true);
  });
});

describe('bank cards', () => {
  it.each([
    ['6222021234567890123', 'ok'],
    ['6222 0212 3456 7890', 'ok'],
    ['622202123456789', 'format'],
    ['62220212345678901234', 'format'],
    ['6222abc234567890', 'format'],
    ['６２２２　０２１２　３４５６　７８９０', 'ok'],
  ])('%s → %s', (card, want) => expect(validateBankCard(card).ok ? 'ok' : 'format').toBe(want));
  it('a full-width card is the same card', () => {
    expect(validateBankCard('６２２２０２１２３４５６７８９０１２３')).toEqual(validateBankCard('6222021234567890123'));
    expect(normalizeCardNumber('６２２２-０２１２ 3456\u30007890')).toBe('6222021234567890');
  });
  it('Luhn is reported, not enforced', () => {
    const good = makeBankCard(42);
    const bad = makeBankCard(42, false);
    expect(luhnValid(good)).toBe(true);
    expect(validateBankCard(bad)).toMatchObject({ ok: true, luhn: false, unionPay: true });
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
});

describe('masks, ages and county codes', () => {
  it('masks as the contract shows', () => {
    expect(maskResidentId('22070219900101123X')).toBe('2207**********123X');
    expect(maskBankCard('6222021234567891234')).toBe('6222 **** **** 1234');
    expect(maskPhone('13812345678')).toBe('138****5678');
  });
  it.each([
    ['2010-10-02', '2026-10-01', 15],
    ['2010-10-01', '2026-10-01', 16],
    ['1966-01-01', '2026-01-01', 60],
    ['1965-12-31', '2026-01-01', 60],
    ['1964-12-31', '2026-01-01', 61],
  ])('born %s, on %s → %i', (b, on, age) => expect(ageOn(b, on)).toBe(age));
  it('county codes', () => {
    expect(isCountyCode('220702')).toBe(true);
    expect(isCountyCode('220000')).toBe(false);
    expect(isCountyCode('22070')).toBe(false);
  });
});
