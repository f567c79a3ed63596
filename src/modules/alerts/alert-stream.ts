import type { ServerResponse } from 'node:http';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import type { Principal } from '../auth/auth.types.js';
import { ALERTS_CHANNEL } from './alert-relay.hook.js';
import type { AlertSettings } from './alert-settings.js';
import { ALERT_COLUMNS, alertVisible, filterMatches, listAlerts, maxAlertSeq, toView, type AlertFilter, type AlertRow } from './alerts.service.js';

/** One connected SSE client. */
export interface StreamClient {
  principal: Principal;
  filter: AlertFilter;
  sinceMs?: number;
  lang: 'zh' | 'en';
  res: ServerResponse;
  /** Highest seq written (or skipped by filter) for this client. */
  cursor: number;
  /** While replaying from the table, live batches wait here (then only seq > cursor is sent). */
  pending: AlertRow[] | null;
  closed: boolean;
  /** A contractor's GC projects, read at connect (alertVisible). */
  gcProjects?: ReadonlySet<string>;
}

const FETCH_LIMIT = 2000;
/** How often connected streams re-read their keys (a revocation closes its streams within this). */
const KEY_RECHECK_MS = 2_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Clients that would receive byte-identical streams share a group. */
const groupKey = (c: StreamClient): string =>
  JSON.stringify([c.principal.id, c.principal.role, c.principal.countyCodes, c.principal.industries, c.filter, c.sinceMs ?? null, c.lang]);

/** The alert as streamed: the feed's view without the per-language duplicates (message is in `lang`). */
function streamView(r: AlertRow, lang: 'zh' | 'en') {
  const { messageZh: _z, messageEn: _e, ...rest } = toView(r, lang);
  return rest;
}

export function formatEvent(row: AlertRow, json: string): string {
  return `id: ${row.seq}\nevent: alert\ndata: ${json}\n\n`;
}

/**
 * Fan-out of new alerts to the SSE clients of THIS API process. One Postgres LISTEN connection per
 * process hears the relay's NOTIFY (sent on commit); the hub then reads the new rows once
 * (`seq > lastSeq`) and writes each client what its scope and filters allow. Several API processes
 * each run their own hub, so fan-out works across processes without sticky sessions. A slow poll
 * covers notifications lost while the LISTEN connection was down; seq order makes the read gap-free.
 */
export class AlertHub {
  private clients = new Set<StreamClient>();
  private groups = new Map<string, Set<StreamClient>>();
  private lastSeq = 0;
  private starting: Promise<void> | null = null;
  private listener: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private fetching = false;
  private again = false;
  private closed = false;

  constructor(private readonly db: Db, private readonly databaseUrl: string, private readonly settings: () => Promise<AlertSettings>, private readonly log: (e: unknown) => void = () => {}) {}

  get size(): number {
    return this.clients.size;
  }

