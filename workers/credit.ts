import { UnrecoverableError, type Job } from 'bullmq';
import type { Deps } from '../src/deps.js';
import { isIsoDate } from '../src/lib/calendar.js';
import { isUuid } from '../src/lib/ids.js';
import { evaluateBlacklist } from '../src/modules/credit/blacklist-evaluate.js';
import type { CreditJob } from '../src/modules/credit/credit.events.js';
import { recomputeCredit } from '../src/modules/credit/credit.service.js';

/**
 * Processor for the `credit` queue.
 * - `{ asOf, all: true }` (nightly schedule): the blacklist sweep (expire, list, propose), then every grade.
 * - `{ asOf, companyId, trigger, evaluate? }` (from events): that company's blacklist criteria, then its grade.
 * Both are idempotent: entries and events are keyed, and an unchanged grade records nothing.
 */
export default async function process(job: Job<CreditJob>, deps: Deps): Promise<unknown> {
  const d = job.data ?? ({} as CreditJob);
  if (typeof d.asOf !== 'string' || !isIsoDate(d.asOf)) throw new UnrecoverableError(`credit job ${job.id}: asOf must be YYYY-MM-DD`);
  if (d.all) {
    const blacklist = await evaluateBlacklist(deps, d.asOf);
    const grades = await recomputeCredit(deps.db, null, d.asOf, d.trigger ?? 'nightly');
    return { blacklist, computed: grades.computed, changed: grades.changed.length };
  }
  if (typeof d.companyId !== 'string' || !isUuid(d.companyId)) throw new UnrecoverableError(`credit job ${job.id}: companyId or all is required`);
  const blacklist = d.evaluate ? await evaluateBlacklist(deps, d.asOf, { companyIds: [d.companyId] }) : null;
  const grades = await recomputeCredit(deps.db, [d.companyId], d.asOf, d.trigger ?? 'event');
  return { blacklist, changed: grades.changed };
}
