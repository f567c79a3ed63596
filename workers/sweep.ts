import { UnrecoverableError, type Job } from 'bullmq';
import type { Deps } from '../src/deps.js';
import { parseSweepJob } from '../src/modules/enforcement/enforcement.rules.js';
import { runFullSweep } from '../src/modules/enforcement/full-sweep.service.js';
import { writeCheckpoint } from '../src/modules/audit/audit.service.js';

/**
 * Processor for the `sweep` queue: `{ asOf }` (the scheduler enqueues one per day with a date job
 * id). The sweep is idempotent per date, so a retry after a crash converges on the same state.
 */
export default async function process(job: Job, deps: Deps): Promise<unknown> {
  const data = parseSweepJob(job.data);
  if (typeof data === 'string') throw new UnrecoverableError(`invalid sweep job ${job.id}: ${data}`);
  if (job.name === 'audit-checkpoint') return writeCheckpoint(deps.db, data.asOf);
  const r = await runFullSweep(deps, data.asOf);
  return { asOf: r.asOf, counts: r.counts, signals: r.signals, credit: r.credit };
}
