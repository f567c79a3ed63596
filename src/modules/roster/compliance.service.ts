/**
 * Roster compliance figures per project (and summed per county) for a month: headcount engaged in
 * the month, labour-contract signing rate, dispatched share (flag above the policy cap, 10% by
 * default) and workers engaged but with no attendance. The inspectors' metrics call this.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { chinaToday } from '../../lib/calendar.js';
import { idFromKey } from '../../lib/ids.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { getPolicy } from '../policy/policy.service.js';

type Rows<T> = { rows: T[] };

export interface RosterFigures {
  headcount: number;
  contractSigned: number;
  contractSigningRate: number | null;
  dispatched: number;
  dispatchedShare: number | null;
  dispatchedOverCap: boolean;
  withoutAttendance: number;
}
export interface ProjectFigures extends RosterFigures { projectId: string; countyCode: string }
export interface ComplianceResult extends RosterFigures { month: string; countyCode: string | null; projectId: string | null; dispatchedCapShare: number; projects: ProjectFigures[] }

const monthBounds = (m: string) => {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return { first: `${m}-01`, last: new Date(Date.UTC(y, mo, 0)).toISOString().slice(0, 10) };
};
const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);

function figures(headcount: number, signed: number, dispatched: number, noAtt: number, capBp: number): RosterFigures {
  return {
    headcount, contractSigned: signed, contractSigningRate: ratio(signed, headcount), dispatched, dispatchedShare: ratio(dispatched, headcount),
    dispatchedOverCap: headcount > 0 && dispatched * 10_000 > headcount * capBp, withoutAttendance: noAtt,
  };
}

export async function rosterCompliance(db: DbOrTx, q: { countyCode?: string; projectId?: string; month: string }): Promise<ComplianceResult> {
  const { first, last } = monthBounds(q.month);
  // One pass: engagements overlapping the month, one per worker and project (the latest).
  const r = (await db.execute(sql`
    WITH eng AS (
      SELECT DISTINCT ON (e.project_id, e.worker_id) e.project_id, e.worker_id, e.contract_signed, e.dispatched, p.county_code
      FROM engagements e JOIN projects p ON p.id = e.project_id
      WHERE e.entry_date <= ${last}::date AND (e.exit_date IS NULL OR e.exit_date >= ${first}::date)
        AND (${q.projectId ?? null}::uuid IS NULL OR e.project_id = ${q.projectId ?? null}::uuid)
        AND (${q.countyCode ?? null}::text IS NULL OR p.county_code = ${q.countyCode ?? null}::text)
      ORDER BY e.project_id, e.worker_id, e.entry_date DESC)
    SELECT eng.project_id, eng.county_code, count(*)::int AS headcount,
      count(*) FILTER (WHERE eng.contract_signed)::int AS signed,
      count(*) FILTER (WHERE eng.dispatched)::int AS dispatched,
      count(*) FILTER (WHERE a.worker_id IS NULL)::int AS no_att
    FROM eng LEFT JOIN attendance a ON a.project_id = eng.project_id AND a.worker_id = eng.worker_id AND a.month = ${q.month} AND a.days_present > 0
    GROUP BY eng.project_id, eng.county_code ORDER BY eng.project_id`)) as unknown as Rows<{ project_id: string; county_code: string; headcount: number; signed: number; dispatched: number; no_att: number }>;

  const county = q.countyCode ?? r.rows[0]?.county_code ?? null;
  const capBp = (await getPolicy(db, county)).roster.dispatchedCapBp;
  const projects = r.rows.map((x) => ({ projectId: x.project_id, countyCode: x.county_code, ...figures(x.headcount, x.signed, x.dispatched, x.no_att, capBp) }));
  const sum = (k: 'headcount' | 'signed' | 'dispatched' | 'no_att') => r.rows.reduce((s, x) => s + x[k], 0);
  return {
    month: q.month, countyCode: q.countyCode ?? null, projectId: q.projectId ?? null, dispatchedCapShare: capBp / 10_000,
    ...figures(sum('headcount'), sum('signed'), sum('dispatched'), sum('no_att'), capBp), projects,
  };
}

/**
 * After registrations: when a project's active dispatched workers exceed the cap, emit
 * `roster.dispatched_over_cap` once per project and month (deterministic outbox id).
 */
export async function checkDispatchedCap(tx: DbOrTx, projectId: string, countyCode: string, asOf: string): Promise<void> {
  const r = (await tx.execute(sql`
    SELECT count(*)::int AS n, count(*) FILTER (WHERE dispatched)::int AS d FROM engagements
    WHERE project_id = ${projectId} AND exit_date IS NULL`)) as unknown as Rows<{ n: number; d: number }>;
  const { n, d } = r.rows[0]!;
  const capBp = (await getPolicy(tx, countyCode)).roster.dispatchedCapBp;
  if (n === 0 || d * 10_000 <= n * capBp) {
    // Within the cap: tell the alert layer (once a project and day), which ends an open over-cap state.
    // Dated like the over-cap raise (the event's own China date), not by the worker's entry date.
    await emit(tx, {
      id: idFromKey(`obs:dispatched_cap:${projectId}:${chinaToday(new Date())}`), type: EVENTS.statesObserved, projectId, countyCode,
      payload: { projectId, eventTypes: [EVENTS.dispatchedOverCap] },
    });
    return;
  }
  const month = asOf.slice(0, 7);
  await emit(tx, {
    id: idFromKey(`${EVENTS.dispatchedOverCap}:${projectId}:${month}`), type: EVENTS.dispatchedOverCap, projectId, countyCode,
    payload: { month, headcount: n, dispatched: d, share: Math.round((d / n) * 10_000) / 10_000, capShare: capBp / 10_000 },
  });
}
