import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createTestContext, TEST_DEK, type TestContext } from '../helpers/context.js';
import { createTestDatabase } from '../helpers/db.js';
import { startProxy } from '../helpers/tcp-proxy.js';

const run = promisify(execFile);
let ctx: TestContext;
let pgProxy: Awaited<ReturnType<typeof startProxy>>;
let redisProxy: Awaited<ReturnType<typeof startProxy>>;
let dbDrop: () => Promise<void>;

async function waitFor(fn: () => Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

beforeAll(async () => {
  pgProxy = await startProxy(5432);
  redisProxy = await startProxy(6379);
  const db = await createTestDatabase();
  dbDrop = db.drop;
  ctx = await createTestContext({
    DATABASE_URL: db.url.replace(':5432/', `:${pgProxy.port}/`),
    REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
  });
});
afterAll(async () => {
  await pgProxy.up().catch(() => {});
  await redisProxy.up().catch(() => {});
  await ctx.close();
  await dbDrop();
  await pgProxy.close();
  await redisProxy.close();
});

describe('readiness', () => {
  it('503 while Redis is down, recovers by itself', async () => {
    const ready = () => ctx.app.inject('/readyz');
    expect((await ready()).statusCode).toBe(200);
    await redisProxy.down();
    const down = await ready();
    expect(down.statusCode).toBe(503);
    expect(down.json().checks.redis).toBe('down');
    expect((await ctx.app.inject('/healthz')).statusCode).toBe(200);
    await redisProxy.up();
    expect(await waitFor(async () => (await ready()).statusCode === 200)).toBe(true);
  });
  it('503 while Postgres is down, recovers by itself', async () => {
    const ready = () => ctx.app.inject('/readyz');
    await pgProxy.down();
    const down = await ready();
    expect(down.statusCode).toBe(503);
    expect(down.json().checks.postgres).toBe('down');
    await pgProxy.up();
    expect(await waitFor(async () => (await ready()).statusCode === 200)).toBe(true);
  });
});

describe('start-up', () => {
  const env = { ...process.env, NODE_ENV: 'development', ADMIN_API_KEY: 'x'.repeat(32), DATA_ENCRYPTION_KEY: TEST_DEK, PORT: '0' };
  it('a bad DATABASE_URL fails with one clear line', async () => {
    const r = await run('npx', ['tsx', 'src/main.ts', 'api'], { env: { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nope' }, timeout: 30_000 }).catch((e) => e);
    expect(r.code).toBe(1);
    const lines = String(r.stderr).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^wageguard: cannot prepare the database from (MIGRATION_)?DATABASE_URL/);
  });
  it('a malformed setting names the variable', async () => {
    const r = await run('npx', ['tsx', 'src/main.ts', 'api'], { env: { ...env, PORT: 'eighty' }, timeout: 30_000 }).catch((e) => e);
    expect(r.code).toBe(1);
    expect(String(r.stderr).trim()).toMatch(/^wageguard: configuration error: PORT must be an integer/);
  });
  it('production requires the secrets', async () => {
    const r = await run('npx', ['tsx', 'src/main.ts', 'api'], { env: { ...env, NODE_ENV: 'production', ADMIN_API_KEY: '' }, timeout: 30_000 }).catch((e) => e);
    expect(r.code).toBe(1);
    expect(String(r.stderr)).toContain('ADMIN_API_KEY is required when NODE_ENV=production');
  });
});
