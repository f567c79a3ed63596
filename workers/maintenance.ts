import { UnrecoverableError, type Job } from 'bullmq';
import type { Deps } from '../src/deps.js';
import { purgeIdempotencyKeys } from '../src/modules/maintenance/idempotency-purge.service.js';
import { rotateDataKeys } from '../src/modules/maintenance/key-rotation.service.js';

/**
 * Processor for the `maintenance` queue, by job name: `idempotency-purge` (records past IDEMPOTENCY_TTL_HOURS)
 * and `key-rotation` (re-encrypt ciphertexts written under an earlier data key; a no-op scan when none is
 * configured as previous, so it costs nothing outside a rotation).
 */
export default async function process(job: Job, deps: Deps): Promise<unknown> {
  switch (job.name) {
    case 'idempotency-purge':
      return { deleted: await purgeIdempotencyKeys(deps.db, deps.config.idempotencyTtlHours, deps.now()) };
    case 'key-rotation':
      if (deps.config.previousDataKeys.size === 0) return { skipped: 'no previous data key configured' };
      return rotateDataKeys(deps);
    default:
      throw new UnrecoverableError(`unknown maintenance job ${job.name}`);
  }
}