  /** Started lazily on the first stream, so apps that never stream hold no extra connection. */
  ensureStarted(): Promise<void> {
    this.starting ??= (async () => {
      this.lastSeq = await maxAlertSeq(this.db);
      await this.listen();
      const s = await this.settings();
      this.coalesceMs = s.streamCoalesceMs;
      this.timer = setInterval(() => this.kick(), s.streamPollMs);
      this.timer.unref();
      this.keyTimer = setInterval(() => void this.recheckKeys().catch((e) => this.log(e)), KEY_RECHECK_MS);
      this.keyTimer.unref();
    })();
    return this.starting;
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const c = new pg.Client({ connectionString: this.databaseUrl, application_name: 'wageguard-alert-stream' });
    c.on('notification', () => this.kick());
    c.on('error', (e) => {
      this.log(e);
      if (this.listener === c) this.listener = null;
      c.end().catch(() => {});
      // Reconnect; the poll and the catch-up read below cover whatever was notified meanwhile.
      if (!this.closed) setTimeout(() => void this.listen().then(() => this.kick()).catch((err) => this.log(err)), 1_000).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${ALERTS_CHANNEL}`);
    if (this.closed) {
      await c.end().catch(() => {});
      return;
    }
    this.listener = c;
  }

  private kickTimer: NodeJS.Timeout | null = null;
  private keyTimer: NodeJS.Timeout | null = null;
  private coalesceMs = 20;

  /**
   * Streams follow their key as it is now, not as it was at connect: every KEY_RECHECK_MS the keys of
   * the connected clients are read again. A revoked (or deleted) key's streams are closed; a key whose
   * scope changed has its clients' principal replaced, so the next batch is filtered by the new scope.
   * The bootstrap admin key is configuration, not a row: it is not rechecked here.
   */
  async recheckKeys(): Promise<void> {
    const ids = [...new Set([...this.clients].map((c) => c.principal.id).filter((id) => UUID.test(id)))];
    if (ids.length === 0) return;
    const r = (await this.db.execute(sql`
      SELECT id::text AS id, role, company_id, bank_id, county_codes, industries, label FROM api_keys
      WHERE id = ANY(${`{${ids.join(',')}}`}::uuid[]) AND revoked_at IS NULL`)) as unknown as {
      rows: { id: string; role: Principal['role']; company_id: string | null; bank_id: string | null; county_codes: string[]; industries: string[]; label: string }[];
    };
    const live = new Map(r.rows.map((k) => [k.id, k]));
    for (const c of [...this.clients]) {
      if (!UUID.test(c.principal.id)) continue;
      const k = live.get(c.principal.id);
      if (!k) {
        this.drop(c);
        continue;
      }
      const now: Principal = { ...c.principal, role: k.role, companyId: k.company_id, bankId: k.bank_id, countyCodes: k.county_codes, industries: k.industries };
      if (JSON.stringify([now.role, now.companyId, now.bankId, now.countyCodes, now.industries]) !== JSON.stringify([c.principal.role, c.principal.companyId, c.principal.bankId, c.principal.countyCodes, c.principal.industries])) {
        this.regroup(c, now);
      }
    }
  }

  private regroup(c: StreamClient, principal: Principal): void {
    const old = groupKey(c);
    const g = this.groups.get(old);
    if (g?.delete(c) && g.size === 0) this.groups.delete(old);
    c.principal = principal;
    const key = groupKey(c);
    let ng = this.groups.get(key);
    if (!ng) this.groups.set(key, (ng = new Set()));
    ng.add(c);
  }

  /**
   * Wake-up: read what is new after a short coalescing window, so a burst of relay commits becomes one
   * read and one write per client instead of one per commit (socket writes are the fan-out's cost).
   */
  kick(): void {
    if (this.closed || this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = null;
      this.fetchNew();
    }, this.coalesceMs);
  }

  /** Read what is new and hand it to every client; coalesces concurrent wake-ups. */
  private fetchNew(): void {
    if (this.closed) return;
    if (this.fetching) {
      this.again = true;
      return;
    }
    this.fetching = true;
    void (async () => {
      try {
        do {
          this.again = false;
          if (this.clients.size === 0) {
            // Nobody to write to: just move the position (a client registering later starts from it).
            const m = await maxAlertSeq(this.db);
            if (this.clients.size === 0) {
              this.lastSeq = Math.max(this.lastSeq, m);
              break;
            }
          }
          const r = (await this.db.execute(sql`
            SELECT ${ALERT_COLUMNS} FROM alerts a WHERE a.seq > ${this.lastSeq} ORDER BY a.seq LIMIT ${FETCH_LIMIT}`)) as unknown as { rows: AlertRow[] };
          if (r.rows.length === 0) break;
          this.dispatch(r.rows);
          if (r.rows.length === FETCH_LIMIT) this.again = true;
        } while (this.again && !this.closed);
      } catch (e) {
        this.log(e);
      } finally {
        this.fetching = false;
      }
    })();
  }

  /**
   * Synchronous: the batch and the lastSeq move together, which `add` relies on. Clients with the same
   * key (principal, filters, language) share one encoded buffer per batch, so a thousand inspectors on
   * one dashboard cost one serialisation and a thousand socket writes, not a million string builds.
   */
  private dispatch(rows: AlertRow[]): void {
    const first = Number(rows[0]!.seq);
    const cache = new Map<AlertRow, string>();
    for (const group of this.groups.values()) {
      let shared: Buffer | null = null;
      for (const c of group) {
        if (c.closed) continue;
        if (c.pending) {
          c.pending.push(...rows);
          continue;
        }
        if (c.cursor < first) {
          shared ??= Buffer.from(this.render(c, rows, cache, 0));
          c.cursor = Number(rows[rows.length - 1]!.seq);
          this.send(c, shared);
        } else {
          this.send(c, this.render(c, rows, cache, c.cursor)); // rare: partly seen already
          c.cursor = Math.max(c.cursor, Number(rows[rows.length - 1]!.seq));
        }
      }
    }
    this.lastSeq = Number(rows[rows.length - 1]!.seq);
  }

  /** SSE text for the rows after `after` that the client may see and asked for. */
  private render(c: StreamClient, rows: AlertRow[], cache: Map<AlertRow, string> | null, after: number): string {
    let out = '';
    for (const r of rows) {
      if (Number(r.seq) <= after) continue;
      if (!alertVisible(c.principal, r, c.gcProjects) || !filterMatches(c.filter, r, c.sinceMs)) continue;
      const key = c.lang === 'zh' ? cache : null; // cache the default language only
      let json = key?.get(r);
      if (json === undefined) {
        json = JSON.stringify(streamView(r, c.lang));
        key?.set(r, json);
      }
      out += formatEvent(r, json);
    }
    return out;
  }

  private send(c: StreamClient, chunk: string | Buffer): void {
    if (chunk.length === 0) return;
    c.res.write(chunk);
    // A client that cannot keep up is cut off rather than buffered without bound; it resumes from
    // its Last-Event-ID and the replay reads the table, so nothing is lost.
    if (c.res.writableLength > this.maxBuffer) this.drop(c);
  }

  /** Replay path: write rows beyond the client's cursor and advance it. */
  private write(c: StreamClient, rows: AlertRow[]): void {
    if (rows.length === 0) return;
    this.send(c, this.render(c, rows, null, c.cursor));
    c.cursor = Math.max(c.cursor, Number(rows[rows.length - 1]!.seq));
  }

  private maxBuffer = 8 * 1024 * 1024;

  /**
   * Register a client. With `replayFrom` (Last-Event-ID or `since`), alerts after it are read from the
   * table up to the hub's position at registration; live batches arriving meanwhile are held and sent
   * after, skipping what the replay already wrote. So a resumed client gets exactly what it missed.
   */
  async add(c: StreamClient, replayFrom: number | null, db: Db): Promise<void> {
    await this.ensureStarted();
    this.maxBuffer = (await this.settings()).streamMaxBufferBytes;
    if (c.closed) return;
    if (this.closed) {
      c.res.end(); // the app closed while this stream was starting
      return;
    }
    const upTo = this.lastSeq; // read and registration happen in the same tick
    if (replayFrom === null) c.cursor = upTo;
    else c.pending = [];
    this.clients.add(c);
    const key = groupKey(c);
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = new Set()));
    g.add(c);
    if (replayFrom === null) return;
    c.cursor = replayFrom;
    for (;;) {
      const rows = await listAlerts(db, c.principal, c.filter, c.cursor, 1000, upTo);
      if (c.closed) return;
      if (rows.length === 0) break;
      this.write(c, rows);
      if (rows.length < 1000) break;
    }
    c.cursor = Math.max(c.cursor, upTo);
    const held = c.pending ?? [];
    c.pending = null;
    if (held.length) this.write(c, held);
  }

  remove(c: StreamClient): void {
    c.closed = true;
    this.clients.delete(c);
    const key = groupKey(c);
    const g = this.groups.get(key);
    if (g?.delete(c) && g.size === 0) this.groups.delete(key);
  }

  private drop(c: StreamClient): void {
    this.remove(c);
    c.res.end();
  }

  /** End every stream (app shutdown) and release the LISTEN connection. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.keyTimer) clearInterval(this.keyTimer);
    if (this.kickTimer) clearTimeout(this.kickTimer);
    for (const c of this.clients) this.drop(c);
    await this.starting?.catch(() => {});
    const l = this.listener;
    this.listener = null;
    await l?.end().catch(() => {});
  }
}
