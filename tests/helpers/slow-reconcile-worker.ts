/**
 * A worker process for liveness tests: runs the real `reconcile` processor, but holds each job after its
 * first chunk for a long time so the test can SIGKILL the process while the job is active. Lock and stall
 * check are short (from the environment) so a killed job is noticed within about a second.
 * Env: DATABASE_URL, REDIS_URL, QUEUE_PREFIX, JOB_LOCK_MS, STALLED_INTERVAL_MS.
 */
import { Worker } from 'bullmq';
import { loadConfig } from '../../src/config.js';
import { createDeps } from '../../src/runtime.js';
import { createReconcileProcessor } from '../../workers/reconcile.js';
import { duplicateRedis } from '../../src/lib/redis.js';

const config = loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const deps = createDeps(config, { poolMax: 3, name: 'slow-reconcile-worker' });
const hold = createReconcileProcessor({ afterChunk: () => new Promise((r) => setTimeout(r, 120_000)) });
const w = new Worker('reconcile', (job) => hold(job, deps), {
  connection: duplicateRedis(deps.redis),
  prefix: config.queuePrefix,
  lockDuration: config.jobLockMs,
  stalledInterval: config.stalledIntervalMs,
});
w.on('error', () => {});
w.on('active', (job) => process.stdout.write(`active ${job.id}\n`));
process.stdout.write('ready\n');
