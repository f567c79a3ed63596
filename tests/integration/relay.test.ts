import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { emit } from '../../src/modules/alerts/outbox.service.js';
import { relayOnce } from '../../workers/relay.js';
import { buildRegistry, PROCESSORS } from '../../workers/registry.js';
import { enqueueScheduled, SCHEDULES } from '../../workers/scheduler.js';
import { idFromKey } from '../../src/lib/ids.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const unrelayed = async () =>
  ((await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM outbox WHERE relayed_at IS NULL`)) as unknown as { rows: { n: number }[] }).rows[0]!.n;

describe('outbox relay', () => {
  it('delivers each event exactly once, in order, across a crash and restart', async () => {
    await ctx.deps.db.transaction(async (tx) => {
      for (let i = 0; i < 30; i++) await emit(tx, { type: 'test.event', payload: { i } });
    });
    // Hooks (alerts in production) must run exactly once per event, even across the crash.
    const hooked: number[] = [];
    const hooks = [async (_tx: unknown, evs: { payload: Record<string, unknown> }[]) => void hooked.push(...evs.map((e) => e.payload.i as number))];
    // First relay crashes after handing the batch to BullMQ but before marking it relayed.
    await expect(relayOnce(ctx.deps, { batch: 20, hooks, crashAfterEnqueue: true })).rejects.toThrow('simulated crash');
    expect(await unrelayed()).toBe(30);
    // A fresh relay re-sends the same ids; BullMQ keeps one job per event id.
    let total = 0;
    for (let n = -1; n !== 0; ) total += n = await relayOnce(ctx.deps, { batch: 7, hooks });
    expect(hooked.sort((a, b) => a - b)).toEqual([...Array(30).keys()]);
    expect(total).toBe(30);
    expect(await unrelayed()).toBe(0);
    const jobs = await ctx.deps.queues.events.getJobs(['waiting', 'active', 'completed', 'delayed', 'prioritized'], 0, 1000, true);
    const ids = jobs.map((j) => j.id);
    expect(new Set(ids).size).toBe(30);
    expect(jobs.map((j) => (j.data as { payload: { i: number } }).payload.i)).toEqual([...Array(30).keys()]);
    // Nothing left: another pass relays nothing.
    expect(await relayOnce(ctx.deps, { hooks: [] })).toBe(0);
  });

  it('ignores a duplicate event id written twice by a re-run action', async () => {
    const id = idFromKey('rerun:1');
    await ctx.deps.db.transaction((tx) => emit(tx, { id, type: 'test.rerun' }));
    await ctx.deps.db.transaction((tx) => emit(tx, { id, type: 'test.rerun' }));
    const n = (await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM outbox WHERE id = ${id}`)) as unknown as { rows: { n: number }[] };
    expect(n.rows[0]!.n).toBe(1);
  });
});

describe('workers registry and scheduler', () => {
  it('fails on a missing or duplicate processor', () => {
    expect(() => buildRegistry(PROCESSORS.slice(1))).toThrow(/no processor for queue/);
    expect(() => buildRegistry([...PROCESSORS, PROCESSORS[0]!])).toThrow(/duplicate processor/);
    expect(buildRegistry().size).toBe(PROCESSORS.length);
  });
  it('enqueues one job per schedule and day however many processes tick', async () => {
    const s = SCHEDULES.find((x) => x.name === 'daily-sweep')!;
    const now = new Date('2026-11-29T17:20:00Z'); // 01:20 in China on the 30th
    await Promise.all([1, 2, 3].map(() => enqueueScheduled(ctx.deps, s, now)));
    const jobs = await ctx.deps.queues.sweep.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
    expect(jobs.length).toBe(1);
    expect(jobs[0]!.data).toEqual({ asOf: '2026-11-30' });
  });
});
