import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumeReconciliation } from '../../workers/reconcile-resume.js';
import { startWorkers, type WorkerHandle } from '../../workers/main.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, fundWage, instructionsOf, sendWebhook, submitAndApprove } from '../helpers/disbursement.js';
import { seedProject } from '../helpers/seed.js';

// A job that BullMQ fails for good ("stalled more than allowable limit" after the worker process was killed
// twice during it) used to block its own re-derivation for a week: the resume loop re-adds the same job id,
// and BullMQ ignores an add whose id is in the failed set. The liveness loop records, counts, alerts and
// retries it; the work completes.
const ROOT = join(import.meta.dirname, '..', '..');
const FAST = { JOB_LOCK_MS: '1000', STALLED_INTERVAL_MS: '500' };

let ctx: TestContext;
let workers: WorkerHandle | null = null;
const children: ChildProcess[] = [];
beforeAll(async () => {
  ctx = await createTestContext({ ...FAST, LIVENESS_EVERY_MS: '200', LIVENESS_BACKOFF_MS: '0' });
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await workers?.stop(5_000);
  await ctx.close();
});

function spawnSlowWorker(): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/helpers/slow-reconcile-worker.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...FAST, DATABASE_URL: ctx.config.databaseUrl, REDIS_URL: ctx.config.redisUrl, QUEUE_PREFIX: ctx.config.queuePrefix, DATA_ENCRYPTION_KEY: ctx.config.dataEncryptionKey.toString('base64'), ADMIN_API_KEY: ctx.config.adminApiKey },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(c);
  return c;
}
const kill = async (c: ChildProcess) => {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const done = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await done;
};

