import type { Severity } from './alert-catalogue.js';

/**
 * Pure rules of state alerts ("alerts are news"). A state is one subject's lasting condition (this
 * project's wage balance is below its payroll). Observers raise it every time they see it; the rules
 * turn that repetition into news:
 *   - the first raise (or the first after a resolve) BEGINS the state → one alert;
 *   - a raise with another severity ESCALATES it (or de-escalates) → one alert;
 *   - a raise with the same severity only notes that it was seen (no alert);
 *   - an observation of the state's type on a date when it was not raised RESOLVES it → one alert;
 *   - states that persist from an earlier day are summed up in a DIGEST, per county, at most once a day
 *     (when a state joined the persisting ones, else as a weekly reminder).
 * Dates are China dates (YYYY-MM-DD), so they compare as strings.
 */
export interface StateRecord {
  key: string;
  type: string;
  severity: Severity;
  countyCode: string | null;
  openedOn: string;
  lastSeenOn: string;
  resolvedOn: string | null;
  lastDigestOn: string | null;
}

export interface Raise {
  key: string;
  type: string;
  severity: Severity;
  countyCode: string | null;
  on: string;
}

export type Transition = 'begin' | 'escalate' | null;

export function applyRaise(prev: StateRecord | null, r: Raise): { next: StateRecord; transition: Transition } {
  if (!prev || prev.resolvedOn !== null) {
    // A late raise dated on or before the resolve (an old sweep re-run) does not re-open the state.
    if (prev && prev.resolvedOn !== null && r.on <= prev.resolvedOn) return { next: prev, transition: null };
    return {
      next: { key: r.key, type: r.type, severity: r.severity, countyCode: r.countyCode, openedOn: r.on, lastSeenOn: r.on, resolvedOn: null, lastDigestOn: null },
      transition: 'begin',
    };
  }
  if (r.on < prev.lastSeenOn) return { next: prev, transition: null }; // older news than we have
  const next = { ...prev, lastSeenOn: r.on, countyCode: r.countyCode ?? prev.countyCode };
  if (r.severity !== prev.severity) return { next: { ...next, severity: r.severity }, transition: 'escalate' };
  return { next, transition: null };
}

export interface Observation {
  /** State types the observer looked at. */
  types: string[];
  on: string;
  /** Only subjects whose key starts with this (a project id) were looked at; absent = all. */
  keyPrefix?: string;
}

/** The open states an observation ends: of its types (and scope), not seen on or after its date. */
export function resolvedBy<T extends StateRecord>(open: T[], o: Observation): T[] {
  return open
    .filter((s) => s.resolvedOn === null && o.types.includes(s.type) && s.lastSeenOn < o.on && (!o.keyPrefix || s.key.startsWith(o.keyPrefix)))
    .map((s) => ({ ...s, resolvedOn: o.on }));
}

const RANK: Record<Severity, number> = { red: 0, orange: 1, yellow: 2 };

export interface Digest {
  countyCode: string;
  on: string;
  severity: Severity;
  total: number;
  /** Per state type: how many subjects, most first. */
  byType: { type: string; count: number }[];
  keys: string[];
}

const dayNumber = (d: string) => Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10))) / 86_400_000;

/**
 * Digests of `on`: per county, the open states begun before `on` (today's begins were news already).
 * At most one a day per county, and only when it says something: a persisting state not in the county's
 * last digest, or `reminderDays` since that digest (a weekly reminder of what still persists). Repeating
 * yesterday's unchanged list every day would be the noise the state model removes.
 */
export function digestsFor(open: StateRecord[], on: string, reminderDays = 7): Digest[] {
  const persisting = open.filter((s) => s.resolvedOn === null && s.openedOn < on && s.countyCode);
  const byCounty = new Map<string, StateRecord[]>();
  for (const s of persisting) byCounty.set(s.countyCode!, [...(byCounty.get(s.countyCode!) ?? []), s]);
  const out: Digest[] = [];
  for (const [countyCode, list] of [...byCounty].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const last = list.reduce<string | null>((m, s) => (s.lastDigestOn && (!m || s.lastDigestOn > m) ? s.lastDigestOn : m), null);
    if (last !== null && last >= on) continue; // this county's digest of the day is out (or a later one)
    const fresh = list.some((s) => s.lastDigestOn === null);
    if (!fresh && last !== null && dayNumber(on) - dayNumber(last) < reminderDays) continue;
    const counts = new Map<string, number>();
    for (const s of list) counts.set(s.type, (counts.get(s.type) ?? 0) + 1);
    out.push({
      countyCode, on, total: list.length,
      severity: list.reduce<Severity>((m, s) => (RANK[s.severity] < RANK[m] ? s.severity : m), 'yellow'),
      byType: [...counts].map(([type, count]) => ({ type, count })).sort((a, b) => b.count - a.count || (a.type < b.type ? -1 : 1)),
      keys: list.map((s) => s.key),
    });
  }
  return out;
}
