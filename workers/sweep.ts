import { UnrecoverableError, type Job } from 'bullmq';
import type { Deps } from '../src/deps.js';

/** Processor for the `sweep` queue (being built). */
export default async function process(job: Job, _deps: Deps): Promise<unknown> {
  throw new UnrecoverableError(`sweep processor not built yet (job ${job.id})`);
}
