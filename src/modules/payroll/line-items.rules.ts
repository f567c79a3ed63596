import type { FieldError } from '../../lib/errors.js';

/** Itemised pay (工资构成) of a wage line; each in fen. */
export interface PayItems { baseFen?: number; overtimeFen?: number; pieceRateFen?: number; bonusFen?: number; allowanceFen?: number }
/** Itemised deductions (代扣代缴); `otherReason` is required when `otherFen` > 0. */
export interface DeductionItems { socialInsuranceFen?: number; incomeTaxFen?: number; otherFen?: number; otherReason?: string }
export interface LineItems { pay?: PayItems; deductions?: DeductionItems; hours?: number }

export const PAY_KEYS = ['baseFen', 'overtimeFen', 'pieceRateFen', 'bonusFen', 'allowanceFen'] as const;
export const DEDUCTION_KEYS = ['socialInsuranceFen', 'incomeTaxFen', 'otherFen'] as const;

const sum = (o: Record<string, unknown> | undefined, keys: readonly string[]) => keys.reduce((s, k) => s + (typeof o?.[k] === 'number' ? (o[k] as number) : 0), 0);

/**
 * Items are optional; when sent they must add up: pay items to gross, deduction items to the
 * deductions. A sheet without items is checked as before (net = gross − deductions only).
 */
export function itemErrors(line: LineItems & { grossFen: number; deductionsFen: number }, path: string): FieldError[] {
  const errors: FieldError[] = [];
  if (line.pay) {
    const s = sum(line.pay as Record<string, unknown>, PAY_KEYS);
    if (s !== line.grossFen) errors.push({ path: `${path}.pay`, message: `pay items sum to ${s}, gross is ${line.grossFen}` });
  }
  if (line.deductions) {
    const s = sum(line.deductions as Record<string, unknown>, DEDUCTION_KEYS);
    if (s !== line.deductionsFen) errors.push({ path: `${path}.deductions`, message: `deduction items sum to ${s}, deductions are ${line.deductionsFen}` });
    if ((line.deductions.otherFen ?? 0) > 0 && !line.deductions.otherReason?.trim()) {
      errors.push({ path: `${path}.deductions.otherReason`, message: 'an other deduction needs its reason' });
    }
  }
  return errors;
}

/** What is stored in payroll_lines.items (null when the line came without items). */
export function storedItems(line: LineItems): { pay?: PayItems; deductions?: DeductionItems } | null {
  if (!line.pay && !line.deductions) return null;
  return { ...(line.pay ? { pay: line.pay } : {}), ...(line.deductions ? { deductions: line.deductions } : {}) };
}
