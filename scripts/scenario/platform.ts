/**
 * A scratch WageGuard: its own database (cloned from the migrated test template), its own BullMQ
 * prefix, an API process and a separate worker process (`src/main.ts api|worker`), each of which
 * can be killed and restarted. Used by chaos, the chaos CI test and the soak benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createTestDatabase, ensureTemplate, PG_BASE } from '../../tests/helpers/db.js';

export interface Platform {
  baseUrl: string;
  adminKey: string;
  databaseUrl: string;
  queuePrefix: string;
  api: () => ChildProcess;
  worker: () => ChildProcess;
  startWorker(): Promise<void>;
  killWorker(signal?: NodeJS.Signals): Promise<void>;
  startApi(): Promise<void>;
  /**
   * A Postgres outage for this platform only: its database refuses connections and its sessions are
   * terminated for `ms`, as in a restart of the cluster (57P01, then ECONNREFUSED-like refusals), without
   * disturbing anyone else on the shared cluster.
   */
  cutDatabase(ms: number): Promise<void>;
  /** Delete only this platform's queue keys (never FLUSHALL: other people use this Redis). */
  flushQueues(): Promise<number>;
  stop(): Promise<void>;
  /** Processes that died on their own (not killed by us) and were restarted, as a supervisor would. */
  crashes: { api: number; worker: number };
}

const ROOT = join(import.meta.dirname, '..', '..');

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
    s.on('error', rej);
  });
}

/**
 * `keepDatabase` (or env WG_KEEP_SCRATCH_DB=1): stop() leaves the scratch database in place and logs its URL,
 * so a run that went wrong can be inspected afterwards (drop it by hand: DROP DATABASE "<name>").
 */
export async function startPlatform(o: { name?: string; env?: Record<string, string>; log?: (m: string) => void; keepDatabase?: boolean } = {}): Promise<Platform> {
  const keep = o.keepDatabase ?? process.env.WG_KEEP_SCRATCH_DB === '1';
  await ensureTemplate();
  const db = await createTestDatabase(o.name ?? 'wg_scn');
  const port = await freePort();
  const adminKey = `wg_scn_admin_${randomBytes(12).toString('hex')}`;
  const queuePrefix = `{wgscn_${randomBytes(4).toString('hex')}}`;
  const env = {
    ...process.env, NODE_ENV: 'test', DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', PORT: String(port), HOST: '127.0.0.1',
    ADMIN_API_KEY: adminKey, DATA_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'), QUEUE_PREFIX: queuePrefix, LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '10000000', ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
    // A killed job is retried after lock + stall check; a job failed for good after a short backoff
    // (production: 30 s and 60 s doubling), so a run with many kills quiesces within its patience.
    JOB_LOCK_MS: '10000', STALLED_INTERVAL_MS: '5000', LIVENESS_EVERY_MS: '1000', LIVENESS_BACKOFF_MS: '2000', ...o.env,
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  let api: ChildProcess | null = null;
  let worker: ChildProcess | null = null;
  const spawnMode = (mode: 'api' | 'worker') => {
    const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'scenario', 'serve.ts'), mode], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr!.on('data', (b: Buffer) => {
      const line = b.toString().trim();
      if (line && o.log && !/ExperimentalWarning|^ready /.test(line)) o.log(`[${mode}] ${line.slice(0, 300)}`);
    });
    return c;
  };
  const waitReady = async () => {
    for (let i = 0; i < 300; i++) {
      try {
        const r = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (r.ok) return;
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('API did not come up');
  };
  let stopping = false;
  let killing = false;
  const supervise = (mode: 'api' | 'worker', c: ChildProcess) => {
    c.once('exit', (code, signal) => {
      if (stopping || (mode === 'worker' && killing)) return;
      p.crashes[mode]++;
      o.log?.(`[supervisor] ${mode} exited by itself (code ${code}, signal ${signal}); restarting`);
      setTimeout(() => { if (!stopping) void (mode === 'api' ? p.startApi() : p.startWorker()).catch((e) => o.log?.(`[supervisor] restart failed: ${e}`)); }, 500);
    });
  };
  const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: false });

  const p: Platform = {
    baseUrl, adminKey, databaseUrl: db.url, queuePrefix,
    api: () => api!, worker: () => worker!,
    crashes: { api: 0, worker: 0 },
    async startApi() { api = spawnMode('api'); supervise('api', api); await waitReady(); },
    async startWorker() {
      const w = spawnMode('worker');
      worker = w;
      supervise('worker', w);
      // The worker has no port: wait for its "ready worker" line (loops started). A fixed 1.5 s was shorter
      // than a start-up on a loaded box, so a fast chaos schedule killed every worker before it took a job
      // and the run stalled on reconciliation timeouts.
      await new Promise<void>((res) => {
        const t = setTimeout(res, 30_000);
        const on = (b: Buffer) => { if (/ready worker/.test(b.toString())) { clearTimeout(t); w.stderr!.off('data', on); res(); } };
        w.stderr!.on('data', on);
        w.once('exit', () => { clearTimeout(t); res(); });
      });
    },
    async killWorker(signal = 'SIGKILL') {
      const w = worker;
      if (!w || w.exitCode !== null) return;
      const done = new Promise((r) => w.once('exit', r));
      killing = true;
      w.kill(signal);
      await done;
      killing = false;
    },
    async cutDatabase(ms) {
      const c = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
      await c.connect();
      try {
        await c.query(`ALTER DATABASE "${db.name}" WITH ALLOW_CONNECTIONS false`);
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db.name]);
        await new Promise((r) => setTimeout(r, ms));
      } finally {
        await c.query(`ALTER DATABASE "${db.name}" WITH ALLOW_CONNECTIONS true`).catch(() => {});
        await c.end();
      }
    },
    async flushQueues() {
      let n = 0;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) n += await redis.del(...keys);
      } while (cursor !== '0');
      return n;
    },
    async stop() {
      stopping = true;
      for (const c of [api, worker]) if (c && c.exitCode === null) { const d = new Promise((r) => c.once('exit', r)); c.kill('SIGTERM'); await Promise.race([d, new Promise((r) => setTimeout(r, 5000))]); if (c.exitCode === null) c.kill('SIGKILL'); }
      await p.flushQueues().catch(() => 0);
      redis.disconnect();
      if (keep) { o.log?.(`[platform] kept the scratch database: ${db.ownerUrl}`); return; }
      // a killed process's connections take a moment to go away
      for (let i = 0; i < 10; i++) {
        if (await db.drop().then(() => true, () => false)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    },
  };
  await p.startApi();
  await p.startWorker();
  return p;
}
