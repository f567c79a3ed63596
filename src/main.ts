import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { buildApp, REDACT_PATHS } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { prepareDatabase } from './db/migrate.js';
import { backfillPhoneIndexes } from './modules/roster/cards.backfill.js';
import { claimQueuePrefix, PrefixClaimError } from './jobs/prefix-claim.js';
import { createDeps } from './runtime.js';
import { startWorkers, type WorkerHandle } from '../workers/main.js';

type Mode = 'all' | 'api' | 'worker';
const mode = (process.argv[2] ?? 'all') as Mode;

function fail(line: string): never {
  process.stderr.write(`wageguard: ${line}\n`);
  process.exit(1);
}

async function start() {
  if (!['all', 'api', 'worker'].includes(mode)) fail(`unknown mode "${mode}" (all | api | worker)`);
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) fail(`configuration error: ${e.message}`);
    throw e;
  }
  const log = pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
  try {
    await prepareDatabase(config, (line) => process.stdout.write(`wageguard: ${line}\n`));
  } catch (e) {
    const err = e as Error & { code?: string; source?: string };
    fail(`cannot prepare the database from ${err.source ?? 'DATABASE_URL'} (${err.code ?? ''} ${err.message.split('\n')[0]})`);
  }
  const deps = createDeps(config, { name: `wageguard-${mode}` });
  try {
    await claimQueuePrefix(deps);
  } catch (e) {
    await deps.close().catch(() => {});
    if (e instanceof PrefixClaimError) fail(e.message);
    fail(`cannot claim the queue prefix in Redis (REDIS_URL): ${(e as Error).message.split('\n')[0]}`);
  }
  // Card custody (migration 0029): phone blind indexes need the key; a no-op once filled.
  await backfillPhoneIndexes(deps.db, deps.pii).catch((e: unknown) => log.error({ err: e }, 'phone index backfill failed (retried on next start)'));
  let workers: WorkerHandle | null = null;
  const app = mode === 'worker' ? null : await buildApp(deps, { loggerInstance: log });

  closeWithGrace({ delay: 30_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after error');
    else log.info(`received ${signal}, shutting down`);
    await app?.close(); // stop accepting requests, finish in-flight ones
    await workers?.stop();
    await deps.close();
  });

  if (mode !== 'api') workers = startWorkers(deps, log);
  if (app) {
    await app.listen({ host: config.host, port: config.port });
    const addr = app.server.address();
    const port = addr && typeof addr === 'object' ? addr.port : config.port; // PORT=0 picks a free port
    const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
    process.stdout.write(
      `\nWageGuard (${mode}) is running\n  API       ${base}/v1\n  Docs      ${base}/docs\n  OpenAPI   ${base}/v1/openapi.json\n  Health    ${base}/readyz\n  Console   ${base}/console\n`,
    );
    if (config.generatedAdminKey) {
      process.stdout.write(`  Admin key ${config.adminApiKey}  (generated once, kept in .data/admin-api-key)\n`);
    } else if (config.nodeEnv !== 'production') {
      process.stdout.write(`  Admin key in .data/admin-api-key (or ADMIN_API_KEY)\n`);
    }
  }
}

start().catch((e) => fail((e as Error).message.split('\n')[0] ?? 'start-up failed'));
