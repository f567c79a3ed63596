import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import type { RelayedEvent } from '../../jobs/event-handlers.js';
import { alertLink, renderTemplate } from './alert-catalogue.js';
import { draftAlerts, type ProjectInfo } from './alert-emission.js';
import { alertLabel } from './alert-labels.js';
import { countyName } from '../../lib/county-names.js';

/** Postgres channel woken after a relay commit that created alerts (payload: the highest seq). */
export const ALERTS_CHANNEL = 'wg_alerts';

interface ProjectRow extends ProjectInfo {
  id: string;
  name: string;
}

const uuids = (xs: (string | null | undefined)[]) => `{${[...new Set(xs.filter((x): x is string => !!x))].join(',')}}`;

/**
 * Relay hook: turn a batch of outbox events into alerts INSIDE the relay's transaction, before the events
 * are marked relayed. So an event yields its alerts exactly once (ids derive from the event or from the
 * state and date; the alerts' key table skips a re-made one) and no alert is lost if the relay crashes: the
 * whole batch rolls back, alert_states included. Which alerts: alert-emission.ts.
 *
 * Why `alerts.seq` is commit-ordered: this hook is the only writer of `alerts`, and the relay runs it
 * while holding its transaction-scoped advisory lock, so relay transactions are strictly serial. A
 * later transaction takes its seq values only after the earlier one committed; a reader that has seen
 * seq N can never later see a newly committed alert with seq < N. Feed cursors and SSE resume rely on it.
 */
export async function materialiseAlerts(tx: Tx, events: RelayedEvent[]): Promise<void> {
  const projects = new Map<string, ProjectRow>();
  const loadProjects = async (ids: (string | null)[]) => {
    const todo = ids.filter((x): x is string => !!x && !projects.has(x));
    if (!todo.length) return;
    const r = (await tx.execute(sql`
      SELECT id, name, county_code, industry, general_contractor_id FROM projects WHERE id = ANY(${uuids(todo)}::uuid[])`)) as unknown as { rows: ProjectRow[] };
    for (const p of r.rows) projects.set(p.id, p);
  };
  await loadProjects(events.map((e) => e.projectId));
  const drafts = await draftAlerts(tx, events, (id) => (id ? projects.get(id) : undefined));
  if (drafts.length === 0) return;
  await loadProjects(drafts.map((d) => d.projectId)); // resolve alerts may name projects of no event here

  const companies = new Map<string, string>();
  const companyIds = uuids(drafts.map((d) => d.companyId));
  if (companyIds !== '{}') {
    const r = (await tx.execute(sql`SELECT id, name FROM companies WHERE id = ANY(${companyIds}::uuid[])`)) as unknown as { rows: { id: string; name: string }[] };
    for (const c of r.rows) companies.set(c.id, c.name);
  }

  const rows = drafts.map((d) => {
    const p = d.projectId ? projects.get(d.projectId) : undefined;
    const payload = d.data;
    const fen = (v: unknown) => (typeof v === 'number' ? (v / 100).toFixed(2) : undefined);
    const summary = (lang: 'zh' | 'en') =>
      Array.isArray(payload.byType) ? (payload.byType as { type: string; count: number }[]).map((x) => `${alertLabel(x.type, lang)} ${x.count}`).join(lang === 'zh' ? '，' : ', ') : undefined;
    // Thresholds are the county's own (policy), carried by the finding's data: shown in whole yuan.
    const data = (payload.data ?? {}) as Record<string, unknown>;
    const yuanOf = (v: unknown) => (typeof v === 'number' ? (v / 100).toFixed(v % 100 === 0 ? 0 : 2) : undefined);
    const vars = (lang: 'zh' | 'en') => ({
      ...payload, project: p?.name, company: d.companyId ? companies.get(d.companyId) : undefined, shortfallYuan: fen(payload.shortfallFen), amountYuan: fen(payload.amountFen),
      capYuan: yuanOf(data.capFen ?? payload.capFen), minimumYuan: yuanOf(data.minimumMonthlyFen ?? payload.minimumMonthlyFen),
      label: alertLabel(typeof payload.stateType === 'string' ? payload.stateType : d.def.type, lang),
      county: d.countyCode ? countyName(d.countyCode, lang) : undefined, summaryZh: summary('zh'), summaryEn: summary('en'),
    });
    const owner = typeof payload.ownerKeyId === 'string' && /^[0-9a-f-]{36}$/i.test(payload.ownerKeyId) ? payload.ownerKeyId : null;
    const tpl = d.template ?? d.def;
    return {
      id: d.id, event_id: d.eventId, type: d.def.type, severity: d.severity, kind: d.kind, transition: d.transition, state_key: d.stateKey, event_type: d.eventType,
      county_code: d.countyCode, industry: p?.industry ?? null, project_id: d.projectId, company_id: d.companyId, owner_key_id: owner,
      message_zh: renderTemplate(tpl.zh, vars('zh')), message_en: renderTemplate(tpl.en, vars('en')),
      link: alertLink(d.def.link, { projectId: d.projectId, companyId: d.companyId, payload }), data: payload,
    };
  });
  // WITH ORDINALITY + ORDER BY: seq values are drawn in outbox order. An alert made before (same id) is
  // skipped by the table's key trigger (alert_ids, migration 0082) and not returned.
  const r = (await tx.execute(sql`
    INSERT INTO alerts (id, event_id, type, severity, kind, transition, state_key, event_type, county_code, industry, project_id, company_id, owner_key_id, message_zh, message_en, link, data)
    SELECT (v->>'id')::uuid, (v->>'event_id')::uuid, v->>'type', v->>'severity', v->>'kind', v->>'transition', v->>'state_key', v->>'event_type', v->>'county_code',
      v->>'industry', (v->>'project_id')::uuid, (v->>'company_id')::uuid, (v->>'owner_key_id')::uuid, v->>'message_zh', v->>'message_en', v->>'link', COALESCE(v->'data', '{}'::jsonb)
    FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) WITH ORDINALITY AS x(v, ord)
    ORDER BY x.ord
    RETURNING seq`)) as unknown as { rows: { seq: string }[] };
  if (r.rows.length === 0) return;
  const maxSeq = Math.max(...r.rows.map((x) => Number(x.seq)));
  // NOTIFY is transactional: listeners hear it only if (and when) this relay transaction commits.
  await tx.execute(sql`SELECT pg_notify(${ALERTS_CHANNEL}, ${String(maxSeq)})`);
}
