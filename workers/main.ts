import { Worker } from 'bullmq';
import type { Deps } from '../src/deps.js';
import { QUEUE_NAMES } from '../src/jobs/queues.js';
import { runBankInboxDrain } from './bank-inbox.js';
import { runLiveness } from '../src/modules/liveness/liveness.service.js';
import { runPartitionMaintenance } from '../src/modules/partitions/partitions.service.js';
import { runReconcileResume } from './reconcile-resume.js';
import { buildRegistry } from './registry.js';
import { runRelay } from './relay.js';
import { startScheduler } from './scheduler.js';
import { duplicateRedis } from '../src/lib/redis.js';

export interface WorkerHandle {
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * One BullMQ Worker per queue, the outbox relay loop and the scheduler. Shutdown order:
 * scheduler → relay → workers finish their active jobs (bounded by a hard timeout).
 * The caller then closes queues and the pool.
 */
export function startWorkers(deps: Deps, log: { error(o: unknown, m?: string): void; info(m: string): void }, opts: { scheduler?: boolean; concurrency?: number } = {}): WorkerHandle {
  const registry = buildRegistry();
  const workers = QUEUE_NAMES.map((q) => {
    const w = new Worker(q, (job) => registry.get(q)!(job, deps), {
      connection: duplicateRedis(deps.redis),
      prefix: deps.config.queuePrefix,
      concurrency: opts.concurrency ?? (q === 'events' || q === 'alert-delivery' ? 8 : 2),
      lockDuration: deps.config.jobLockMs,
      stalledInterval: deps.config.stalledIntervalMs,
      // SMS: a job whose process died is taken over after the message's send lease (SMS_LOCK_MS).
      ...(q === 'sms' ? { lockDuration: deps.config.sms.lockMs, stalledInterval: deps.config.sms.lockMs } : {}),
    });
    w.on('error', (e) => log.error({ err: e, queue: q }, 'worker error'));
    w.on('failed', (job, e) => log.error({ err: e, queue: q, jobId: job?.id }, 'job failed'));
    return w;
  });
  const abort = new AbortController();
  const relay = runRelay(deps, abort.signal, (e) => log.error({ err: e }, 'outbox relay error'));
  const inboxDrain = runBankInboxDrain(deps, abort.signal, (e) => log.error({ err: e }, 'bank inbox drain error'));
  const reconResume = runReconcileResume(deps, abort.signal, (e) => log.error({ err: e }, 'reconcile resume error'));
  const liveness = runLiveness(deps, abort.signal, (e) => log.error({ err: e }, 'liveness error'), {
    everyMs: deps.config.livenessEveryMs, baseMs: deps.config.livenessBackoffMs,
  });
  const partitions = runPartitionMaintenance(deps, abort.signal, (e) => log.error({ err: e }, 'partition maintenance error'));
  const sched = opts.scheduler === false ? null : startScheduler(deps, (e) => log.error({ err: e }, 'scheduler error'));
  log.info(`workers started: ${QUEUE_NAMES.join(', ')}`);
  return {
    async stop(timeoutMs = 25_000) {
      sched?.stop();
      abort.abort();
      const graceful = Promise.all([relay, inboxDrain, reconResume, liveness, partitions, ...workers.map((w) => w.close())]);
      const hard = new Promise((r) => setTimeout(r, timeoutMs));
      await Promise.race([graceful, hard]);
      await Promise.all(workers.map((w) => w.close(true).catch(() => {})));
    },
  };
}
