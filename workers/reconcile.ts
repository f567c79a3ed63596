import { UnrecoverableError, type Job } from 'bullmq';
import type { Deps } from '../src/deps.js';

/** Processor for the `reconcile` queue (being built). */
export default async function process(job: Job, _deps: Deps): Promise<unknown> {
  throw new UnrecoverableError(`reconcile processor not built yet (job ${job.id})`);
}
