import type pg from 'pg';

/**
 * Group commit for the webhook inbox. Every accepted webhook must be durably stored before its 2xx;
 * one autocommitted INSERT per request costs a round trip, a statement and a WAL flush each, which
 * is most of the database's work per webhook. Concurrent requests instead queue their row here and
 * one multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` stores all of them in one commit; each
 * request is answered once that commit is done, duplicate or new decided from RETURNING.
 *
 * No timers: when a flush slot is free the queue is written at the end of the current event-loop
 * turn (setImmediate, so requests parsed in the same turn share it); while flushes are in flight,
 * arrivals wait for the next free slot, which is where batches form under load.
 */
export interface InboxRow { bankId: string; webhookId: string; type: string; bodyHash: string; body: string | Buffer }

interface Pending { row: InboxRow; key: string; resolve(fresh: boolean): void; reject(e: unknown): void }

export interface InboxWriterOptions {
  /** Rows per INSERT (one prepared statement per distinct count, per connection). */
  maxRows: number;
  /** Body bytes per INSERT: bounds one statement's memory and lock time (~13 events of 1000 results). */
  maxBytes: number;
  /** Concurrent flushes: one can be committing (WAL flush) while the next is sent. */
  maxInFlight: number;
}

const DEFAULTS: InboxWriterOptions = { maxRows: 100, maxBytes: 2 * 1024 * 1024, maxInFlight: 2 };
const keyOf = (r: InboxRow) => `${r.bankId}\n${r.webhookId}`;
const sizeOf = (r: InboxRow) => (typeof r.body === 'string' ? r.body.length : r.body.byteLength);

/**
 * The statement for n rows. received_at is clock_timestamp() per row (in queue = arrival order),
 * not the statement's now(), so the processor still applies one bank's events in arrival order.
 * A Buffer body goes over the wire as-is (binary text parameter; Postgres still checks UTF-8).
 */
function insertSql(n: number): string {
  const values: string[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * 5;
    values.push(`($${o + 1}::uuid, $${o + 2}, $${o + 3}, $${o + 4}, $${o + 5}::text, clock_timestamp())`);
  }
  // The inbox is month-partitioned (migration 0068), so (bank, webhook-id) is deduped in the unpartitioned
  // key table; only rows whose key is new store a body. Same statement, same commit: a replay waits on the
  // first one's key row and then finds it, exactly as it did on the inbox's own primary key.
  return `WITH v (bank_id, webhook_id, type, body_hash, body, received_at) AS (VALUES ${values.join(', ')}),
    k AS (INSERT INTO webhook_inbox_keys (bank_id, webhook_id, received_at) SELECT bank_id, webhook_id, received_at FROM v
      ON CONFLICT DO NOTHING RETURNING bank_id, webhook_id)
    INSERT INTO webhook_inbox (bank_id, webhook_id, type, body_hash, body, received_at)
    SELECT v.bank_id, v.webhook_id, v.type, v.body_hash, v.body, v.received_at FROM v JOIN k USING (bank_id, webhook_id)
    RETURNING bank_id, webhook_id`;
}

/** Stores `rows` (distinct keys) in one statement; returns the keys that were new. */
export async function insertInboxRows(pool: Pick<pg.Pool, 'query'>, rows: InboxRow[]): Promise<Set<string>> {
  const values: unknown[] = [];
  for (const r of rows) values.push(r.bankId, r.webhookId, r.type, r.bodyHash, r.body);
  const res = await pool.query<{ bank_id: string; webhook_id: string }>({ name: `webhook_inbox_insert_${rows.length}`, text: insertSql(rows.length), values });
  return new Set(res.rows.map((x) => `${x.bank_id}\n${x.webhook_id}`));
}

export class InboxWriter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  /** Keys inside a running flush: a replay waits for it, so two flushes never wait on each other's row locks. */
  private readonly flying = new Set<string>();
  private readonly opts: InboxWriterOptions;
  /** Statements and rows written (rows / flushes = how much group commit is happening). */
  readonly stats = { flushes: 0, rows: 0 };

  constructor(private readonly pool: Pick<pg.Pool, 'query'>, opts: Partial<InboxWriterOptions> = {}) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  /** Resolves true when stored now, false when this bank + webhook-id was already stored; only after commit. */
  write(row: InboxRow): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ row, key: keyOf(row), resolve, reject });
      this.schedule();
    });
  }

  private schedule() {
    if (this.scheduled || this.inFlight >= this.opts.maxInFlight || !this.queue.length) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump() {
    while (this.inFlight < this.opts.maxInFlight) {
      const batch = this.take();
      if (!batch.length) break;
      this.inFlight++;
      for (const p of batch) this.flying.add(p.key);
      void this.flush(batch).finally(() => {
        for (const p of batch) this.flying.delete(p.key);
        this.inFlight--;
        this.schedule();
      });
    }
  }

  /** Oldest first, up to the row and byte caps; rows whose key is in flight stay queued. */
  private take(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const keys = new Set<string>();
    let bytes = 0;
    for (const p of this.queue) {
      const fits = keys.has(p.key) || (keys.size < this.opts.maxRows && (bytes === 0 || bytes + sizeOf(p.row) <= this.opts.maxBytes));
      if (this.flying.has(p.key) || !fits) {
        rest.push(p);
        continue;
      }
      if (!keys.has(p.key)) bytes += sizeOf(p.row);
      keys.add(p.key);
      batch.push(p);
    }
    this.queue = rest;
    return batch;
  }

  /**
   * The first request per key in the batch carries its row; later ones with the same key are
   * replays (duplicate once the first is stored). If the shared statement fails, each key is
   * retried alone so one bad row fails only its own requests.
   */
  private async flush(batch: Pending[]) {
    const byKey = new Map<string, Pending[]>();
    for (const p of batch) {
      const list = byKey.get(p.key);
      if (list) list.push(p);
      else byKey.set(p.key, [p]);
    }
    const settle = (list: Pending[], fresh: boolean) => list.forEach((p, i) => p.resolve(fresh && i === 0));
    this.stats.flushes++;
    this.stats.rows += byKey.size;
    try {
      const fresh = await insertInboxRows(this.pool, [...byKey.values()].map((l) => l[0]!.row));
      for (const [key, list] of byKey) settle(list, fresh.has(key));
    } catch (e) {
      if (byKey.size === 1) return batch.forEach((p) => p.reject(e));
      await Promise.all([...byKey].map(async ([key, list]) => {
        try {
          settle(list, (await insertInboxRows(this.pool, [list[0]!.row])).has(key));
        } catch (err) {
          list.forEach((p) => p.reject(err));
        }
      }));
    }
  }
}

const writers = new WeakMap<object, InboxWriter>();

/** One writer per pool: all requests of a process share its batches. */
export function inboxWriterFor(pool: Pick<pg.Pool, 'query'>): InboxWriter {
  let w = writers.get(pool);
  if (!w) writers.set(pool, (w = new InboxWriter(pool)));
  return w;
}
