import { sql } from 'drizzle-orm';
import type { Deps } from '../src/deps.js';
import { jobId } from '../src/jobs/queues.js';
import { sleep } from '../src/lib/sleep.js';

/**
 * Redis holds only re-derivable work. A `reconcile` job is added after the bank's facts commit; if Redis
 * loses it (flush, failover) before a worker runs it, the batch's lines would stay `pending`. This loop
 * re-derives the work from Postgres: any batch with bank records received after its last completed
 * reconciliation (and older than a short settling delay, so the normal job usually wins) is enqueued again.
 * The job id carries the newest record time, so re-adds collapse and a new fact makes a new job.
 */
export async function resumeReconciliation(deps: Pick<Deps, 'db' | 'queues'>, opts: { settleSeconds?: number; limit?: number } = {}): Promise<number> {
  const r = (await deps.db.execute(sql`
    SELECT i.batch_id, (extract(epoch FROM max(r.received_at)) * 1000)::bigint AS newest
    FROM bank_records r
    JOIN instructions i ON i.end_to_end_id = r.end_to_end_id
    JOIN batches b ON b.id = i.batch_id
    WHERE r.received_at > now() - interval '7 days'
      AND r.received_at < now() - make_interval(secs => ${opts.settleSeconds ?? 15})
      AND r.received_at > COALESCE(b.recon_done_at, '-infinity'::timestamptz)
    GROUP BY i.batch_id
    LIMIT ${opts.limit ?? 500}`)) as unknown as { rows: { batch_id: string; newest: string }[] };
  if (r.rows.length === 0) return 0;
  await deps.queues.reconcile.addBulk(
    r.rows.map((x) => ({ name: 'reconcile', data: { batchId: x.batch_id }, opts: { jobId: jobId('reconcile', x.batch_id, 'resume', x.newest) } })),
  );
  return r.rows.length;
}

/** Record a completed batch reconciliation that started at `startedAt` (DB clock). */
export async function markBatchReconciled(deps: Pick<Deps, 'db'>, batchId: string, startedAt: string): Promise<void> {
  // 5 s margin: a record whose transaction began just before this run but committed after its snapshot
  // carries an earlier received_at; the margin makes the resume loop look at it once more (a no-op re-run).
  await deps.db.execute(sql`
    UPDATE batches SET recon_done_at = GREATEST(COALESCE(recon_done_at, '-infinity'::timestamptz), ${startedAt}::timestamptz - interval '5 seconds')
    WHERE id = ${batchId}`);
}

export async function runReconcileResume(deps: Pick<Deps, 'db' | 'queues'>, signal: AbortSignal, log: (e: unknown) => void, everyMs = 10_000): Promise<void> {
  while (!signal.aborted) {
    await resumeReconciliation(deps).catch(log);
    await sleep(everyMs, signal);
  }
}
