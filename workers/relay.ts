import { sql } from 'drizzle-orm';
import type { Deps } from '../src/deps.js';
import type { RelayedEvent } from '../src/jobs/event-handlers.js';
import { RELAY_HOOKS, type RelayHook } from '../src/jobs/relay-hooks.js';

// Only one relay at a time hands events over, so their order on the queue is the outbox order.
const RELAY_LOCK = 7_262_840_003;

/**
 * Move one batch of unrelayed outbox events onto the `events` queue. The job id is the event id, so
 * a crash after adding but before marking re-adds the same ids and BullMQ keeps one job each.
 * Returns how many events were relayed (0 when idle or another relay holds the lock).
 */
export async function relayOnce(deps: Pick<Deps, 'db' | 'queues'>, opts: { batch?: number; hooks?: RelayHook[]; crashAfterEnqueue?: boolean } = {}): Promise<number> {
  return deps.db.transaction(async (tx) => {
    const lock = (await tx.execute(sql`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}) AS ok`)) as unknown as { rows: { ok: boolean }[] };
    if (!lock.rows[0]?.ok) return 0;
    const r = (await tx.execute(sql`
      SELECT seq, id, type, project_id, company_id, county_code, payload, created_at
      FROM outbox WHERE relayed_at IS NULL ORDER BY seq LIMIT ${opts.batch ?? 500}`)) as unknown as {
      rows: { seq: string; id: string; type: string; project_id: string | null; company_id: string | null; county_code: string | null; payload: Record<string, unknown>; created_at: Date }[];
    };
    if (r.rows.length === 0) return 0;
    const events: RelayedEvent[] = r.rows.map((x) => ({
      seq: Number(x.seq), id: x.id, type: x.type, projectId: x.project_id, companyId: x.company_id,
      countyCode: x.county_code, payload: x.payload, createdAt: new Date(x.created_at).toISOString(),
    }));
    for (const hook of opts.hooks ?? RELAY_HOOKS) await hook(tx, events);
    await deps.queues.events.addBulk(events.map((e) => ({ name: e.type, data: e, opts: { jobId: e.id } })));
    if (opts.crashAfterEnqueue) throw new Error('simulated crash after enqueue');
    await tx.execute(sql`UPDATE outbox SET relayed_at = now() WHERE seq = ANY(${`{${events.map((e) => e.seq).join(',')}}`}::bigint[])`);
    return events.length;
  });
}

/** Poll loop for the worker process; stops when `signal` aborts. */
export async function runRelay(deps: Pick<Deps, 'db' | 'queues'>, signal: AbortSignal, log: (e: unknown) => void, idleMs = 200): Promise<void> {
  while (!signal.aborted) {
    let n = 0;
    try {
      n = await relayOnce(deps);
    } catch (e) {
      log(e); // Postgres or Redis away: keep trying, nothing is lost (events stay unrelayed)
      await new Promise((r) => setTimeout(r, 1_000));
    }
    if (n === 0) await new Promise((r) => setTimeout(r, idleMs));
  }
}
