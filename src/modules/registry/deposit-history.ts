/**
 * Facts about a GC's record that drive the deposit ratio. The credit and enforcement modules own
 * the tables read here; until they exist (`to_regclass` is null) the history is neutral.
 *
 * Expected columns:
 *   blacklist_entries(company_id uuid, status text ('listed' = current), listed_on date, expires_on date)
 *   arrears_cases(general_contractor_id uuid — the responsible GC, opened_on date)
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { NEUTRAL_HISTORY, type DepositHistory } from './deposit-policy.rules.js';

type Rows<T> = { rows: T[] };

export async function depositHistory(tx: DbOrTx, companyId: string, asOf: string, countyCode?: string): Promise<DepositHistory> {
  const reg = ((await tx.execute(sql`
    SELECT to_regclass('blacklist_entries') IS NOT NULL AS bl, to_regclass('arrears_cases') IS NOT NULL AS ac`)) as unknown as Rows<{ bl: boolean; ac: boolean }>).rows[0]!;

  // "Several projects in the area" and the arrears history are counted within the province (the
  // deposit rules are provincial: 人社部发〔2021〕65号 Art. 7), not nationwide and not per county.
  // Live = not completed (project-life owns the statuses: completed | closed are done).
  const province = countyCode ? countyCode.slice(0, 2) : null;
  const live = ((await tx.execute(sql`
    SELECT count(*)::int AS n, min(start_date)::text AS first_start FROM projects
    WHERE general_contractor_id = ${companyId} AND status NOT IN ('completed', 'closed')
      AND (${province}::text IS NULL OR left(county_code, 2) = ${province})`)) as unknown as Rows<{ n: number; first_start: string | null }>).rows[0]!;

  const h: DepositHistory = { ...NEUTRAL_HISTORY, otherLiveProjects: live.n };

  if (reg.bl) {
    const r = (await tx.execute(sql.raw(`SELECT EXISTS (SELECT 1 FROM blacklist_entries WHERE company_id = '${uuidOnly(companyId)}'
      AND status = 'listed' AND listed_on <= DATE '${dateOnly(asOf)}' AND (expires_on IS NULL OR expires_on > DATE '${dateOnly(asOf)}')) AS b`))) as unknown as Rows<{ b: boolean }>;
    h.blacklisted = r.rows[0]!.b;
  }
  if (reg.ac) {
    // Raw SQL because the table is not part of this module's compiled schema; inputs are validated above.
    const inProvince = province ? ` AND left(county_code, 2) = '${provinceOnly(province)}'` : '';
    const r = (await tx.execute(sql.raw(`SELECT max(opened_on)::text AS last FROM arrears_cases
      WHERE general_contractor_id = '${uuidOnly(companyId)}' AND opened_on <= DATE '${dateOnly(asOf)}'${inProvince}`))) as unknown as Rows<{ last: string | null }>;
    const last = r.rows[0]!.last;
    h.arrearsPastYear = last !== null && last > shiftYears(asOf, -1);
    h.arrearsPastTwoYears = last !== null && last > shiftYears(asOf, -2);
    // Clean years are counted from the last arrears case, or from the GC's first project on the platform.
    const since = last ?? (await firstProjectStart(tx, companyId));
    h.cleanYears = since ? wholeYears(since, asOf) : 0;
  }
  return h;
}

async function firstProjectStart(tx: DbOrTx, companyId: string): Promise<string | null> {
  const r = (await tx.execute(sql`SELECT min(start_date)::text AS s FROM projects WHERE general_contractor_id = ${companyId}`)) as unknown as Rows<{ s: string | null }>;
  return r.rows[0]?.s ?? null;
}

function uuidOnly(s: string): string {
  if (!/^[0-9a-f-]{36}$/i.test(s)) throw new Error('invalid uuid');
  return s;
}
function provinceOnly(s: string): string {
  if (!/^\d{2}$/.test(s)) throw new Error('invalid province');
  return s;
}
function dateOnly(s: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) throw new Error('invalid date');
  return s;
}
export function shiftYears(date: string, years: number): string {
  return String(Number(date.slice(0, 4)) + years).padStart(4, '0') + date.slice(4);
}
export function wholeYears(from: string, to: string): number {
  let y = Number(to.slice(0, 4)) - Number(from.slice(0, 4));
  if (to.slice(5) < from.slice(5)) y--;
  return Math.max(0, y);
}
