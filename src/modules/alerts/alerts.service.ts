import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { ForbiddenError } from '../../lib/errors.js';
import { countyName } from '../../lib/county-names.js';
import type { Principal } from '../auth/auth.types.js';
import { ALERT_TYPES, CONTRACTOR_PROJECT_TYPES, CONTRACTOR_TYPES, stateTypeOf } from './alert-catalogue.js';
import { alertLabel } from './alert-labels.js';

/** Alert as the API shows it (pull feed, SSE `data:`, webhook `data`). */
export interface AlertView {
  id: string;
  seq: number;
  type: string;
  severity: string;
  countyCode: string | null;
  industry: string | null;
  projectId: string | null;
  companyId: string | null;
  message: string;
  messageZh: string;
  messageEn: string;
  link: string | null;
  eventType: string;
  data: Record<string, unknown>;
  createdAt: string;
  /** state | event | digest; for state alerts the transition begin | escalate | resolve. */
  kind: string;
  transition: string | null;
  stateKey: string | null;
  /** The type's short name in the requested language. */
  label: string;
  projectName: string | null;
  employerName: string | null;
  countyName: string | null;
}

export interface AlertRow {
  seq: string | number;
  id: string;
  type: string;
  severity: string;
  event_type: string;
  county_code: string | null;
  industry: string | null;
  project_id: string | null;
  company_id: string | null;
  owner_key_id: string | null;
  message_zh: string;
  message_en: string;
  link: string | null;
  data: Record<string, unknown>;
  created_at: Date | string;
  kind: string;
  transition: string | null;
  state_key: string | null;
  project_name: string | null;
  company_name: string | null;
}

/** Alias `a`. Names come by primary-key lookups, so list clients need no N+1 reads. */
export const ALERT_COLUMNS = sql.raw(
  'a.seq, a.id, a.type, a.severity, a.event_type, a.county_code, a.industry, a.project_id, a.company_id, a.owner_key_id, a.message_zh, a.message_en, a.link, a.data, a.created_at, ' +
    'a.kind, a.transition, a.state_key, (SELECT name FROM projects WHERE id = a.project_id) AS project_name, (SELECT name FROM companies WHERE id = a.company_id) AS company_name',
);

export function toView(r: AlertRow, lang: 'zh' | 'en' = 'zh'): AlertView {
  return {
    id: r.id,
    seq: Number(r.seq),
    type: r.type,
    severity: r.severity,
    countyCode: r.county_code,
    industry: r.industry,
    projectId: r.project_id,
    companyId: r.company_id,
    message: lang === 'en' ? r.message_en : r.message_zh,
    messageZh: r.message_zh,
    messageEn: r.message_en,
    link: r.link,
    eventType: r.event_type,
    data: r.data ?? {},
    createdAt: new Date(r.created_at).toISOString(),
    kind: r.kind ?? 'event',
    transition: r.transition ?? null,
    stateKey: r.state_key ?? null,
    label: alertLabel(r.type, lang),
    projectName: r.project_name ?? null,
    employerName: r.company_name ?? null,
    countyName: r.county_code ? countyName(r.county_code, lang) : null,
  };
}

/** Feed filters (all optional, combined with AND; arrays mean "any of"). */
export interface AlertFilter {
  countyCodes?: string[];
  types?: string[];
  severities?: string[];
  projectId?: string;
  companyId?: string;
  since?: string;
  /** state (begin/escalate/resolve) | event | digest. */
  kinds?: string[];
}

const arr = (xs: string[]) => `{${xs.join(',')}}`;

/** Who may read alerts: inspector (its counties), regulator (its industries), contractor (its company and projects), admin (all). */
export function assertAlertReader(p: Principal): void {
  if (p.role === 'contractor' && p.companyId) return;
  if (!['admin', 'inspector', 'regulator'].includes(p.role)) throw new ForbiddenError('Only inspectors, regulators, contractors and admins read alerts');
}

/**
 * What a contractor hears (alias `a`, company id SQL `c`): alert types whose audience includes
 * contractors (catalogue `contractors`), about its own company, or — for project-audience types — on a
 * project where it is the general contractor, or naming it as the employer. Never another company's
 * blacklist or credit matters, never platform or bank matters.
 */
export function contractorScopeSql(c: SQL): SQL {
  return sql`(a.type = ANY(${arr(CONTRACTOR_TYPES)}::text[]) AND (a.company_id = ${c}
    OR (a.type = ANY(${arr(CONTRACTOR_PROJECT_TYPES)}::text[]) AND (a.data->>'employerId' = (${c})::text
      OR EXISTS (SELECT 1 FROM projects pr WHERE pr.id = a.project_id AND pr.general_contractor_id = ${c})))))`;
}

/** The projects where a company is the general contractor (the SSE fan-out filters in memory). */
export async function gcProjectIds(db: DbOrTx, companyId: string): Promise<Set<string>> {
  const r = (await db.execute(sql`SELECT id FROM projects WHERE general_contractor_id = ${companyId}`)) as unknown as { rows: { id: string }[] };
  return new Set(r.rows.map((x) => x.id));
}

