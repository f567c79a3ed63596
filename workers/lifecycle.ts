import { UnrecoverableError, type Job } from 'bullmq';
import type { Deps } from '../src/deps.js';
import { parseSweepJob } from '../src/modules/enforcement/enforcement.rules.js';
import { runNightlyLife } from '../src/modules/lifecycle/nightly.service.js';

/**
 * Processor for the `lifecycle` queue: `{ asOf }` once a night (life signals, retention and
 * erasure, the county monthly reports when due). Every step is idempotent per date.
 */
export default async function process(job: Job, deps: Deps): Promise<unknown> {
  const data = parseSweepJob(job.data);
  if (typeof data === 'string') throw new UnrecoverableError(`invalid lifecycle job ${job.id}: ${data}`);
  const r = await runNightlyLife(deps, data.asOf);
  return { asOf: r.asOf, erased: r.erased.length, kept: r.kept.length, signals: r.signals, countyReports: r.countyReports.length };
}
