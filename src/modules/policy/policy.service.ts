import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { WorkCalendar } from '../../lib/calendar.js';
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

/**
 * The effective policy for a county. A setting row's key is a top-level section (`deposit`,
 * `credit`, …) and its value a partial object of that section.
 */
export async function getPolicy(db: DbOrTx, countyCode?: string | null): Promise<Policy> {
  const scopes = scopesFor(countyCode);
  const r = await db.execute(sql`
    SELECT scope, key, value FROM policy_settings WHERE scope = ANY(${`{${scopes.join(',')}}`}::text[])`);
  const rows = (r as unknown as { rows: { scope: string; key: string; value: Record<string, unknown> }[] }).rows;
  rows.sort((a, b) => scopes.indexOf(a.scope) - scopes.indexOf(b.scope));
  let p = POLICY_DEFAULTS as unknown as Record<string, unknown>;
  const shipped = countyCode ? COUNTY_DEFAULTS[countyCode] : undefined;
  let shippedApplied = !shipped;
  for (const row of rows) {
    // Shipped county values sit just below the county's own rows.
    if (!shippedApplied && row.scope === countyCode) {
      p = deepMerge(p, shipped!);
      shippedApplied = true;
    }
    p = deepMerge(p, { [row.key]: row.value });
  }
  if (!shippedApplied) p = deepMerge(p, shipped!);
  return p as unknown as Policy;
}

export async function setPolicy(db: DbOrTx, scope: string, key: string, value: Record<string, unknown>): Promise<void> {
  await db.execute(sql`
    INSERT INTO policy_settings (scope, key, value) VALUES (${scope}, ${key}, ${JSON.stringify(value)}::jsonb)
    ON CONFLICT (scope, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`);
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
