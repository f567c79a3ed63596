import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

// Runs in the "cluster" vitest project only (REDIS_URL=redis+cluster://…): proves the other cluster-project
// files really talk to a 3-master cluster, and that a queue's keys all live in its prefix's one slot.
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('Redis Cluster', () => {
  it('the platform uses an ioredis Cluster of three masters; every key of a queue is in the hash tag\'s slot', async () => {
    expect(ctx.config.redisCluster).toHaveLength(3);
    const r = ctx.deps.redis as Cluster;
    expect(r).toBeInstanceOf(Cluster);
    expect(r.nodes('master')).toHaveLength(3);
    const job = await ctx.deps.queues.reconcile.add('reconcile', { batchId: '00000000-0000-7000-8000-000000000000' }, { jobId: 'probe' });
    expect(job.id).toBe('probe');
    const tag = /\{([^}]+)\}/.exec(ctx.config.queuePrefix)![1]!;
    const slot = Number(await r.cluster('KEYSLOT', tag));
    const keys: string[] = [];
    for (const node of r.nodes('master')) {
      const found = (await node.keys(`${ctx.config.queuePrefix}:*`)) as string[];
      keys.push(...found);
      if (found.length) expect(found.length).toBe(keys.length); // all on one node
    }
    expect(keys.length).toBeGreaterThan(2);
    for (const k of keys) expect(Number(await r.cluster('KEYSLOT', k))).toBe(slot);
    expect(await ctx.deps.queues.reconcile.getJobState('probe')).toBe('waiting');
    const ready = await ctx.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toMatchObject({ checks: { redis: 'ok' } });
  });
});
