import { sql } from 'drizzle-orm';
import type { Deps } from '../../deps.js';
import { chinaToday } from '../../lib/calendar.js';
import { sleep } from '../../lib/sleep.js';

/**
 * Month partitions of the append-only history tables (migrations 0067, 0080–0083). A table's months are created
 * `aheadMonths` in advance — an insert into a month without a partition would fail, so the job runs at
 * worker start and every few hours, and the migration already made three months ahead. Retention works
 * by detaching (and dropping) whole months, never by DELETE: no bloat, no long transaction.
 * The DDL runs in SECURITY DEFINER functions, so the runtime role needs no DDL rights.
 */
export interface PartitionedTable {
  table: string;
  /** Whole months kept before the current one; null = kept forever. */
  retainMonths: number | null;
}

export const PARTITIONED_TABLES: PartitionedTable[] = [
  // The delivery log is for diagnosing subscriptions; six months covers every dispute about a push.
  { table: 'alert_deliveries', retainMonths: 6 },
  // Raw bank webhook bodies: the facts live on in bank_records; the raw bodies are kept six months for
  // disputes with a bank. A month still holding a row to apply is never detached (see 0068).
  { table: 'webhook_inbox', retainMonths: 6 },
  // The outbox is a transport: a month goes three months after it ends, and only once every event in it
  // was relayed and none waits in dead_jobs (0081). The ids stay in `outbox_ids` for ever, so a re-run
  // that re-derives an old event's id still emits nothing (about 60 bytes an event, next to ~1 kB of row).
  { table: 'outbox', retainMonths: 3 },
  // The alert feed reaches back a year; a month still holding an open state's begin alert, an unrelayed
  // event's alerts or a delivery waiting in dead_jobs is kept (0082). Ids stay in `alert_ids` for ever.
  { table: 'alerts', retainMonths: 12 },
  // Never detached (the SQL function refuses it too): the hash chain is verified from its first row (0083).
  { table: 'audit_log', retainMonths: null },
  // Bank facts are wage data: kept for as long as the project-life rules keep the project's data (erasure masks
  // them in place, lifecycle/retention.service.ts). Months are made ahead, never retired here (0090).
  { table: 'bank_records', retainMonths: null },
];

/** Replay keys of the inbox outlive its bodies: a bank retrying a webhook within 13 months is recognised. */
export const INBOX_KEY_RETENTION_MONTHS = 13;

export interface MaintenanceReport {
  created: Record<string, number>;
  detached: Record<string, string[]>;
  keysTrimmed?: number;
}

const firstOfMonth = (isoDate: string, plusMonths: number): string => {
  const [y, m] = isoDate.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + plusMonths, 1));
  return d.toISOString().slice(0, 10);
};

/** Create the partitions up to `aheadMonths` after `asOf`'s month; detach those past their retention. */
export async function maintainPartitions(
  deps: Pick<Deps, 'db'>,
  opts: { asOf?: string; aheadMonths?: number; tables?: PartitionedTable[] } = {},
): Promise<MaintenanceReport> {
  const asOf = opts.asOf ?? chinaToday(new Date());
  const out: MaintenanceReport = { created: {}, detached: {} };
  for (const t of opts.tables ?? PARTITIONED_TABLES) {
    const made = (await deps.db.execute(sql`
      SELECT wg_ensure_month_partitions(${t.table}, ${firstOfMonth(asOf, 0)}::date, ${firstOfMonth(asOf, opts.aheadMonths ?? 3)}::date) AS n`)) as unknown as { rows: { n: number }[] };
    out.created[t.table] = Number(made.rows[0]!.n);
    if (t.retainMonths !== null) {
      const gone = (await deps.db.execute(sql`
        SELECT wg_detach_month_partitions(${t.table}, ${firstOfMonth(asOf, -t.retainMonths)}::date) AS gone`)) as unknown as { rows: { gone: string[] }[] };
      out.detached[t.table] = gone.rows[0]!.gone;
    }
  }
  // The key table is small and unpartitioned: trimmed in bounded batches.
  for (;;) {
    const r = (await deps.db.execute(sql`
      DELETE FROM webhook_inbox_keys WHERE ctid = ANY (ARRAY(SELECT ctid FROM webhook_inbox_keys
        WHERE received_at < ${firstOfMonth(asOf, -INBOX_KEY_RETENTION_MONTHS)}::date LIMIT 10000))`)) as unknown as { rowCount: number | null };
    out.keysTrimmed = (out.keysTrimmed ?? 0) + (r.rowCount ?? 0);
    if ((r.rowCount ?? 0) < 10000) break;
  }
  return out;
}

/** Worker loop: at start, then every `everyMs` (6 h). Stops when `signal` aborts. */
export async function runPartitionMaintenance(deps: Pick<Deps, 'db'>, signal: AbortSignal, log: (e: unknown) => void, everyMs = 6 * 3600_000): Promise<void> {
  while (!signal.aborted) {
    await maintainPartitions(deps).catch(log);
    await sleep(everyMs, signal);
  }
}
