/**
 * Credit score and grade of a company (pure).
 *
 * A company starts at 100 points and loses points for each fact of its wage-payment record in the
 * look-back window; every deduction is a reason, so a grade can always be explained:
 *
 * | reason                 | points lost                                                                 |
 * |------------------------|-----------------------------------------------------------------------------|
 * | late_or_failed_payment | onTimeWeight × (1 − on-time rate) over settled wage lines                  |
 * | arrears_cases          | arrearsCasePoints per case opened, capped at arrearsCaseMaxPoints           |
 * | open_arrears           | arrearsAmountPointsPerStep per started arrearsAmountStepFen still unpaid, capped |
 * | gc_order_ignored       | gcOrderIgnoredPoints per ignored pay-first order, capped                    |
 * | replenishment_overdue  | replenishmentOverduePoints per deposit not replenished in time, capped       |
 * | unsigned_contracts     | contractWeight × (1 − contract signing rate)                                 |
 * | no_real_name           | realNameWeight × (1 − share of wage lines backed by a real-name engagement)  |
 * | blacklisted            | grade forced to D                                                           |
 *
 * Grade: A ≥ gradeA, B ≥ gradeB, C ≥ gradeC, else D. A company without any record has nothing to
 * lose points for and is graded A (the platform presumes good faith until facts say otherwise).
 */
import type { CreditScorePolicy } from './credit-policy.js';

export type Grade = 'A' | 'B' | 'C' | 'D';
export const GRADES: Grade[] = ['A', 'B', 'C', 'D'];

export interface CreditInputs {
  /** Settled wage lines of the company (as employer, and on its projects as GC) in the window. */
  linesOnTime: number;
  linesLate: number;
  /** rejected, missing, underpaid, wrong_account (a line that was never properly paid). */
  linesFailed: number;
  casesOpened: number;
  openArrearsFen: number;
  gcOrdersIgnored: number;
  replenishmentsOverdue: number;
  engagements: number;
  contractsSigned: number;
  wageLines: number;
  realNameLines: number;
  blacklisted: boolean;
}

export const EMPTY_INPUTS: CreditInputs = {
  linesOnTime: 0, linesLate: 0, linesFailed: 0, casesOpened: 0, openArrearsFen: 0, gcOrdersIgnored: 0,
  replenishmentsOverdue: 0, engagements: 0, contractsSigned: 0, wageLines: 0, realNameLines: 0, blacklisted: false,
};

export interface CreditReason {
  code: string;
  points: number;
  detail: string;
}

export interface CreditResult {
  score: number;
  grade: Grade;
  reasons: CreditReason[];
}

const capped = (n: number, per: number, max: number) => Math.min(max, Math.max(0, n) * per);
/** Share in [0, 1]; no data counts as fully compliant. */
const share = (part: number, whole: number) => (whole > 0 ? Math.min(1, Math.max(0, part / whole)) : 1);
/** Points rounded to one decimal so reasons read cleanly and sums stay stable. */
const r1 = (x: number) => Math.round(x * 10) / 10;

export function gradeFor(score: number, p: CreditScorePolicy): Grade {
  if (score >= p.gradeA) return 'A';
  if (score >= p.gradeB) return 'B';
  if (score >= p.gradeC) return 'C';
  return 'D';
}

export function computeCredit(i: CreditInputs, p: CreditScorePolicy): CreditResult {
  const reasons: CreditReason[] = [];
  const add = (code: string, points: number, detail: string) => {
    const pts = r1(points);
    if (pts > 0) reasons.push({ code, points: pts, detail });
  };

  const settled = i.linesOnTime + i.linesLate + i.linesFailed;
  const onTime = share(i.linesOnTime, settled);
  add('late_or_failed_payment', p.onTimeWeight * (1 - onTime), `${i.linesLate} late and ${i.linesFailed} failed of ${settled} wage lines (on-time ${(onTime * 100).toFixed(1)}%)`);
  add('arrears_cases', capped(i.casesOpened, p.arrearsCasePoints, p.arrearsCaseMaxPoints), `${i.casesOpened} arrears case(s) opened`);
  const steps = p.arrearsAmountStepFen > 0 ? Math.ceil(Math.max(0, i.openArrearsFen) / p.arrearsAmountStepFen) : 0;
  add('open_arrears', capped(steps, p.arrearsAmountPointsPerStep, p.arrearsAmountMaxPoints), `${i.openArrearsFen} fen of wages still unpaid`);
  add('gc_order_ignored', capped(i.gcOrdersIgnored, p.gcOrderIgnoredPoints, p.gcOrderIgnoredMaxPoints), `${i.gcOrdersIgnored} pay-first order(s) ignored`);
  add('replenishment_overdue', capped(i.replenishmentsOverdue, p.replenishmentOverduePoints, p.replenishmentOverdueMaxPoints), `${i.replenishmentsOverdue} deposit replenishment(s) overdue`);
  const signed = share(i.contractsSigned, i.engagements);
  add('unsigned_contracts', p.contractWeight * (1 - signed), `${i.contractsSigned} of ${i.engagements} workers with a signed labour contract`);
  const realName = share(i.realNameLines, i.wageLines);
  add('no_real_name', p.realNameWeight * (1 - realName), `${i.realNameLines} of ${i.wageLines} wage lines backed by a real-name engagement`);

  const lost = reasons.reduce((s, r) => s + r.points, 0);
  const score = Math.max(0, Math.min(100, Math.round(100 - lost)));
  let grade = gradeFor(score, p);
  if (i.blacklisted) {
    reasons.push({ code: 'blacklisted', points: 0, detail: 'on the wage-arrears blacklist: grade D while listed' });
    grade = 'D';
  }
  return { score, grade, reasons };
}
