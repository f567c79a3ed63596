/**
 * Starts one WageGuard process (`api` or `worker`) for the scratch platforms of chaos and soak.
 * It mirrors src/main.ts without the migrations and the banner (the scratch database is cloned from
 * the migrated template), so a restart after SIGKILL is quick.
 */
import pino from 'pino';
import { buildApp, REDACT_PATHS } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { claimQueuePrefix } from '../../src/jobs/prefix-claim.js';
import { createDeps } from '../../src/runtime.js';
import { startWorkers, type WorkerHandle } from '../../workers/main.js';

const mode = process.argv[2] === 'worker' ? 'worker' : 'api';
const config = loadConfig();
const log = pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
const deps = createDeps(config, { name: `wageguard-${mode}` });
await claimQueuePrefix(deps);
let workers: WorkerHandle | null = null;
const app = mode === 'api' ? await buildApp(deps, { logger: { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } } }) : null;
const stop = async () => {
  await app?.close();
  await workers?.stop();
  await deps.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
if (mode === 'worker') workers = startWorkers(deps, log);
if (app) await app.listen({ host: config.host, port: config.port });
process.stderr.write(`ready ${mode}\n`);
