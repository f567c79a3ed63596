/**
 * Minimum wages (最低工资规定 Art. 7, 9: provincial tables by area, revised every few years) as dated
 * values per scope. A wage month is judged by the standard in force on its first day, so a new
 * standard can be entered before it starts. Defaults ship for Songyuan's five counties; rows in
 * `minimum_wages` add scopes or override a shipped entry of the same scope and date. Without any
 * entry the policy's `local.minimumWageMonthlyFen` (national default) applies.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { getPolicy } from './policy.service.js';

export interface MinimumWage {
  scope: string;
  effectiveFrom: string;
  monthlyFen: number;
  hourlyFen: number;
  source: string;
}

/**
 * 吉林省人民政府《关于调整全省最低工资标准的通知》(2021-09-30), in force from 2021-12-01 "to the next
 * adjustment": 松原市区 1,760 yuan / 18 an hour; 前郭县 1,640 / 17; other counties (cities) 1,540 / 16.
 */
const JILIN_2021 = '吉林省人民政府关于调整全省最低工资标准的通知（2021年9月30日），2021年12月1日起执行';
export const SHIPPED_MINIMUM_WAGES: MinimumWage[] = [
  { scope: '220702', effectiveFrom: '2021-12-01', monthlyFen: 176_000, hourlyFen: 1_800, source: `${JILIN_2021}：松原市区（宁江区）` },
  { scope: '220721', effectiveFrom: '2021-12-01', monthlyFen: 164_000, hourlyFen: 1_700, source: `${JILIN_2021}：前郭县` },
  { scope: '220722', effectiveFrom: '2021-12-01', monthlyFen: 154_000, hourlyFen: 1_600, source: `${JILIN_2021}：其他县（市）——长岭县` },
  { scope: '220723', effectiveFrom: '2021-12-01', monthlyFen: 154_000, hourlyFen: 1_600, source: `${JILIN_2021}：其他县（市）——乾安县` },
  { scope: '220781', effectiveFrom: '2021-12-01', monthlyFen: 154_000, hourlyFen: 1_600, source: `${JILIN_2021}：其他县（市）——扶余市` },
];

/** Scopes from most to least specific: county, city (4 digits), province (2 digits). */
const scopesOf = (county: string): string[] => [county, county.slice(0, 4), county.slice(0, 2)];

/** Pure: the entry in force on `date` for the most specific scope that has one. */
export function minimumWageIn(entries: MinimumWage[], county: string, date: string): MinimumWage | null {
  for (const scope of scopesOf(county)) {
    const inForce = entries.filter((e) => e.scope === scope && e.effectiveFrom <= date).sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? 1 : -1));
    if (inForce[0]) return inForce[0];
  }
  return null;
}

/** The minimum wage of a county for a wage month (YYYY-MM) or a day (YYYY-MM-DD). */
export async function minimumWageFor(db: DbOrTx, county: string, monthOrDate: string): Promise<MinimumWage> {
  const date = monthOrDate.length === 7 ? `${monthOrDate}-01` : monthOrDate;
  const r = (await db.execute(sql`
    SELECT scope, effective_from::text AS "effectiveFrom", monthly_fen::float8 AS "monthlyFen", hourly_fen::float8 AS "hourlyFen", source
    FROM minimum_wages WHERE scope = ANY(${`{${scopesOf(county).join(',')}}`}::text[])`)) as unknown as { rows: MinimumWage[] };
  const stored = r.rows.map((x) => ({ ...x, monthlyFen: Number(x.monthlyFen), hourlyFen: Number(x.hourlyFen) }));
  const key = (e: MinimumWage) => `${e.scope}|${e.effectiveFrom}`;
  const overridden = new Set(stored.map(key));
  const found = minimumWageIn([...stored, ...SHIPPED_MINIMUM_WAGES.filter((e) => !overridden.has(key(e)))], county, date);
  if (found) return found;
  const l = (await getPolicy(db, county, date)).local;
  return { scope: 'default', effectiveFrom: '1970-01-01', monthlyFen: l.minimumWageMonthlyFen, hourlyFen: l.minimumWageHourlyFen, source: 'policy default (local.minimumWageMonthlyFen)' };
}
