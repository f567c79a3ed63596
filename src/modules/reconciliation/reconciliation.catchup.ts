import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { reconcileBatch, reconcileBatches } from './reconciliation.service.js';

type Rows<T> = { rows: T[] };

/**
 * Batches with bank records received after their last completed reconciliation: work a `reconcile`
 * job was (or should have been) queued for and that has not finished. `settleSeconds` leaves the
 * newest records to the normal job (the resume loop); `limit` bounds one pass. Records older than
 * 7 days are left alone (the received_at index keeps the probe cheap).
 */
export async function unreconciledBatches(db: DbOrTx, opts: { settleSeconds?: number; limit?: number } = {}): Promise<{ batchId: string; newest: string }[]> {
  const r = (await db.execute(sql`
    SELECT i.batch_id, (extract(epoch FROM max(r.received_at)) * 1000)::bigint AS newest
    FROM bank_records r
    JOIN instructions i ON i.end_to_end_id = r.end_to_end_id
    JOIN batches b ON b.id = i.batch_id AND b.project_id = i.project_id
    WHERE r.received_at > now() - interval '7 days'
      AND r.received_at <= now() - make_interval(secs => ${opts.settleSeconds ?? 0})
      AND r.received_at > COALESCE(b.recon_done_at, '-infinity'::timestamptz)
    GROUP BY i.batch_id
    ORDER BY min(r.received_at), i.batch_id
    LIMIT ${opts.limit ?? 500}`)) as unknown as Rows<{ batch_id: string; newest: string }>;
  return r.rows.map((x) => ({ batchId: x.batch_id, newest: String(x.newest) }));
}

/** Record a completed batch reconciliation that started at `startedAt` (DB clock). */
export async function markBatchReconciled(db: DbOrTx, batchId: string, startedAt: string): Promise<void> {
  // 5 s margin: a record whose transaction began just before this run but committed after its snapshot
  // carries an earlier received_at; the margin makes the resume loop look at it once more (a no-op re-run).
  await db.execute(sql`
    UPDATE batches SET recon_done_at = GREATEST(COALESCE(recon_done_at, '-infinity'::timestamptz), ${startedAt}::timestamptz - interval '5 seconds')
    WHERE id = ${batchId}`);
}

/** A batch's reconciliation exactly as the `reconcile` job runs it, then marked done. */
export async function reconcileBatchAndMark(db: DbOrTx, batchId: string, asOf: string, opts: Parameters<typeof reconcileBatch>[3] = {}) {
  const t0 = ((await db.execute(sql`SELECT now()::text AS t`)) as unknown as Rows<{ t: string }>).rows[0]!.t;
  const out = await reconcileBatch(db, batchId, asOf, opts);
  await markBatchReconciled(db, batchId, t0);
  return out;
}

/**
 * Reconcile now every batch whose bank results arrived but were not reconciled yet (the job is late:
 * a worker restart, a lost Redis job, a queue backlog). The enforcement sweep runs this first: it
 * derives arrears from line statuses, and a line whose re-pay or clearing payment the bank has already
 * settled must not be judged on its stale status (a case opened for money already paid). `asOf` is
 * the one the job would have used. Returns the batches reconciled.
 */
export async function catchUpReconciliation(db: DbOrTx, asOf: string, opts: { max?: number } = {}): Promise<string[]> {
  const done = new Set<string>();
  const max = opts.max ?? 5_000;
  // A batch reconciled here within 5 s of its newest record stays listed (the margin above): each is
  // taken once per call. Records still arriving meanwhile are the next job's (or the next sweep's).
  for (;;) {
    const todo = (await unreconciledBatches(db, { limit: 500 + done.size })).filter((b) => !done.has(b.batchId)).map((b) => b.batchId);
    if (!todo.length || done.size >= max) return [...done];
    // One pass over the project-months they pay (a sheet's batch and its re-pays share one).
    const t0 = ((await db.execute(sql`SELECT now()::text AS t`)) as unknown as Rows<{ t: string }>).rows[0]!.t;
    await reconcileBatches(db, todo, asOf);
    for (const b of todo) {
      await markBatchReconciled(db, b, t0);
      done.add(b);
    }
  }
}
