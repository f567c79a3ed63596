/**
 * A separate process running only the `sms` queue's worker, so a test can kill it with SIGKILL in the
 * middle of a send (tests/integration/notify-sms.test.ts). Configured from the environment.
 */
import { duplicateRedis } from '../../src/lib/redis.js';
import { Worker } from 'bullmq';
import { loadConfig } from '../../src/config.js';
import { createDeps } from '../../src/runtime.js';
import sms from '../../workers/sms.js';

const config = loadConfig(process.env);
const deps = createDeps(config, { poolMax: 2, name: 'sms-child' });
const w = new Worker('sms', (job) => sms(job, deps), {
  connection: duplicateRedis(deps.redis),
  prefix: config.queuePrefix,
  lockDuration: config.sms.lockMs,
  stalledInterval: config.sms.lockMs,
});
w.on('error', () => {});
void w.waitUntilReady().then(() => process.stdout.write('ready\n'));
