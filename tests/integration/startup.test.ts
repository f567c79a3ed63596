import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { TEST_DEK } from '../helpers/context.js';
import { createTestDatabase } from '../helpers/db.js';

// The README's run command, for real: a child process that migrates, listens, prints its URLs,
// serves /docs and /readyz, and shuts down cleanly on SIGTERM.
let child: ChildProcess;
let out = '';
let drop: () => Promise<void>;
// Its own prefix: a prefix belongs to the database that claimed it first (src/jobs/prefix-claim.ts).
const PREFIX = `{wgt_startup_${randomBytes(4).toString('hex')}}`;

beforeAll(async () => {
  const db = await createTestDatabase();
  drop = db.drop;
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'all'], {
    env: { ...process.env, NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: db.url, ADMIN_API_KEY: 'k'.repeat(32), DATA_ENCRYPTION_KEY: TEST_DEK, LOG_LEVEL: 'warn', QUEUE_PREFIX: PREFIX },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const end = Date.now() + 60_000;
  while (!/API\s+http:\/\/[\d.]+:\d+\/v1/.test(out) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
}, 90_000);
afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await drop();
  const r = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const keys = await r.keys(`${PREFIX}:*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
});

describe('npm start', () => {
  it('prints its URLs; /docs and /readyz answer 200; SIGTERM stops it cleanly', async () => {
    const m = out.match(/API\s+(http:\/\/[\d.]+:\d+)\/v1/);
    expect(m, out).toBeTruthy();
    const base = m![1]!;
    expect(out).toMatch(/Docs\s+http/);
    expect((await fetch(`${base}/docs`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});
