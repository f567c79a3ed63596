import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import type { Severity } from './alert-catalogue.js';
import type { StateRecord } from './alert-states.rules.js';

/** A state as stored: the rule fields plus what its resolve alert needs to say and link. */
export interface StoredState extends StateRecord {
  projectId: string | null;
  companyId: string | null;
  industry: string | null;
  beginAlertId: string;
  data: Record<string, unknown>;
}

interface Row {
  state_key: string; type: string; severity: string; county_code: string | null; industry: string | null; project_id: string | null; company_id: string | null;
  opened_on: string; last_seen_on: string; resolved_on: string | null; begin_alert_id: string; last_digest_on: string | null; data: Record<string, unknown>;
}
const day = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));
const fromRow = (r: Row): StoredState => ({
  key: r.state_key, type: r.type, severity: r.severity as Severity, countyCode: r.county_code, industry: r.industry, projectId: r.project_id, companyId: r.company_id,
  openedOn: day(r.opened_on)!, lastSeenOn: day(r.last_seen_on)!, resolvedOn: day(r.resolved_on), beginAlertId: r.begin_alert_id, lastDigestOn: day(r.last_digest_on), data: r.data ?? {},
});
const COLS = sql.raw(`state_key, type, severity, county_code, industry, project_id, company_id, opened_on::text AS opened_on, last_seen_on::text AS last_seen_on,
  resolved_on::text AS resolved_on, begin_alert_id, last_digest_on::text AS last_digest_on, data`);
const arr = (xs: string[]) => `{${xs.map((x) => `"${x.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;

/**
 * alert_states as seen inside one relay transaction: read on demand, changed in memory in event
 * order, written back once (`flush`). The relay is the only writer (its advisory lock), so no races.
 */
export class StateStore {
  private readonly states = new Map<string, StoredState>();
  private readonly dirty = new Set<string>();
  private openLoaded = new Set<string>();

  constructor(private readonly tx: Tx) {}

  async preload(keys: string[]): Promise<void> {
    const missing = keys.filter((k) => !this.states.has(k));
    if (!missing.length) return;
    const r = (await this.tx.execute(sql`SELECT ${COLS} FROM alert_states WHERE state_key = ANY(${arr(missing)}::text[])`)) as unknown as { rows: Row[] };
    for (const row of r.rows) this.states.set(row.state_key, fromRow(row));
  }

  get(key: string): StoredState | null {
    return this.states.get(key) ?? null;
  }

  set(s: StoredState): void {
    this.states.set(s.key, s);
    this.dirty.add(s.key);
  }

  /** Open states of these types (from the table once per type, then from memory). */
  async open(types: string[]): Promise<StoredState[]> {
    const todo = types.filter((t) => !this.openLoaded.has(t));
    if (todo.length) {
      const r = (await this.tx.execute(sql`SELECT ${COLS} FROM alert_states WHERE resolved_on IS NULL AND type = ANY(${arr(todo)}::text[])`)) as unknown as { rows: Row[] };
      for (const row of r.rows) if (!this.states.has(row.state_key)) this.states.set(row.state_key, fromRow(row));
      this.openLoaded = new Set([...this.openLoaded, ...todo]);
    }
    return [...this.states.values()].filter((s) => s.resolvedOn === null && types.includes(s.type));
  }

  async flush(): Promise<void> {
    if (!this.dirty.size) return;
    const rows = [...this.dirty].map((k) => this.states.get(k)!).map((s) => ({
      state_key: s.key, type: s.type, severity: s.severity, county_code: s.countyCode, industry: s.industry, project_id: s.projectId, company_id: s.companyId,
      opened_on: s.openedOn, last_seen_on: s.lastSeenOn, resolved_on: s.resolvedOn, begin_alert_id: s.beginAlertId, last_digest_on: s.lastDigestOn, data: s.data,
    }));
    await this.tx.execute(sql`
      INSERT INTO alert_states (state_key, type, severity, county_code, industry, project_id, company_id, opened_on, last_seen_on, resolved_on, begin_alert_id, last_digest_on, data)
      SELECT state_key, type, severity, county_code, industry, project_id, company_id, opened_on, last_seen_on, resolved_on, begin_alert_id, last_digest_on, COALESCE(data, '{}'::jsonb)
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(state_key text, type text, severity text, county_code text, industry text, project_id uuid, company_id uuid,
        opened_on date, last_seen_on date, resolved_on date, begin_alert_id uuid, last_digest_on date, data jsonb)
      ON CONFLICT (state_key) DO UPDATE SET type = EXCLUDED.type, severity = EXCLUDED.severity, county_code = EXCLUDED.county_code, industry = EXCLUDED.industry,
        project_id = EXCLUDED.project_id, company_id = EXCLUDED.company_id, opened_on = EXCLUDED.opened_on, last_seen_on = EXCLUDED.last_seen_on,
        resolved_on = EXCLUDED.resolved_on, begin_alert_id = EXCLUDED.begin_alert_id, last_digest_on = EXCLUDED.last_digest_on, data = EXCLUDED.data, updated_at = now()`);
    this.dirty.clear();
  }
}
