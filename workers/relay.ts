import { sql } from 'drizzle-orm';
import type { Deps } from '../src/deps.js';
import type { RelayedEvent } from '../src/jobs/event-handlers.js';
import { RELAY_HOOKS, type RelayHook } from '../src/jobs/relay-hooks.js';

// Only one relay at a time hands events over, so their order on the queue is the outbox order and
// relay hooks are the single writer of what they derive (alerts get commit-ordered seqs).
const RELAY_LOCK = 7_262_840_003;

/**
 * The outbox is month-partitioned on created_at (migration 0081): bounding an update by the batch's oldest
 * event lets Postgres skip the months before it. Milliseconds are floored (a Date), so the bound never
 * excludes a row of the batch.
 */
const since = (events: { createdAt: string }[]) => events.reduce((m, e) => (e.createdAt < m ? e.createdAt : m), events[0]!.createdAt);

type Row = { seq: string; id: string; type: string; project_id: string | null; company_id: string | null; county_code: string | null; payload: Record<string, unknown>; created_at: Date; hooked_at: Date | null };

/**
 * National scale (docs/scaling.md): N relays, each owning the projects whose hash falls in its range
 * (`hash(project_id) mod count = index`; events without a project belong to shard 0). Per project the
 * outbox order is kept (one relay owns a project, and takes its events in seq order); across projects
 * there is no global order. Not used in production yet: the alerts hook relies on one relay for the
 * commit order of `alerts.seq`, which a sharded relay would replace by per-shard feeds.
 */
export interface RelayShard { index: number; count: number }
export const shardPredicate = (s: RelayShard) =>
  sql`(CASE WHEN project_id IS NULL THEN 0 ELSE (hashtext(project_id::text)::bigint & 2147483647) % ${s.count} END) = ${s.index}`;

/**
 * Move one batch of unrelayed outbox events onto the `events` queue, in three steps:
 *  1. one transaction runs the relay hooks (e.g. alerts) for events not yet hooked and marks them hooked;
 *  2. after that commit, the events go to BullMQ with job id = event id — so a consumer never sees an
 *     event whose hook output is not yet visible;
 *  3. the events are marked relayed. A crash between 2 and 3 re-adds the same ids next time and
 *     BullMQ keeps one job each; a crash between 1 and 2 re-sends without re-running the hooks.
 * Mutual exclusion is a session advisory lock held across the three steps (released if the process dies).
 * Returns how many events were relayed (0 when idle or another relay holds the lock).
 */
export async function relayOnce(
  deps: Pick<Deps, 'db' | 'queues' | 'pool'>,
  opts: { batch?: number; hooks?: RelayHook[]; crashAfterEnqueue?: boolean; shard?: RelayShard } = {},
): Promise<number> {
  const lockClient = await deps.pool.connect();
  let locked = false;
  const lock = opts.shard ? RELAY_LOCK + 1 + opts.shard.index : RELAY_LOCK;
  try {
    locked = (await lockClient.query('SELECT pg_try_advisory_lock($1) AS ok', [lock])).rows[0]?.ok === true;
    if (!locked) return 0;
    const events = await deps.db.transaction(async (tx) => {
      const r = (await tx.execute(sql`
        SELECT seq, id, type, project_id, company_id, county_code, payload, created_at, hooked_at
        FROM outbox WHERE relayed_at IS NULL ${opts.shard ? sql`AND ${shardPredicate(opts.shard)}` : sql``}
        ORDER BY seq LIMIT ${opts.batch ?? 500}`)) as unknown as { rows: Row[] };
      const all: (RelayedEvent & { hooked: boolean })[] = r.rows.map((x) => ({
        seq: Number(x.seq), id: x.id, type: x.type, projectId: x.project_id, companyId: x.company_id,
        countyCode: x.county_code, payload: x.payload, createdAt: new Date(x.created_at).toISOString(), hooked: x.hooked_at !== null,
      }));
      const fresh = all.filter((e) => !e.hooked).map(({ hooked: _h, ...e }) => e);
      if (fresh.length > 0) {
        for (const hook of opts.hooks ?? RELAY_HOOKS) await hook(tx, fresh);
        await tx.execute(sql`UPDATE outbox SET hooked_at = now() WHERE seq = ANY(${`{${fresh.map((e) => e.seq).join(',')}}`}::bigint[]) AND created_at >= ${since(fresh)}`);
      }
      return all.map(({ hooked: _h, ...e }) => e);
    });
    if (events.length === 0) return 0;
    await deps.queues.events.addBulk(events.map((e) => ({ name: e.type, data: e, opts: { jobId: e.id } })));
    if (opts.crashAfterEnqueue) throw new Error('simulated crash after enqueue');
    await deps.db.execute(sql`UPDATE outbox SET relayed_at = now() WHERE seq = ANY(${`{${events.map((e) => e.seq).join(',')}}`}::bigint[]) AND created_at >= ${since(events)}`);
    return events.length;
  } finally {
    if (locked) await lockClient.query('SELECT pg_advisory_unlock($1)', [lock]).catch(() => {});
    lockClient.release();
  }
}

/** Poll loop for the worker process; stops when `signal` aborts. */
export async function runRelay(deps: Pick<Deps, 'db' | 'queues' | 'pool'>, signal: AbortSignal, log: (e: unknown) => void, idleMs = 50): Promise<void> {
  while (!signal.aborted) {
    let n = 0;
    try {
      n = await relayOnce(deps);
    } catch (e) {
      log(e); // Postgres or Redis away: keep trying, nothing is lost (events stay unrelayed)
      await new Promise((r) => setTimeout(r, 1_000));
    }
    // An idle poll is one index probe on a partial index; 50 ms keeps alert latency low.
    if (n === 0) await new Promise((r) => setTimeout(r, idleMs));
  }
}
