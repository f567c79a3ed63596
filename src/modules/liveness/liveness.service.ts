import type { Job, JobsOptions, Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import type { Deps } from '../../deps.js';
import { EVENTS } from '../../jobs/event-types.js';
import { idFromKey } from '../../lib/ids.js';
import { sleep } from '../../lib/sleep.js';
import { emit } from '../alerts/outbox.service.js';
import { rederivableQueues, retryDelayMs, type BackoffPolicy } from './liveness.rules.js';

type LivenessDeps = Pick<Deps, 'db' | 'queues'>;
export interface LivenessOptions extends Partial<BackoffPolicy> {
  /** How many failed jobs per queue one pass looks at. */
  scan?: number;
}
export interface LivenessPass {
  recorded: number;
  retried: number;
  resolved: number;
}

const queueOf = (deps: LivenessDeps, name: string): Queue | undefined => (deps.queues as unknown as Record<string, Queue | undefined>)[name];

/**
 * One pass of the liveness loop over every registered queue:
 *  1. copy each job of the failed set into `dead_jobs` (idempotent per failure: queue, id, finishedOn);
 *     a new failure emits `platform.job_failed_for_good` in the same transaction (→ admin alert);
 *  2. retry the jobs whose backoff is over: remove the failed job and add it again with the same id and
 *     data (from Postgres, so a job Redis lost in the meantime comes back too). Removing it also frees the
 *     id for the next derivation by the resume loops;
 *  3. mark retried jobs that completed as resolved; a retried job that vanished (Redis flush) is re-added.
 * Processors are idempotent, so a retry that races a fresh derivation of the same work is harmless.
 */
export async function livenessOnce(deps: LivenessDeps, opts: LivenessOptions = {}): Promise<LivenessPass> {
  const policy: BackoffPolicy = { baseMs: opts.baseMs ?? 60_000, maxMs: opts.maxMs ?? 3_600_000 };
  const out: LivenessPass = { recorded: 0, retried: 0, resolved: 0 };
  for (const name of rederivableQueues()) {
    const q = queueOf(deps, name);
    if (!q) continue;
    for (const job of await q.getFailed(0, (opts.scan ?? 200) - 1)) {
      if (!job) continue;
      const r = await record(deps, name, job, policy);
      if (r.recorded) out.recorded++;
      // A parked job is recorded in Postgres; out of the failed set, it no longer swallows a re-derivation
      // of the same id (which, if the cause is fixed, may now succeed).
      if (r.parked) await job.remove().catch(() => {});
    }
  }
  const due = (await deps.db.execute(sql`
    SELECT queue, job_id, name, data, opts, status FROM dead_jobs
    WHERE status <> 'resolved' AND queue = ANY(${`{${rederivableQueues().join(',')}}`}::text[])
      AND (status = 'retrying' OR (status = 'failed' AND retry_at <= now()))
    ORDER BY retry_at LIMIT 500`)) as unknown as { rows: { queue: string; job_id: string; name: string; data: unknown; opts: JobsOptions; status: string }[] };
  for (const d of due.rows) {
    const q = queueOf(deps, d.queue);
    if (!q) continue;
    const job = await q.getJob(d.job_id);
    const state = job ? await job.getState() : 'missing';
    if (d.status === 'retrying') {
      if (state === 'completed') {
        await deps.db.execute(sql`UPDATE dead_jobs SET status = 'resolved', resolved_at = now(), updated_at = now() WHERE queue = ${d.queue} AND job_id = ${d.job_id} AND status = 'retrying'`);
        out.resolved++;
      } else if (state === 'missing' || state === 'unknown') {
        await q.add(d.name, d.data, { ...d.opts, jobId: d.job_id });
      }
      continue; // waiting / active / delayed: in progress; failed: step 1 recorded it (status is 'failed' now)
    }
    if (state === 'failed' || state === 'completed') await job!.remove().catch(() => {});
    else if (state !== 'missing' && state !== 'unknown') continue; // someone re-derived it already
    await q.add(d.name, d.data, { ...d.opts, jobId: d.job_id });
    await deps.db.execute(sql`UPDATE dead_jobs SET status = 'retrying', retried_at = now(), updated_at = now() WHERE queue = ${d.queue} AND job_id = ${d.job_id} AND status = 'failed'`);
    out.retried++;
  }
  return out;
}

const STALLED = /stalled more than allowable limit/;
/** What a retry keeps of the original job's options (the queue's defaults fill the rest). */
const retryOpts = (job: Job): JobsOptions => ({
  ...(job.opts.attempts !== undefined ? { attempts: job.opts.attempts } : {}),
  ...(job.opts.backoff !== undefined ? { backoff: job.opts.backoff } : {}),
});

async function record(deps: LivenessDeps, queue: string, job: Job, policy: BackoffPolicy): Promise<{ recorded: boolean; parked: boolean }> {
  const failedOn = String(job.finishedOn ?? job.processedOn ?? job.timestamp);
  const reason = (job.failedReason ?? 'unknown').slice(0, 2000);
  // Stalled (its worker died) or out of attempts: worth retrying. Failed before its attempts ran out
  // without stalling = the processor threw UnrecoverableError (malformed job, missing batch): the same data
  // cannot succeed, so it is parked — counted and alerted, not retried.
  const retriable = STALLED.test(reason) || job.attemptsMade >= (job.opts.attempts ?? 1);
  const status = retriable ? 'failed' : 'parked';
  return deps.db.transaction(async (tx) => {
    const r = (await tx.execute(sql`
      INSERT INTO dead_jobs AS d (queue, job_id, name, data, opts, reason, failed_on, failures, status, retry_at)
      VALUES (${queue}, ${job.id!}, ${job.name}, ${JSON.stringify(job.data ?? {})}::jsonb, ${JSON.stringify(retryOpts(job))}::jsonb, ${reason}, ${failedOn}, 1, ${status},
        CASE WHEN ${retriable} THEN now() + make_interval(secs => ${retryDelayMs(1, policy) / 1000}) ELSE 'infinity'::timestamptz END)
      ON CONFLICT (queue, job_id) DO UPDATE SET
        failures = d.failures + 1, name = excluded.name, data = excluded.data, opts = excluded.opts, reason = excluded.reason,
        failed_on = excluded.failed_on, status = excluded.status, updated_at = now(), resolved_at = NULL,
        retry_at = CASE WHEN ${retriable}
          THEN now() + make_interval(secs => least(${policy.maxMs / 1000}, ${policy.baseMs / 1000} * power(2, least(d.failures, 30))))
          ELSE 'infinity'::timestamptz END
      WHERE d.failed_on IS DISTINCT FROM excluded.failed_on
      RETURNING failures, retry_at::text AS retry_at`)) as unknown as { rows: { failures: number; retry_at: string }[] };
    const row = r.rows[0];
    if (!row) return { recorded: false, parked: !retriable };
    // Alert on the 1st, 2nd, 4th, 8th … failure: a job that keeps failing (hourly retries once the backoff is
    // capped) stays visible without flooding the admins; /metrics counts every failure.
    if (!isPowerOfTwo(row.failures)) return { recorded: true, parked: !retriable };
    await emit(tx, {
      id: idFromKey(`dead-job:${queue}:${job.id}:${failedOn}`),
      type: EVENTS.jobFailedForGood,
      payload: { queue, jobId: job.id, name: job.name, reason: reason.slice(0, 200), failures: row.failures, retryAt: retriable ? row.retry_at : 'never (unrecoverable: fix the cause, then re-add the job)' },
    });
    return { recorded: true, parked: !retriable };
  });
}

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** Poll loop for the worker process; stops when `signal` aborts. */
export async function runLiveness(deps: LivenessDeps, signal: AbortSignal, log: (e: unknown) => void, opts: LivenessOptions & { everyMs?: number } = {}): Promise<void> {
  while (!signal.aborted) {
    await livenessOnce(deps, opts).catch(log);
    await sleep(opts.everyMs ?? 10_000, signal);
  }
}

/** Counts for /metrics, read from Postgres so every API replica reports the same figures. */
export async function deadJobCounts(deps: Pick<Deps, 'db'>): Promise<{ queue: string; failures: number; open: number }[]> {
  const r = (await deps.db.execute(sql`
    SELECT queue, sum(failures)::int AS failures, (count(*) FILTER (WHERE status <> 'resolved'))::int AS open
    FROM dead_jobs GROUP BY queue`)) as unknown as { rows: { queue: string; failures: number; open: number }[] };
  return r.rows;
}
