import type { Deps } from '../src/deps.js';
import { jobId } from '../src/jobs/queues.js';
import { sleep } from '../src/lib/sleep.js';
import { unreconciledBatches } from '../src/modules/reconciliation/reconciliation.catchup.js';

/**
 * Redis holds only re-derivable work. A `reconcile` job is added after the bank's facts commit; if Redis
 * loses it (flush, failover) before a worker runs it, the batch's lines would stay `pending`. This loop
 * re-derives the work from Postgres: any batch with bank records received after its last completed
 * reconciliation (and older than a short settling delay, so the normal job usually wins) is enqueued again.
 * The job id carries the newest record time, so re-adds collapse and a new fact makes a new job.
 */
export async function resumeReconciliation(deps: Pick<Deps, 'db' | 'queues'>, opts: { settleSeconds?: number; limit?: number } = {}): Promise<number> {
  const todo = await unreconciledBatches(deps.db, { settleSeconds: opts.settleSeconds ?? 15, limit: opts.limit ?? 500 });
  if (todo.length === 0) return 0;
  await deps.queues.reconcile.addBulk(
    todo.map((x) => ({ name: 'reconcile', data: { batchId: x.batchId }, opts: { jobId: jobId('reconcile', x.batchId, 'resume', x.newest) } })),
  );
  return todo.length;
}

export async function runReconcileResume(deps: Pick<Deps, 'db' | 'queues'>, signal: AbortSignal, log: (e: unknown) => void, everyMs = 10_000): Promise<void> {
  while (!signal.aborted) {
    await resumeReconciliation(deps).catch(log);
    await sleep(everyMs, signal);
  }
}
