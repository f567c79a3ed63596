/**
 * Settings of the credit context. The blacklist numbers live in the shared section `credit`
 * (policy.defaults.ts); the score weights and grade cut-offs are this module's own section
 * `creditScore`, merged over the defaults below so an operator overrides any key per province or
 * county with `setPolicy(db, scope, 'creditScore', { … })`.
 */
import type { DbOrTx } from '../../db/client.js';
import type { Policy } from '../policy/policy.defaults.js';
import { getPolicy } from '../policy/policy.service.js';

export const CREDIT_SCORE_DEFAULTS = {
  /** Months of history the score looks back on (payroll lines, cases). */
  lookbackMonths: 24,
  /** Points lost at a 0% on-time payment rate (linear in the late/failed share). */
  onTimeWeight: 30,
  /** Per arrears case opened in the look-back window, up to the cap. */
  arrearsCasePoints: 6,
  arrearsCaseMaxPoints: 18,
  /** Per started step of unpaid arrears still open, up to the cap. */
  arrearsAmountStepFen: 1_000_000, // CNY 10,000
  arrearsAmountPointsPerStep: 2,
  arrearsAmountMaxPoints: 16,
  /** GC ignored a pay-first order (先行清偿) — the heaviest single fact short of listing. */
  gcOrderIgnoredPoints: 15,
  gcOrderIgnoredMaxPoints: 30,
  /** Deposit used and not replenished on time. */
  replenishmentOverduePoints: 8,
  replenishmentOverdueMaxPoints: 16,
  /** Points lost at a 0% labour-contract signing rate. */
  contractWeight: 10,
  /** Points lost when no wage line is backed by a real-name engagement. */
  realNameWeight: 10,
  /** Minimum score for each grade; anything below `C` is D. A listed company is always D. */
  gradeA: 90,
  gradeB: 75,
  gradeC: 60,
};

export type CreditScorePolicy = typeof CREDIT_SCORE_DEFAULTS;

export interface CreditPolicies {
  credit: Policy['credit'];
  score: CreditScorePolicy;
}

/** `creditScore` is not part of the shared Policy type; read it as an optional override. */
export function creditPolicies(policy: Policy): CreditPolicies {
  const over = (policy as unknown as { creditScore?: Partial<CreditScorePolicy> }).creditScore ?? {};
  return { credit: policy.credit, score: { ...CREDIT_SCORE_DEFAULTS, ...over } };
}

export async function getCreditPolicies(db: DbOrTx, countyCode?: string | null): Promise<CreditPolicies> {
  return creditPolicies(await getPolicy(db, countyCode));
}
