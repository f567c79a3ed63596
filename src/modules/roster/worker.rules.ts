/**
 * Validation of one roster row (single registration or one line of an import). Pure: the caller
 * supplies the project's parties and the age band from the policy. Rejections are rule breaks
 * (422); warnings are facts an inspector must see but that must not block a real worker.
 */
import { ageOn, halfWidth, maskBankCard, maskResidentId, validateBankCard, validateResidentId } from '../../lib/identifiers.js';

export interface WorkerRowInput {
  name: string;
  idNumber: string;
  phone?: string | null;
  bankCardNumber: string;
  employerId: string;
  trade: string;
  team?: string | null;
  contractSigned: boolean;
  dispatched: boolean;
  entryDate: string;
}

export interface RowIssue { field: string; message: string }
export interface Warning { code: 'card_luhn' | 'card_shared' | 'over_age'; field: string; message: string }

export interface ValidRow {
  name: string;
  idNumber: string;
  birthDate: string;
  gender: 'male' | 'female';
  phone: string | null;
  card: string;
  employerId: string;
  trade: string;
  team: string | null;
  contractSigned: boolean;
  dispatched: boolean;
  entryDate: string;
  idMasked: string;
  cardMasked: string;
}

export interface RowContext {
  parties: Set<string>;
  /** When set, the only employer the caller may register for (a subcontractor registers its own staff). */
  onlyEmployer?: string | null;
  /** County retirement ages (policy roster.retirementAgeMale / retirementAgeFemale; defaults 60 / 50): above is a warning. */
  retirementAgeMale: number;
  retirementAgeFemale: number;
  /** The project's declared completion (竣工) date: no engagement may start in a later month. */
  completedOn?: string | null;
}

/** 禁止使用童工规定 Art. 2: nobody under 16 may be employed. A law, not a county setting: a hard 422. */
export const MIN_WORKING_AGE = 16;

/**
 * The phone as its blind index sees it: half width, no spaces or dashes, without a +86 / 0086 / 86
 * prefix in front of an 11-digit mobile number. One function, so every lookup by phone agrees.
 */
export function normalizePhone(raw: string): string {
  const d = halfWidth(String(raw)).replace(/[\s()-]/g, '');
  const m = /^(?:\+?86|0086)(1\d{10})$/.exec(d);
  return m ? m[1]! : d;
}
export const phoneIndex = (pii: { blindIndex(plain: string, domain: string): string }, phone: string) => pii.blindIndex(normalizePhone(phone), 'phone');

/** GB/T 2260 province-level prefixes (81–83: HK, Macao, Taiwan residence permits). */
const PROVINCES = new Set(['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42', '43', '44', '45', '46',
  '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82', '83']);

/** lib's GB 11643 check plus a real province prefix (python-stdnum's vectors reject a `99…` number). */
export function checkResidentId(raw: string, asOf?: string): ReturnType<typeof validateResidentId> | { ok: false; reason: 'region' } {
  const r = validateResidentId(raw, asOf);
  if (r.ok && !PROVINCES.has(r.normalized.slice(0, 2))) return { ok: false, reason: 'region' };
  return r;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function validateWorkerRow(r: WorkerRowInput, ctx: RowContext):
  | { ok: true; row: ValidRow; warnings: Warning[] }
  | { ok: false; errors: RowIssue[] } {
  const errors: RowIssue[] = [];
  const warnings: Warning[] = [];
  const name = (r.name ?? '').trim();
  if (!name || name.length > 100) errors.push({ field: 'name', message: 'required, at most 100 characters' });
  const entryDate = (r.entryDate ?? '').trim();
  const entryOk = DATE.test(entryDate) && !Number.isNaN(Date.parse(entryDate + 'T00:00:00Z'));
  if (!entryOk) errors.push({ field: 'entryDate', message: 'must be a date YYYY-MM-DD' });
  else if (ctx.completedOn && entryDate.slice(0, 7) > ctx.completedOn.slice(0, 7)) {
    errors.push({ field: 'entryDate', message: `the project was completed on ${ctx.completedOn}; no engagement may start after that month` });
  }

  const id = checkResidentId(r.idNumber ?? '', entryOk ? entryDate : undefined);
  if (!id.ok) {
    errors.push({
      field: 'idNumber',
      message: id.reason === 'checksum' ? 'check character does not match (GB 11643)' : id.reason === 'birth_date' ? 'birth date is not a real date' : id.reason === 'region' ? 'the first two digits are not a province code' : 'must be 17 digits and a check character',
    });
  }
  const card = validateBankCard(r.bankCardNumber ?? '');
  if (!card.ok) errors.push({ field: 'bankCardNumber', message: 'must be 16 to 19 digits' });
  const phone = r.phone ? halfWidth(String(r.phone)).replace(/[\s-]/g, '') : null;
  if (phone !== null && !/^\+?\d{5,20}$/.test(phone)) errors.push({ field: 'phone', message: 'not a phone number' });

  const employerId = (r.employerId ?? '').trim().toLowerCase();
  if (!UUID.test(employerId) || !ctx.parties.has(employerId)) {
    errors.push({ field: 'employerId', message: 'the employer is not a party of this project' });
  } else if (ctx.onlyEmployer && ctx.onlyEmployer !== employerId) {
    errors.push({ field: 'employerId', message: 'a subcontractor may only register its own workers' });
  }
  const trade = (r.trade ?? '').trim();
  if (!trade || trade.length > 50) errors.push({ field: 'trade', message: 'required, at most 50 characters' });
  const team = r.team ? String(r.team).trim() || null : null;
  if (team && team.length > 50) errors.push({ field: 'team', message: 'at most 50 characters' });
  if (typeof r.contractSigned !== 'boolean') errors.push({ field: 'contractSigned', message: 'must be true or false' });
  if (typeof r.dispatched !== 'boolean') errors.push({ field: 'dispatched', message: 'must be true or false' });
  if (errors.length || !id.ok || !card.ok) return { ok: false, errors };

  if (!card.luhn) warnings.push({ code: 'card_luhn', field: 'bankCardNumber', message: 'card number fails the Luhn check; confirm it with the worker' });
  const age = ageOn(id.birthDate, entryDate);
  if (age < MIN_WORKING_AGE) return { ok: false, errors: [{ field: 'idNumber', message: `the worker is ${age} on the entry date; nobody under ${MIN_WORKING_AGE} may be employed` }] };
  const retire = id.gender === 'male' ? ctx.retirementAgeMale : ctx.retirementAgeFemale;
  if (age > retire) warnings.push({ code: 'over_age', field: 'idNumber', message: `worker is ${age}, above the county's retirement age for ${id.gender === 'male' ? 'men' : 'women'} (${retire})` });
  return {
    ok: true,
    warnings,
    row: {
      name, idNumber: id.normalized, birthDate: id.birthDate, gender: id.gender, phone, card: card.normalized, employerId, trade, team,
      contractSigned: r.contractSigned, dispatched: r.dispatched, entryDate,
      idMasked: maskResidentId(id.normalized), cardMasked: maskBankCard(card.normalized),
    },
  };
}
