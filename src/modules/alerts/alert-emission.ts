import type { Tx } from '../../db/client.js';
import { EVENTS } from '../../jobs/event-types.js';
import type { RelayedEvent } from '../../jobs/event-handlers.js';
import { chinaToday } from '../../lib/calendar.js';
import { idFromKey } from '../../lib/ids.js';
import {
  ALERT_TYPES, DIGEST_TYPE, GROUP_TEMPLATES, GROUPED_TYPES, RESOLVED_SUFFIX, STATE_SPECS, classifyEvent, stateTypesOfEvents,
  type AlertKind, type AlertType, type Severity,
} from './alert-catalogue.js';
import { applyRaise, digestsFor, resolvedBy } from './alert-states.rules.js';
import { StateStore } from './alert-state.store.js';

/**
 * The emission model (#23): which alerts a batch of outbox events yields, in event order.
 *   event types  → one alert per event; line-level types → one per payroll batch and type (count, amount);
 *   state types  → begin / escalate only (alert-states.rules.ts), persisting raises are remembered, not repeated;
 *   `alerts.states_observed` → a `…_resolved` alert per state that ended, and (for a full sweep) one
 *   digest per county of the states that persist. Other modules add types in alert-catalogue.ts only.
 */
export interface AlertDraft {
  id: string;
  eventId: string;
  def: AlertType;
  severity: Severity;
  kind: AlertKind;
  transition: 'begin' | 'escalate' | 'resolve' | null;
  stateKey: string | null;
  eventType: string;
  countyCode: string | null;
  projectId: string | null;
  companyId: string | null;
  data: Record<string, unknown>;
  /** Message template override (grouped lines). */
  template?: { zh: string; en: string };
}

export interface ProjectInfo { county_code: string; industry: string; general_contractor_id: string }

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const dayOf = (e: RelayedEvent): string => {
  const a = str(e.payload?.asOf);
  return a && /^\d{4}-\d{2}-\d{2}$/.test(a) ? a : chinaToday(e.createdAt);
};

/** Can this event yield an alert? (cheap check for per-event consumers such as webhook fan-out) */
export const mayAlert = (type: string, payload: Record<string, unknown>): boolean => type === EVENTS.statesObserved || classifyEvent(type, payload) !== null;

export async function draftAlerts(tx: Tx, events: RelayedEvent[], project: (id: string | null) => ProjectInfo | undefined): Promise<AlertDraft[]> {
  const store = new StateStore(tx);
  const classified = events.map((e) => ({ e, def: e.type === EVENTS.statesObserved ? null : classifyEvent(e.type, e.payload ?? {}) }));
  const subjectOf = (e: RelayedEvent, def: AlertType | null) => (def && STATE_SPECS[def.type] ? STATE_SPECS[def.type]!.subject(e) : null);
  await store.preload(classified.map(({ e, def }) => { const s = subjectOf(e, def); return s ? `${def!.type}:${s}` : null; }).filter((k): k is string => !!k));

  const out: AlertDraft[] = [];
  const groups = new Map<string, AlertDraft>();
  for (const { e, def } of classified) {
    const payload = e.payload ?? {};
    const p = project(e.projectId);
    const base = {
      eventId: e.id, eventType: e.type, countyCode: e.countyCode ?? p?.county_code ?? null, projectId: e.projectId,
      companyId: e.companyId ?? p?.general_contractor_id ?? null, data: payload,
    };
    if (e.type === EVENTS.statesObserved) {
      out.push(...(await observe(store, e, project)));
      continue;
    }
    if (!def) continue;
    const subject = subjectOf(e, def);
    if (subject) {
      const key = `${def.type}:${subject}`;
      const severity = STATE_SPECS[def.type]!.severity?.(payload) ?? def.severity;
      const prev = store.get(key);
      const { next, transition } = applyRaise(prev, { key, type: def.type, severity, countyCode: base.countyCode, on: dayOf(e) });
      if (next === prev) continue;
      store.set({
        ...next, projectId: e.projectId, companyId: base.companyId, industry: p?.industry ?? null,
        beginAlertId: transition === 'begin' ? e.id : prev!.beginAlertId, data: payload,
      });
      if (transition) out.push({ ...base, id: e.id, def, severity, kind: 'state', transition, stateKey: key, data: { ...payload, stateKey: key, openedOn: next.openedOn } });
      continue;
    }
    const batch = str(payload.payrollId);
    if (GROUPED_TYPES.has(def.type) && batch) {
      const gkey = `${def.type}:${batch}`;
      const amount = typeof payload.netFen === 'number' ? payload.netFen : 0;
      const g = groups.get(gkey);
      if (g) {
        const d = g.data as { count: number; amountFen: number; lineIds: string[]; eventIds: string[] };
        d.count += 1;
        d.amountFen += amount;
        if (d.lineIds.length < 200 && str(payload.lineId)) d.lineIds.push(payload.lineId as string);
        g.template = GROUP_TEMPLATES;
        continue;
      }
      const draft: AlertDraft = {
        ...base, id: e.id, def, severity: def.severity, kind: 'event', transition: null, stateKey: null,
        data: { ...payload, count: 1, amountFen: amount, lineIds: str(payload.lineId) ? [payload.lineId] : [] },
      };
      groups.set(gkey, draft);
      out.push(draft);
      continue;
    }
    out.push({ ...base, id: e.id, def, severity: def.severity, kind: 'event', transition: null, stateKey: null });
  }
  await store.flush();
  return out;
}

/** An observer looked: resolve what it no longer saw; a full sweep also writes the county digests. */
async function observe(store: StateStore, e: RelayedEvent, project: (id: string | null) => ProjectInfo | undefined): Promise<AlertDraft[]> {
  const payload = e.payload ?? {};
  const on = dayOf(e);
  const types = stateTypesOfEvents(Array.isArray(payload.eventTypes) ? payload.eventTypes.map(String) : []);
  if (!types.length) return [];
  const scope = str(payload.projectId);
  const out: AlertDraft[] = [];
  // A scoped observer (one project) ends only that project's states.
  const open = (await store.open(types)).filter((s) => !scope || s.projectId === scope);
  for (const s of resolvedBy(open, { types, on })) {
    store.set(s);
    const def = ALERT_TYPES[s.type + RESOLVED_SUFFIX]!;
    out.push({
      id: idFromKey(`alert:resolve:${s.key}:${on}`), eventId: e.id, def, severity: s.severity, kind: 'state', transition: 'resolve', stateKey: s.key,
      eventType: e.type, countyCode: s.countyCode ?? project(s.projectId)?.county_code ?? null, projectId: s.projectId, companyId: s.companyId,
      data: { stateKey: s.key, stateType: s.type, openedOn: s.openedOn, lastSeenOn: s.lastSeenOn, resolvedOn: on, beginAlertId: s.beginAlertId },
    });
  }
  if (scope) return out;
  for (const d of digestsFor(await store.open(Object.keys(STATE_SPECS)), on)) {
    for (const k of d.keys) store.set({ ...store.get(k)!, lastDigestOn: on });
    out.push({
      id: idFromKey(`alert:digest:${d.countyCode}:${on}`), eventId: e.id, def: ALERT_TYPES[DIGEST_TYPE]!, severity: d.severity, kind: 'digest', transition: null,
      stateKey: null, eventType: e.type, countyCode: d.countyCode, projectId: null, companyId: null,
      data: { on, total: d.total, byType: d.byType },
    });
  }
  return out;
}
