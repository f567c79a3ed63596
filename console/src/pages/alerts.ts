import { get, qs } from '../api.js';
import { h, replace } from '../dom.js';
import { getLang, label, t } from '../i18n.js';
import { navigate } from '../main.js';
import { countyLabel, picker } from '../names.js';

export interface Alert {
  id: string; seq: number; type: string; severity: 'red' | 'orange' | 'yellow'; countyCode: string | null; projectId: string | null;
  companyId: string | null; message: string; messageZh?: string; messageEn?: string; link: string | null; createdAt: string;
  kind?: 'state' | 'event' | 'digest'; transition?: 'begin' | 'escalate' | 'resolve' | null; stateKey?: string | null; label?: string;
  projectName?: string | null; employerName?: string | null; countyName?: string | null; data?: Record<string, unknown>;
}

const PAGE = 250;
const ROWS_SHOWN = 3;
const GROUPS_SHOWN = 8;
const RANK = { red: 0, orange: 1, yellow: 2 } as const;

/** Where an alert leads: its case when it is about one, else its project. */
export function alertHref(a: Alert): string | null {
  const c = a.link && /\/v1\/cases\/([\w-]+)/.exec(a.link);
  if (c) return `/console/cases/${c[1]}`;
  return a.projectId ? `/console/projects/${a.projectId}` : null;
}

interface Group { key: string; title: string; sub: string; href: string | null; items: Alert[]; open: Alert[]; fresh: boolean; top: number }

/** States whose latest alert is not a resolve, per state key: what is wrong right now. */
function openStates(items: Alert[]): Alert[] {
  const last = new Map<string, Alert>();
  for (const a of items) if (a.kind === 'state' && a.stateKey) { const p = last.get(a.stateKey); if (!p || p.seq < a.seq) last.set(a.stateKey, a); }
  return [...last.values()].filter((a) => a.transition !== 'resolve').sort((x, y) => RANK[x.severity] - RANK[y.severity] || y.seq - x.seq);
}

/** One group per project (county-wide alerts and digests in one group per county), open states first. */
function groupAlerts(alerts: Alert[], freshIds: Set<string>): Group[] {
  const by = new Map<string, Alert[]>();
  for (const a of alerts) {
    const k = a.projectId ?? `county:${a.countyCode ?? ''}`;
    by.set(k, [...(by.get(k) ?? []), a]);
  }
  const groups = [...by].map(([key, items]): Group => {
    const a0 = items[items.length - 1]!;
    const open = openStates(items);
    return {
      key, items, open, fresh: items.some((a) => freshIds.has(a.id)),
      title: a0.projectId ? (a0.projectName ?? t('project')) : `${countyLabel(a0.countyCode)} · ${t('countyWide')}`,
      sub: a0.projectId ? countyLabel(a0.countyCode) : '', href: a0.projectId ? `/console/projects/${a0.projectId}` : null,
      top: Math.max(...items.map((a) => a.seq)),
    };
  });
  const worst = (g: Group) => (g.open.length ? RANK[g.open[0]!.severity] : 3);
  return groups.sort((x, y) => Number(y.fresh) - Number(x.fresh) || Number(y.open.length > 0) - Number(x.open.length > 0) || worst(x) - worst(y) || y.top - x.top);
}

