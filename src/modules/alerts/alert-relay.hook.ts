import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import type { RelayedEvent } from '../../jobs/event-handlers.js';
import { alertLink, classifyEvent, renderTemplate } from './alert-catalogue.js';

/** Postgres channel woken after a relay commit that created alerts (payload: the highest seq). */
export const ALERTS_CHANNEL = 'wg_alerts';

interface ProjectRow {
  id: string;
  name: string;
  county_code: string;
  industry: string;
  general_contractor_id: string;
}

/**
 * Relay hook: turn a batch of outbox events into alerts INSIDE the relay's transaction, before the events
 * are marked relayed. So an event yields its alert exactly once (alert id = event id, ON CONFLICT DO
 * NOTHING covers a re-run) and no alert is lost if the relay crashes: the whole batch rolls back.
 *
 * Why `alerts.seq` is commit-ordered: this hook is the only writer of `alerts`, and the relay runs it
 * while holding its transaction-scoped advisory lock, so relay transactions are strictly serial. A
 * later transaction takes its seq values only after the earlier one committed; a reader that has seen
 * seq N can never later see a newly committed alert with seq < N. Feed cursors and SSE resume rely on it.
 */
export async function materialiseAlerts(tx: Tx, events: RelayedEvent[]): Promise<void> {
  const worthy = events.map((e) => ({ e, def: classifyEvent(e.type, e.payload ?? {}) })).filter((x) => x.def !== null);
  if (worthy.length === 0) return;

  const projectIds = [...new Set(worthy.map((x) => x.e.projectId).filter((x): x is string => !!x))];
  const projects = new Map<string, ProjectRow>();
  if (projectIds.length) {
    const r = (await tx.execute(sql`
      SELECT id, name, county_code, industry, general_contractor_id FROM projects
      WHERE id = ANY(${`{${projectIds.join(',')}}`}::uuid[])`)) as unknown as { rows: ProjectRow[] };
    for (const p of r.rows) projects.set(p.id, p);
  }
  const companyIds = [...new Set(worthy.map((x) => x.e.companyId ?? projects.get(x.e.projectId ?? '')?.general_contractor_id).filter((x): x is string => !!x))];
  const companies = new Map<string, string>();
  if (companyIds.length) {
    const r = (await tx.execute(sql`SELECT id, name FROM companies WHERE id = ANY(${`{${companyIds.join(',')}}`}::uuid[])`)) as unknown as { rows: { id: string; name: string }[] };
    for (const c of r.rows) companies.set(c.id, c.name);
  }

  const rows = worthy.map(({ e, def }) => {
    const p = e.projectId ? projects.get(e.projectId) : undefined;
    const companyId = e.companyId ?? p?.general_contractor_id ?? null;
    const payload = e.payload ?? {};
    const shortfall = typeof payload.shortfallFen === 'number' ? (payload.shortfallFen / 100).toFixed(2) : undefined;
    // Thresholds are the county's own (policy), carried by the finding's data: shown in whole yuan.
    const data = (payload.data ?? {}) as Record<string, unknown>;
    const yuanOf = (v: unknown) => (typeof v === 'number' ? (v / 100).toFixed(v % 100 === 0 ? 0 : 2) : undefined);
    const vars = { ...payload, project: p?.name, company: companyId ? companies.get(companyId) : undefined, shortfallYuan: shortfall,
      capYuan: yuanOf(data.capFen ?? payload.capFen), minimumYuan: yuanOf(data.minimumMonthlyFen ?? payload.minimumMonthlyFen) };
    const owner = typeof payload.ownerKeyId === 'string' && /^[0-9a-f-]{36}$/i.test(payload.ownerKeyId) ? payload.ownerKeyId : null;
    return {
      id: e.id,
      type: def!.type,
      severity: def!.severity,
      event_type: e.type,
      county_code: e.countyCode ?? p?.county_code ?? null,
      industry: p?.industry ?? null,
      project_id: e.projectId,
      company_id: companyId,
      owner_key_id: owner,
      message_zh: renderTemplate(def!.zh, vars),
      message_en: renderTemplate(def!.en, vars),
      link: alertLink(def!.link, { projectId: e.projectId, companyId, payload }),
      data: payload,
    };
  });
  // WITH ORDINALITY + ORDER BY: seq values are drawn in outbox order.
  const r = (await tx.execute(sql`
    INSERT INTO alerts (id, type, severity, event_type, county_code, industry, project_id, company_id, owner_key_id, message_zh, message_en, link, data)
    SELECT (v->>'id')::uuid, v->>'type', v->>'severity', v->>'event_type', v->>'county_code', v->>'industry', (v->>'project_id')::uuid,
      (v->>'company_id')::uuid, (v->>'owner_key_id')::uuid, v->>'message_zh', v->>'message_en', v->>'link', COALESCE(v->'data', '{}'::jsonb)
    FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) WITH ORDINALITY AS x(v, ord)
    ORDER BY x.ord
    ON CONFLICT (id) DO NOTHING
    RETURNING seq`)) as unknown as { rows: { seq: string }[] };
  if (r.rows.length === 0) return;
  const maxSeq = Math.max(...r.rows.map((x) => Number(x.seq)));
  // NOTIFY is transactional: listeners hear it only if (and when) this relay transaction commits.
  await tx.execute(sql`SELECT pg_notify(${ALERTS_CHANNEL}, ${String(maxSeq)})`);
}
