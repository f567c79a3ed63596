import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { chinaToday, type WorkCalendar } from '../../lib/calendar.js';
import { nationalCalendar } from '../../lib/national-holidays.js';
import { COUNTY_DEFAULTS, POLICY_DEFAULTS, type Policy } from './policy.defaults.js';

/** Scopes from least to most specific: default < province (2 digits) < city (4 digits) < county (6 digits). */
export const scopesFor = (countyCode?: string | null): string[] =>
  countyCode ? ['default', countyCode.slice(0, 2), countyCode.slice(0, 4), countyCode] : ['default'];

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = b && typeof b === 'object' && !Array.isArray(b) && v && typeof v === 'object' && !Array.isArray(v)
      ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

/** A setting row dated this early is in force on every date (rows from before settings were dated). */
export const ALWAYS = '1970-01-01';

/** The date a policy is read for: a day, or a wage month (judged by its first day, as minimum wages are). */
const dayOf = (on: string): string => (on.length === 7 ? `${on}-01` : on);

interface SettingRow { scope: string; key: string; value: Record<string, unknown>; effective_from: string }

/**
 * Pure: the effective policy of a county on a day from its scopes' dated rows. A setting row's key is
 * a top-level section (`deposit`, `credit`, …) and its value a partial object of that section. For
 * each scope and section the row with the latest `effective_from` on or before the day is in force;
 * the most specific scope wins (default < province < city < county), shipped county values sit just
 * below the county's own rows.
 */
export function policyOn(rows: SettingRow[], countyCode: string | null | undefined, day: string): Policy {
  const scopes = scopesFor(countyCode);
  const latest = new Map<string, SettingRow>();
  for (const r of rows) {
    if (r.effective_from > day) continue;
    const k = `${r.scope}|${r.key}`;
    const cur = latest.get(k);
    if (!cur || cur.effective_from < r.effective_from) latest.set(k, r);
  }
  const inForce = [...latest.values()].sort((a, b) => scopes.indexOf(a.scope) - scopes.indexOf(b.scope));
  let p = POLICY_DEFAULTS as unknown as Record<string, unknown>;
  const shipped = countyCode ? COUNTY_DEFAULTS[countyCode] : undefined;
  let shippedApplied = !shipped;
  for (const row of inForce) {
    if (!shippedApplied && row.scope === countyCode) {
      p = deepMerge(p, shipped!);
      shippedApplied = true;
    }
    p = deepMerge(p, { [row.key]: row.value });
  }
  if (!shippedApplied) p = deepMerge(p, shipped!);
  return p as unknown as Policy;
}

/**
 * A county's policy as a function of the date, from one read of its dated rows: for readers that
 * judge many dates or wage months at once (the sweep's pay dates, reconciliation's project-months).
 * `on` is a day (YYYY-MM-DD) or a wage month (YYYY-MM: its first day).
 */
export async function policyTimeline(db: DbOrTx, countyCode?: string | null): Promise<(on: string) => Policy> {
  const scopes = scopesFor(countyCode);
  const r = (await db.execute(sql`
    SELECT scope, key, value, effective_from::text AS effective_from FROM policy_settings WHERE scope = ANY(${`{${scopes.join(',')}}`}::text[])`)) as unknown as { rows: SettingRow[] };
  const memo = new Map<string, Policy>(); // many project-months share a day: merge once per day
  return (on: string) => {
    const day = dayOf(on);
    let p = memo.get(day);
    if (!p) memo.set(day, (p = policyOn(r.rows, countyCode, day)));
    return p;
  };
}

/**
 * The effective policy for a county on a date. Settings are dated (`effective_from`): a value entered
 * today for next month changes nothing before then, and a sweep or a wage month of the past is judged
 * by the value in force then. `on` is a day or a wage month (its first day, as minimum wages are
 * judged); without it, today's China date. Time is a parameter: sweeps and rules pass their `asOf`
 * or the wage month.
 */
export async function getPolicy(db: DbOrTx, countyCode?: string | null, on?: string): Promise<Policy> {
  return (await policyTimeline(db, countyCode))(on ?? chinaToday(new Date()));
}

/**
 * Set a section's partial object for a scope from a date on (same scope, section and date replaces).
 * Without a date the value is in force on every date (`ALWAYS`): what code and tests that set a value
 * outright mean. The admin route dates it (default: today, China date).
 */
export async function setPolicy(db: DbOrTx, scope: string, key: string, value: Record<string, unknown>, effectiveFrom: string = ALWAYS): Promise<void> {
  await db.execute(sql`
    INSERT INTO policy_settings (scope, key, value, effective_from) VALUES (${scope}, ${key}, ${JSON.stringify(value)}::jsonb, ${effectiveFrom}::date)
    ON CONFLICT (scope, key, effective_from) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`);
}

/**
 * Holidays and make-up workdays (调休) for a county: the State Council's schedule from `chinese-days`
 * for every year it covers, overridden day by day by rows in the database (national `default`, then
 * province, then county: the most specific row for a day wins). A year is covered when the package
 * or a `default` row knows it.
 */
export async function getCalendar(db: DbOrTx, countyCode?: string | null): Promise<WorkCalendar> {
  const scopes = scopesFor(countyCode);
  const r = await db.execute(sql`
    SELECT day::text AS day, kind, scope FROM calendar_days WHERE scope = ANY(${`{${scopes.join(',')}}`}::text[])`);
  const rows = (r as unknown as { rows: { day: string; kind: string; scope: string }[] }).rows;
  rows.sort((a, b) => scopes.indexOf(a.scope) - scopes.indexOf(b.scope));
  const nat = nationalCalendar();
  const holidays = new Set(nat.holidays);
  const makeUpWorkdays = new Set(nat.makeUpWorkdays);
  const coveredYears = new Set(nat.years);
  for (const x of rows) {
    if (x.kind === 'holiday') {
      holidays.add(x.day);
      makeUpWorkdays.delete(x.day);
    } else if (x.kind === 'workday') {
      makeUpWorkdays.add(x.day);
      holidays.delete(x.day);
    }
    if (x.scope === 'default') coveredYears.add(Number(x.day.slice(0, 4)));
  }
  return { holidays, makeUpWorkdays, coveredYears };
}
