import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { emit } from '../../src/modules/alerts/outbox.service.js';
import { relayOnce, type RelayShard } from '../../workers/relay.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

// The outbox relay at national scale (docs/scaling.md): N relays in one process, each owning a hash range
// of projects, racing each other while events keep arriving, crashing between "handed to BullMQ" and
// "marked relayed". Every event reaches the queue exactly once, every hook runs once per event, and each
// project's events are queued in outbox order.
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const SHARDS = 4;
const PROJECTS = Array.from({ length: 24 }, () => newId());
let rnd = 42;
const r = () => ((rnd = (rnd * 1103515245 + 12345) % 2147483648) / 2147483648);

// Writers take turns: outbox order is seq order only among transactions that do not overlap (two
// overlapping transactions of one project commit in either order; docs/scaling.md, "outbox relay").
let writer: Promise<void> = Promise.resolve();
function emitSome(n: number): Promise<void> {
  const mine = writer.then(() => emitTx(n));
  writer = mine.catch(() => {});
  return mine;
}
async function emitTx(n: number): Promise<void> {
  await ctx.deps.db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const p = r() < 0.05 ? null : PROJECTS[Math.floor(r() * PROJECTS.length)]!;
      await emit(tx, { type: 'test.sharded', projectId: p, payload: { k: i } });
    }
  });
}

describe('sharded outbox relay (simulation)', () => {
  it('N relays owning project hash ranges: exactly once, in order per project, across crashes and concurrent arrivals', async () => {
    await emitSome(300);
    const hooked = new Map<string, number>();
    const hooks = [async (_tx: unknown, evs: { id: string }[]) => { for (const e of evs) hooked.set(e.id, (hooked.get(e.id) ?? 0) + 1); }];
    const pending = async () => ((await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM outbox WHERE relayed_at IS NULL`)) as unknown as { rows: { n: number }[] }).rows[0]!.n;
    let arrivals = 0;
    let crashes = 0;
    const relay = async (shard: RelayShard) => {
      for (let idle = 0; idle < 3;) {
        const crash = r() < 0.25;
        try {
          const n = await relayOnce(ctx.deps, { batch: 25, hooks, shard, crashAfterEnqueue: crash });
          idle = n === 0 ? idle + 1 : 0;
        } catch {
          crashes++;
        }
        if (arrivals < 10 && r() < 0.3) { arrivals++; await emitSome(20); }
        if (idle > 0 && (await pending()) > 0) idle = 0;
      }
    };
    await Promise.all(Array.from({ length: SHARDS }, (_, index) => relay({ index, count: SHARDS })));
    expect(crashes).toBeGreaterThan(0);
    expect(arrivals).toBeGreaterThan(0);
    expect(await pending()).toBe(0);

    const events = ((await ctx.deps.db.execute(sql`SELECT id, seq::int AS seq, project_id FROM outbox ORDER BY seq`)) as unknown as { rows: { id: string; seq: number; project_id: string | null }[] }).rows;
    // The shard ranges partition the outbox: every event belongs to exactly one relay.
    const { shardPredicate } = await import('../../workers/relay.js');
    let covered = 0;
    for (let index = 0; index < SHARDS; index++) {
      covered += ((await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM outbox WHERE ${shardPredicate({ index, count: SHARDS })}`)) as unknown as { rows: { n: number }[] }).rows[0]!.n;
    }
    expect(covered).toBe(events.length);

    const jobs = await ctx.deps.queues.events.getJobs(['waiting'], 0, -1, true);
    expect(jobs.map((j) => j.id).sort()).toEqual(events.map((e) => e.id).sort()); // exactly once on the queue
    expect([...hooked.values()].every((n) => n === 1) && hooked.size === events.length).toBe(true); // hooks once
    const seqOf = new Map(events.map((e) => [e.id, e.seq]));
    const perProject = new Map<string, number[]>();
    for (const j of jobs) {
      const p = (j.data as { projectId: string | null }).projectId ?? 'none';
      perProject.set(p, [...(perProject.get(p) ?? []), seqOf.get(j.id!)!]);
    }
    expect(perProject.size).toBeGreaterThan(SHARDS);
    for (const [p, seqs] of perProject) expect(seqs, p).toEqual([...seqs].sort((a, b) => a - b));
  }, 120_000);
});