async function until<T>(what: string, f: () => Promise<T | undefined | null | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('queue liveness', () => {
  it('a reconcile job killed with its worker more often than the stall limit is recorded, alerted, counted and retried; the batch reconciles', async () => {
    const s = await seedProject(ctx, { workers: 2 });
    await fundWage(ctx, s, 10_000_000);
    const { batchId } = await submitAndApprove(ctx, s);
    const results = (await instructionsOf(ctx, batchId)).map((i) => ({
      endToEndId: i.end_to_end_id, status: 'ACSC', amountFen: Number(i.amount_fen), valueDate: '2026-11-10',
      creditorCardNumber: s.workers.find((w) => w.id === i.worker_id)!.bankCardNumber,
    }));
    expect((await sendWebhook(ctx, s.bankCode, s.webhookSecret, { type: 'disbursement.result', data: { results } })).statusCode).toBe(200);
    // Redis lost the webhook's job (as in the chaos run's flush); the resume loop re-derives it.
    await ctx.deps.queues.reconcile.obliterate({ force: true });
    expect(await resumeReconciliation(ctx.deps, { settleSeconds: 0 })).toBe(1);
    const [job] = await ctx.deps.queues.reconcile.getJobs(['waiting']);
    const id = job!.id!;
    expect(id).toMatch(/^reconcile__.*__resume__\d+$/);

    // Kill the worker process during this same job until BullMQ gives up on it (stall limit 1: two kills).
    let kills = 0;
    for (;;) {
      const c = spawnSlowWorker();
      // "active" in Redis may be the killed run's leftover: wait for this process to say it took the job.
      let took = false;
      c.stdout!.on('data', (b: Buffer) => { if (b.toString().includes(`active ${id}`)) took = true; });
      const state = await until('the job to be taken or failed', async () => {
        if (took) return 'active';
        return (await ctx.deps.queues.reconcile.getJobState(id)) === 'failed' ? 'failed' : null;
      });
      await kill(c);
      if (state === 'failed') break;
      kills++;
      expect(kills).toBeLessThan(5);
    }
    expect(kills).toBeGreaterThan(1);
    const failed = await ctx.deps.queues.reconcile.getJob(id);
    expect(failed!.failedReason).toMatch(/stalled more than allowable limit/);

    // The bug: the resume loop's re-derivation of the same work is swallowed by the failed job id.
    expect(await resumeReconciliation(ctx.deps, { settleSeconds: 0 })).toBe(1);
    expect(await ctx.deps.queues.reconcile.getJobState(id)).toBe('failed');
    // (The killed runs may have committed their first chunk: what proves the loss is the job id stuck in
    // the failed set above, which swallowed the re-derivation.)

    // A normal worker process (relay, resume and liveness loops included) picks it up.
    workers = startWorkers(ctx.deps, { error: () => {}, info: () => {} }, { scheduler: false });
    const lines = await until('the batch to reconcile', async () => {
      const r = await all<{ status: string }>(ctx, sql`SELECT status FROM payroll_lines WHERE project_id = ${s.projectId} ORDER BY id`);
      return r.every((l) => l.status === 'paid') ? r : null;
    });
    expect(lines).toHaveLength(2);
    const dead = await until('the dead job to resolve', async () => {
      const r = await all<{ queue: string; job_id: string; failures: number; status: string; reason: string }>(ctx, sql`SELECT queue, job_id, failures, status, reason FROM dead_jobs`);
      return r[0]?.status === 'resolved' ? r : null;
    });
    expect(dead).toEqual([{ queue: 'reconcile', job_id: id, failures: 1, status: 'resolved', reason: expect.stringMatching(/stalled/) }]);

    // Counted in /metrics …
    const m = await ctx.app.inject({ method: 'GET', url: '/metrics', headers: ctx.admin });
    expect(m.body).toContain('wageguard_jobs_failed_for_good_total{queue="reconcile"} 1');
    expect(m.body).toContain('wageguard_jobs_failed_for_good_open{queue="reconcile"} 0');
    // … and raised to admins as an alert (no county: inspectors do not see it).
    const alert = await until('the admin alert', async () => {
      const r = await ctx.app.inject({ method: 'GET', url: '/v1/alerts?lang=en', headers: ctx.admin });
      return (r.json() as { items: { type: string; message: string }[] }).items.find((a) => a.type === 'job_failed_for_good');
    });
    expect(alert.message).toContain(`reconcile/${id}`);
    const insp = await ctx.app.inject({ method: 'GET', url: '/v1/alerts', headers: s.headers.inspector });
    expect((insp.json() as { items: { type: string }[] }).items.some((a) => a.type === 'job_failed_for_good')).toBe(false);
  }, 120_000);
});

describe('queue liveness: a job that keeps failing', () => {
  it('is retried with a doubling backoff, every failure counted, admins alerted on the 1st, 2nd, 4th … failure', async () => {
    const c2 = await createTestContext();
    const { Worker, UnrecoverableError } = await import('bullmq');
    const { duplicateRedis } = await import('../../src/lib/redis.js');
    const { livenessOnce } = await import('../../src/modules/liveness/liveness.service.js');
    let runs = 0;
    const w = new Worker('credit', async (job) => {
      if (job.id === 'credit__bad') throw new UnrecoverableError('credit job: asOf must be YYYY-MM-DD');
      runs++;
      throw new Error('Postgres said no');
    }, { connection: duplicateRedis(c2.deps.redis), prefix: c2.config.queuePrefix });
    try {
      const failedOnce = () => new Promise<void>((res) => w.once('failed', () => res()));
      let f = failedOnce();
      await c2.deps.queues.credit.add('company', { asOf: '2026-11-01', companyId: 'x' }, { jobId: 'credit__x', attempts: 1 });
      await f;
      const row = async () => (await all<{ failures: number; status: string; gap: number }>(c2, sql`
        SELECT failures, status, extract(epoch FROM retry_at - updated_at)::int AS gap FROM dead_jobs WHERE job_id = 'credit__x'`))[0]!;
      const pass = (baseMs: number) => livenessOnce(c2.deps, { baseMs, maxMs: 3_600_000 });
      expect(await pass(1_000)).toMatchObject({ recorded: 1, retried: 0 }); // backoff not over yet
      expect(await row()).toEqual({ failures: 1, status: 'failed', gap: 1 });
      for (let i = 2; i <= 3; i++) {
        await c2.deps.db.execute(sql`UPDATE dead_jobs SET retry_at = now() - interval '1 second'`);
        f = failedOnce();
        expect(await pass(1_000)).toMatchObject({ retried: 1 });
        await f;
        expect(await pass(1_000)).toMatchObject({ recorded: 1 });
        expect(await row()).toEqual({ failures: i, status: 'failed', gap: 2 ** (i - 1) });
      }
      expect(runs).toBe(3);
      expect(await pass(1_000)).toEqual({ recorded: 0, retried: 0, resolved: 0 }); // nothing new: idempotent
      const events = await all<{ n: number }>(c2, sql`SELECT (payload->>'failures')::int AS n FROM outbox WHERE type = 'platform.job_failed_for_good' ORDER BY 1`);
      expect(events.map((e) => e.n)).toEqual([1, 2]); // the 3rd failure is counted, not alerted
      const m = await c2.app.inject({ method: 'GET', url: '/metrics', headers: c2.admin });
      expect(m.body).toContain('wageguard_jobs_failed_for_good_total{queue="credit"} 3');
      expect(m.body).toContain('wageguard_jobs_failed_for_good_open{queue="credit"} 1');

      // A job its processor declared unrecoverable (UnrecoverableError before its attempts ran out) is parked:
      // counted and alerted once, never retried automatically.
      f = failedOnce();
      await c2.deps.queues.credit.add('company', { asOf: 'soon' }, { jobId: 'credit__bad' });
      await f;
      expect(await pass(0)).toMatchObject({ recorded: 1, retried: 0 });
      expect(await pass(0)).toMatchObject({ recorded: 0, retried: 0 });
      const parked = await all<{ status: string; retry_at: string }>(c2, sql`SELECT status, retry_at::text FROM dead_jobs WHERE job_id = 'credit__bad'`);
      expect(parked).toEqual([{ status: 'parked', retry_at: 'infinity' }]);
      // … and it leaves BullMQ's failed set, so the same id can be derived again once the cause is fixed.
      expect(await c2.deps.queues.credit.getJobState('credit__bad')).toBe('unknown');
    } finally {
      await w.close();
      await c2.close();
    }
  }, 60_000);
});
