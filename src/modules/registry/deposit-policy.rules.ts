/**
 * Required wage-guarantee deposit at project creation (条例 Art. 32; 人社部发〔2021〕65号).
 * Pure: every number comes from the policy section `deposit`, every fact about the GC from
 * `DepositHistory`. The breakdown is stored with the project so the figure can be explained later.
 */
import type { Policy } from '../policy/policy.defaults.js';

export type DepositPolicy = Policy['deposit'];

export interface DepositHistory {
  /** Other live (not completed) projects of the GC in the same province (the "several projects in the area" ratio). */
  otherLiveProjects: number;
  /** Any arrears case against the GC in the province opened in the 12 months before `asOf` (blocks the small-project waiver). */
  arrearsPastYear: boolean;
  /** Any arrears case in the 2 years before `asOf` (+50%). */
  arrearsPastTwoYears: boolean;
  /** Currently on the blacklist (+100%; no waiver, halving or exemption). */
  blacklisted: boolean;
  /** Consecutive whole years without arrears up to `asOf` (halving / exemption). */
  cleanYears: number;
  /** Real-name management and a wage account in place on its projects (required for the exemption). */
  realNameAndWageAccount: boolean;
}

export const NEUTRAL_HISTORY: DepositHistory = {
  otherLiveProjects: 0, arrearsPastYear: false, arrearsPastTwoYears: false, blacklisted: false, cleanYears: 0, realNameAndWageAccount: true,
};

export type DepositStep =
  | { rule: 'exempt_clean_history'; cleanYears: number }
  | { rule: 'small_project_waiver'; belowFen: number }
  | { rule: 'ratio'; ratioBp: number; reason: 'standard' | 'multi_project_floor'; amountFen: number }
  | { rule: 'clean_history_halving'; cleanYears: number; amountFen: number }
  | { rule: 'arrears_increase'; increaseBp: number; amountFen: number }
  | { rule: 'blacklist_increase'; increaseBp: number; amountFen: number }
  | { rule: 'floor'; floorBp: number; amountFen: number }
  | { rule: 'cap'; capFen: number; amountFen: number };

export interface DepositResult {
  requiredFen: number;
  contractPriceFen: number;
  steps: DepositStep[];
  history: DepositHistory;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
/** amount × bp / 10000, half-up, in bigint so large contract prices stay exact. */
const applyBp = (amountFen: number, bp: number): number => Number((BigInt(amountFen) * BigInt(bp) + 5000n) / 10000n);

export function requiredDeposit(contractPriceFen: number, policy: DepositPolicy, h: DepositHistory): DepositResult {
  const steps: DepositStep[] = [];
  const done = (requiredFen: number): DepositResult => ({ requiredFen, contractPriceFen, steps, history: h });

  // A blacklisted GC gets no relief of any kind.
  if (!h.blacklisted && !h.arrearsPastTwoYears && h.realNameAndWageAccount && h.cleanYears >= policy.cleanYearsExempt) {
    steps.push({ rule: 'exempt_clean_history', cleanYears: h.cleanYears });
    return done(0);
  }
  if (!h.blacklisted && !h.arrearsPastYear && contractPriceFen < policy.waiverBelowFen) {
    steps.push({ rule: 'small_project_waiver', belowFen: policy.waiverBelowFen });
    return done(0);
  }

  const standardBp = clamp(policy.ratioBp, policy.minRatioBp, policy.maxRatioBp);
  // Several live projects in the area: the ratio may drop, but never below the floor.
  const multi = h.otherLiveProjects > 0 && policy.multiProjectRatioBp < standardBp;
  const ratioBp = multi ? policy.multiProjectRatioBp : standardBp;
  let amount = applyBp(contractPriceFen, ratioBp);
  steps.push({ rule: 'ratio', ratioBp, reason: multi ? 'multi_project_floor' : 'standard', amountFen: amount });

  if (h.blacklisted) {
    amount = applyBp(amount, 10000 + policy.blacklistIncreaseBp);
    steps.push({ rule: 'blacklist_increase', increaseBp: policy.blacklistIncreaseBp, amountFen: amount });
  } else if (h.arrearsPastTwoYears) {
    amount = applyBp(amount, 10000 + policy.arrearsIncreaseBp);
    steps.push({ rule: 'arrears_increase', increaseBp: policy.arrearsIncreaseBp, amountFen: amount });
  } else if (h.cleanYears >= policy.cleanYearsHalve) {
    amount = applyBp(amount, 5000);
    steps.push({ rule: 'clean_history_halving', cleanYears: h.cleanYears, amountFen: amount });
  }

  // Reductions combine (several projects, clean years) but never take the ratio under the floor
  // (人社部发〔2021〕65号 Art. 7: not below 0.5%), unless the GC is exempt (handled above).
  const floorBp = policy.floorRatioBp ?? 50;
  const floor = applyBp(contractPriceFen, floorBp);
  if (amount < floor) {
    amount = floor;
    steps.push({ rule: 'floor', floorBp, amountFen: amount });
  }

  if (policy.capFen !== null && policy.capFen !== undefined && amount > policy.capFen) {
    amount = policy.capFen;
    steps.push({ rule: 'cap', capFen: policy.capFen, amountFen: amount });
  }
  return done(amount);
}
