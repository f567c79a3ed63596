import type { Job } from 'bullmq';
import type { Deps } from '../src/deps.js';
import { sleep } from '../src/lib/sleep.js';
import { drainBankInbox, processBankInbox, type DrainResult } from '../src/modules/disbursement/bank-inbox.service.js';

/**
 * Processor for the `bank-inbox` queue. A job (id = bank + webhook id) is a wake-up after an
 * inbox row committed; it applies whatever is pending, oldest first, so under load one job
 * applies many events in one transaction and the jobs behind it find nothing left.
 */
export default async function processBankInboxJob(_job: Job, deps: Deps): Promise<Omit<DrainResult, 'outcomes'>> {
  // Wake-ups are coalesced (one job per few ms of traffic), so a job drains until nothing is left
  // (bounded, so one job never runs unboundedly; the next wake-up or the periodic drain continues).
  const total = { processed: 0, failed: 0, results: 0 };
  for (let pass = 0; pass < 200; pass++) {
    const { outcomes: _o, ...r } = await processBankInbox(deps, { limit: 50 });
    total.processed += r.processed;
    total.failed += r.failed;
    total.results += r.results;
    if (r.processed === 0) break;
  }
  return total;
}

/**
 * Safety net for wake-ups that never arrive (Redis lost the job, the API crashed between commit
 * and enqueue): every `everyMs` the worker drains all pending rows. Nothing accepted is lost,
 * only delayed by at most this interval. Stops when `signal` aborts.
 */
export async function runBankInboxDrain(deps: Deps, signal: AbortSignal, log: (e: unknown) => void, everyMs = 5_000): Promise<void> {
  while (!signal.aborted) {
    try {
      await drainBankInbox(deps, { limit: 100 });
    } catch (e) {
      log(e); // Postgres away: the rows stay pending
    }
    await sleep(everyMs, signal);
  }
}