/** SQL predicate (alias `a`) for the alerts a principal may see; owner-addressed alerts go to that key. */
export function alertScopeSql(p: Principal): SQL {
  const owner = /^[0-9a-f-]{36}$/i.test(p.id) ? sql`a.owner_key_id = ${p.id}::uuid` : sql`FALSE`;
  switch (p.role) {
    case 'admin':
      return sql`TRUE`;
    case 'inspector':
      return sql`(a.county_code = ANY(${arr(p.countyCodes)}::text[]) OR ${owner})`;
    case 'regulator':
      return sql`(a.industry = ANY(${arr(p.industries)}::text[]) OR ${owner})`;
    case 'contractor':
      return p.companyId ? sql`(${contractorScopeSql(sql`${p.companyId}::uuid`)} OR ${owner})` : owner;
    default:
      return sql`FALSE`;
  }
}

/**
 * The same scope, in memory, for the SSE fan-out (which filters rows it already has). A contractor's
 * GC projects are read when its stream connects (`gcProjectIds`); a project registered later reaches
 * the stream after a reconnect (the feed and subscriptions see it at once).
 */
export function alertVisible(p: Principal, a: AlertRow, gcProjects?: ReadonlySet<string>): boolean {
  if (a.owner_key_id && a.owner_key_id === p.id) return true;
  if (p.role === 'admin') return true;
  if (p.role === 'inspector') return a.county_code !== null && p.countyCodes.includes(a.county_code);
  if (p.role === 'regulator') return a.industry !== null && p.industries.includes(a.industry);
  if (p.role === 'contractor' && p.companyId) {
    const audience = ALERT_TYPES[a.type]?.contractors ?? 'none';
    if (audience === 'none') return false;
    if (a.company_id === p.companyId) return true;
    return audience === 'project' && (a.data?.employerId === p.companyId || (a.project_id !== null && (gcProjects?.has(a.project_id) ?? false)));
  }
  return false;
}

export function filterSql(f: AlertFilter): SQL {
  const parts: SQL[] = [];
  if (f.countyCodes?.length) parts.push(sql`a.county_code = ANY(${arr(f.countyCodes)}::text[])`);
  // A state type also selects its resolves (a subscriber to "deposit short" wants to hear it ended).
  if (f.types?.length) parts.push(sql`(a.type = ANY(${arr(f.types)}::text[]) OR (a.transition = 'resolve' AND left(a.type, -9) = ANY(${arr(f.types)}::text[])))`);
  if (f.kinds?.length) parts.push(sql`a.kind = ANY(${arr(f.kinds)}::text[])`);
  if (f.severities?.length) parts.push(sql`a.severity = ANY(${arr(f.severities)}::text[])`);
  if (f.projectId) parts.push(sql`a.project_id = ${f.projectId}::uuid`);
  if (f.companyId) parts.push(sql`a.company_id = ${f.companyId}::uuid`);
  if (f.since) parts.push(sql`a.created_at >= ${f.since}::timestamptz`);
  return parts.length ? sql.join(parts, sql` AND `) : sql`TRUE`;
}

export function filterMatches(f: AlertFilter, a: AlertRow, sinceMs?: number): boolean {
  if (f.countyCodes?.length && !(a.county_code && f.countyCodes.includes(a.county_code))) return false;
  if (f.types?.length && !f.types.includes(a.type) && !(a.transition === 'resolve' && f.types.includes(stateTypeOf(a.type) ?? ''))) return false;
  if (f.kinds?.length && !f.kinds.includes(a.kind)) return false;
  if (f.severities?.length && !f.severities.includes(a.severity)) return false;
  if (f.projectId && a.project_id !== f.projectId) return false;
  if (f.companyId && a.company_id !== f.companyId) return false;
  if (sinceMs !== undefined && new Date(a.created_at).getTime() < sinceMs) return false;
  return true;
}

/**
 * One page of the feed after `afterSeq`, oldest first. Because seq is commit-ordered (see
 * alert-relay.hook.ts), "seq > cursor" never skips an alert that commits later: no gaps, no duplicates.
 */
export async function listAlerts(db: DbOrTx, p: Principal, f: AlertFilter, afterSeq: number, limit: number, upToSeq?: number): Promise<AlertRow[]> {
  const r = (await db.execute(sql`
    SELECT ${ALERT_COLUMNS} FROM alerts a
    WHERE a.seq > ${afterSeq} ${upToSeq !== undefined ? sql`AND a.seq <= ${upToSeq}` : sql``}
      AND ${alertScopeSql(p)} AND ${filterSql(f)}
    ORDER BY a.seq LIMIT ${limit}`)) as unknown as { rows: AlertRow[] };
  return r.rows;
}

export async function maxAlertSeq(db: DbOrTx): Promise<number> {
  const r = (await db.execute(sql`SELECT COALESCE(max(seq), 0) AS m FROM alerts`)) as unknown as { rows: { m: string }[] };
  return Number(r.rows[0]?.m ?? 0);
}
