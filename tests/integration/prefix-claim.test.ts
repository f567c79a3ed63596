import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimQueuePrefix, ownerKey, PrefixClaimError } from '../../src/jobs/prefix-claim.js';
import { createTestContext, TEST_DEK, type TestContext } from '../helpers/context.js';

// Two platforms (two databases) on one Redis with the same queue prefix took each other's jobs. The
// prefix now belongs to the first database that claims it; the second platform refuses to start.
let a: TestContext;
let b: TestContext;
beforeAll(async () => {
  a = await createTestContext();
  b = await createTestContext({ QUEUE_PREFIX: a.config.queuePrefix });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

function startPlatform(databaseUrl: string, prefix: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'all'], {
      env: { ...process.env, NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: databaseUrl, ADMIN_API_KEY: 'k'.repeat(32), DATA_ENCRYPTION_KEY: TEST_DEK, LOG_LEVEL: 'warn', QUEUE_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout!.on('data', (d) => (out += String(d)));
    c.stderr!.on('data', (d) => (out += String(d)));
    // Started (banner printed): it holds the prefix; stop it.
    const t = setInterval(() => {
      if (!/API\s+http/.test(out)) return;
      clearInterval(t);
      c.kill('SIGTERM');
    }, 100);
    c.once('exit', (code) => { clearInterval(t); resolve({ code, out }); });
  });
}

describe('queue prefix claim', () => {
  it('the first database claims the prefix; a platform on another database refuses to start with one clear line; the owner restarts fine', async () => {
    await claimQueuePrefix(a.deps);
    await claimQueuePrefix(a.deps); // idempotent for its own database
    const held = JSON.parse((await a.deps.redis.get(ownerKey(a.config.queuePrefix)))!) as { label: string };
    expect(held.label).toContain(a.dbName);

    await expect(claimQueuePrefix(b.deps)).rejects.toBeInstanceOf(PrefixClaimError);
    const refused = await startPlatform(b.config.databaseUrl, a.config.queuePrefix);
    expect(refused.code).toBe(1);
    // Start-up may first say what it did to the database (roles, migrations: one line each); the refusal is one line, the last.
    const lines = refused.out.trim().split('\n').filter((l) => !/ExperimentalWarning|--trace-warnings/.test(l));
    expect(lines.filter((l) => /QUEUE_PREFIX/.test(l))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(new RegExp(`^wageguard: QUEUE_PREFIX .* belongs to another database \\(database "${a.dbName}".*not database "${b.dbName}"`));
    expect(refused.out).not.toMatch(/API\s+http/);

    // The owner's own platform starts on the same prefix (and stops cleanly).
    const owner = await startPlatform(a.config.databaseUrl, a.config.queuePrefix);
    expect(owner.out).toMatch(/API\s+http/);
    expect(owner.code, owner.out).toBe(0);

    // Another prefix on the same Redis is free for the second database.
    const free = await startPlatform(b.config.databaseUrl, `${a.config.queuePrefix.slice(0, -1)}_b}`);
    expect(free.out).toMatch(/API\s+http/);
    await a.deps.redis.del(ownerKey(`${a.config.queuePrefix.slice(0, -1)}_b}`));
  }, 120_000);
});