export async function renderAlerts(main: HTMLElement, _p: string[], q: URLSearchParams): Promise<() => void> {
  document.title = `${t('alerts')} · ${t('appName')}`;
  const lang = getLang();
  const f = {
    countyCode: q.get('countyCode') ?? undefined, severity: q.get('severity') ?? undefined, kind: q.get('kind') ?? undefined,
    projectId: q.get('projectId') ?? undefined, companyId: q.get('companyId') ?? undefined,
  };
  const names = { project: q.get('projectName') ?? '', company: q.get('companyName') ?? '' };
  const alerts: Alert[] = [];
  // The last 30 days through the feed's own cursor, a page at a time; then the stream from the highest seq seen.
  const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
  let cursor: string | undefined;
  let hasMore = true;
  const loadPage = async () => {
    const r = await get<{ items: Alert[]; nextCursor: string; hasMore: boolean }>('/v1/alerts' + qs({ ...f, since, limit: PAGE, cursor, lang }));
    alerts.push(...r.items);
    cursor = r.nextCursor;
    hasMore = r.hasMore;
  };
  await loadPage();
  if (hasMore) await loadPage();
  let lastSeq = alerts.reduce((m, a) => Math.max(m, a.seq), 0);

  const go = (patch: Record<string, string | undefined>) => navigate('/console/alerts' + qs({ ...f, projectName: names.project, companyName: names.company, ...patch }));
  const sel = (id: string, opts: [string, string][], cur: string | undefined, key: string) => {
    const s = h('select', { id, name: key }, h('option', { value: '' }, t('all')), ...opts.map(([v, l]) => h('option', { value: v, selected: v === cur }, l)));
    s.addEventListener('change', () => go({ [key]: s.value || undefined }));
    return s;
  };
  const fSev = sel('f-severity', (['red', 'orange', 'yellow'] as const).map((s) => [s, label(s)]), f.severity, 'severity');
  const fKind = sel('f-kind', [['state', t('kindState')], ['event', t('kindEvent')], ['digest', t('kindDigest')]], f.kind, 'kind');
  const pProject = picker('projects', 'f-project', f.projectId ? { id: f.projectId, name: names.project } : null,
    (p) => go({ projectId: p?.id, projectName: p?.name ?? '' }));
  const pCompany = picker('companies', 'f-company', f.companyId ? { id: f.companyId, name: names.company } : null,
    (p) => go({ companyId: p?.id, companyName: p?.name ?? '' }));
  const status = h('p', { id: 'stream-status', class: 'muted', role: 'status' }, '…');
  const groupsBox = h('div', { id: 'alert-rows' });
  const moreBtn = h('button', { type: 'button', id: 'alerts-more', class: 'secondary' }, t('loadMore'));
  // A failed page load re-enables the button so the inspector can try again.
  moreBtn.addEventListener('click', () => {
    moreBtn.disabled = true;
    loadPage().then(() => { lastSeq = alerts.reduce((m, a) => Math.max(m, a.seq), lastSeq); draw(); }).catch(() => {}).finally(() => { moreBtn.disabled = false; });
  });
  const freshIds = new Set<string>();
  let showAllGroups = false;
  const expanded = new Set<string>();

  const transitionTag = (a: Alert) => a.kind === 'state' && a.transition
    ? h('span', { class: `tag tr-${a.transition}`, 'data-transition': a.transition }, t(a.transition === 'begin' ? 'trBegin' : a.transition === 'escalate' ? 'trEscalate' : 'trResolve'))
    : a.kind === 'digest' ? h('span', { class: 'tag tr-digest' }, t('kindDigest')) : null;
  const row = (a: Alert, isOpen: boolean) => {
    const href = alertHref(a);
    const msg = a.message || (lang === 'en' ? a.messageEn : a.messageZh) || a.label || a.type;
    return h('tr', { class: `sev-${a.severity}${freshIds.has(a.id) ? ' fresh' : ''}${isOpen ? ' open-state' : ''}`, 'data-alert-id': a.id, 'data-type': a.type, 'data-kind': a.kind ?? 'event' },
      h('td', {}, h('span', { class: `badge sev-${a.severity}` }, label(a.severity))),
      h('td', { class: 'when' }, new Date(a.createdAt).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' })),
      h('td', {}, a.label ?? a.type, ' ', transitionTag(a)),
      h('td', {}, href ? h('a', { href }, msg) : msg, a.employerName ? h('div', { class: 'muted small' }, a.employerName) : null),
      h('td', {}, isOpen ? h('span', { class: 'tag open' }, t('stillOpen')) : ''));
  };
  const groupNode = (g: Group) => {
    const openIds = new Set(g.open.map((a) => a.id));
    const rest = [...g.items].filter((a) => !openIds.has(a.id)).sort((x, y) => Number(freshIds.has(y.id)) - Number(freshIds.has(x.id)) || y.seq - x.seq);
    // Newest news first: alerts that arrived live (newest on top), then open states, then the rest.
    const ordered = [...g.items.filter((a) => freshIds.has(a.id) && !openIds.has(a.id)).sort((x, y) => y.seq - x.seq), ...g.open, ...rest.filter((a) => !freshIds.has(a.id))];
    const all = expanded.has(g.key);
    const shown = all ? ordered : ordered.slice(0, Math.max(ROWS_SHOWN, g.open.length));
    const counts = (['red', 'orange', 'yellow'] as const).map((s) => [s, g.items.filter((a) => a.severity === s).length] as const).filter(([, n]) => n > 0);
    const hid = `g-${g.key.replace(/[^\w-]/g, '_')}`;
    return h('section', { class: 'card alert-group', 'data-group': g.key, 'aria-labelledby': hid },
      h('h2', { id: hid }, g.href ? h('a', { href: g.href }, g.title) : g.title, g.sub ? h('span', { class: 'muted sub' }, ` · ${g.sub}`) : null,
        h('span', { class: 'counts' }, ...counts.map(([s, n]) => h('span', { class: `badge sev-${s}`, 'data-count': n }, `${label(s)} ${n}`)),
          g.open.length ? h('span', { class: 'tag open', 'data-open': g.open.length }, `${t('stillOpen')} ${g.open.length}`) : null)),
      h('table', { class: 'alerts-table' },
        h('thead', { class: 'sr-only' }, h('tr', {}, ...[t('severity'), t('time'), t('type'), t('message'), t('status')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, ...shown.map((a) => row(a, openIds.has(a.id))))),
      ordered.length > shown.length || all
        ? h('button', { type: 'button', class: 'link toggle', onclick: () => { if (all) expanded.delete(g.key); else expanded.add(g.key); draw(); } },
          all ? t('showFewer') : `${t('showAll')} ${ordered.length}`)
        : null);
  };
  const draw = () => {
    const groups = groupAlerts(alerts, freshIds);
    const shown = showAllGroups ? groups : groups.slice(0, GROUPS_SHOWN);
    replace(groupsBox, ...shown.map(groupNode),
      groups.length > shown.length ? h('button', { type: 'button', class: 'secondary', id: 'more-groups', onclick: () => { showAllGroups = true; draw(); } }, `${t('moreProjects')} (${groups.length - shown.length})`) : null,
      groups.length === 0 ? h('p', { class: 'muted' }, t('none')) : null);
    moreBtn.hidden = !hasMore;
    summary.textContent = `${alerts.length} ${t('alertsIn30Days')} · ${groups.length} ${t('groups')} · ${groups.reduce((n, g) => n + g.open.length, 0)} ${t('openStates')}`;
  };
  const summary = h('p', { id: 'alerts-summary', class: 'muted' });

  replace(main,
    h('h1', {}, t('alerts'), f.countyCode ? ` · ${countyLabel(f.countyCode)}` : ''),
    h('form', { class: 'filters', id: 'alert-filter', onsubmit: (e: Event) => e.preventDefault() },
      h('label', { for: 'f-severity' }, t('severity')), fSev, h('label', { for: 'f-kind' }, t('kind')), fKind,
      h('label', { for: 'f-project' }, t('project')), pProject.node, h('label', { for: 'f-company' }, t('company')), pCompany.node),
    summary, status, groupsBox, moreBtn);
  draw();

  // EventSource reconnects by itself and sends Last-Event-ID, so the server resumes without gaps.
  const es = new EventSource('/v1/alerts/stream' + qs({ ...f, lastEventId: lastSeq || undefined, lang }));
  const seen = new Set(alerts.map((a) => a.id));
  es.addEventListener('open', () => { status.textContent = t('live'); status.dataset.state = 'live'; });
  es.addEventListener('error', () => { status.textContent = t('offline'); status.dataset.state = 'offline'; });
  es.addEventListener('alert', (ev) => {
    const a = JSON.parse((ev as MessageEvent<string>).data) as Alert;
    if (seen.has(a.id)) return;
    seen.add(a.id);
    alerts.push(a);
    freshIds.add(a.id);
    draw();
  });
  return () => es.close();
}
