import { get, qs } from '../api.js';
import { h, replace } from '../dom.js';
import { getLang, label, t } from '../i18n.js';

export interface Alert {
  id: string; seq: number; type: string; severity: 'red' | 'orange' | 'yellow'; countyCode: string | null; projectId: string | null;
  companyId: string | null; message: string; messageZh?: string; messageEn?: string; link: string | null; createdAt: string;
}

const KEEP = 500;

/** Where an alert leads: its case when it is about one, else its project. */
export function alertHref(a: Alert): string | null {
  const c = a.link && /\/v1\/cases\/([\w-]+)/.exec(a.link);
  if (c) return `/console/cases/${c[1]}`;
  return a.projectId ? `/console/projects/${a.projectId}` : null;
}

export async function renderAlerts(main: HTMLElement, _p: string[], q: URLSearchParams): Promise<() => void> {
  document.title = `${t('alerts')} · ${t('appName')}`;
  const county = q.get('countyCode') ?? undefined;
  const lang = getLang();
  const alerts: Alert[] = [];
  // Start from the last 30 days, then follow the stream from the highest seq seen: no gap, no duplicate.
  const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const r = await get<{ items: Alert[]; nextCursor: string; hasMore: boolean }>('/v1/alerts' + qs({ countyCode: county, since, limit: 500, cursor, lang }));
    alerts.push(...r.items);
    cursor = r.nextCursor;
    if (!r.hasMore) break;
  }
  const lastSeq = alerts.reduce((m, a) => Math.max(m, a.seq), 0);

  const sel = (id: string, name: string, opts: string[], cur: string | null) => h('select', { id, name },
    h('option', { value: '' }, t('all')), ...opts.map((o) => h('option', { value: o, selected: o === cur }, label(o))));
  const uniq = (f: (a: Alert) => string | null) => [...new Set(alerts.map(f).filter((x): x is string => !!x))].sort();
  const fType = sel('f-type', 'type', uniq((a) => a.type), q.get('type'));
  const fSev = sel('f-severity', 'severity', ['red', 'orange', 'yellow'], q.get('severity'));
  const fProject = h('input', { id: 'f-project', name: 'projectId', value: q.get('projectId') ?? '', size: 38, placeholder: 'uuid' });
  const fCompany = h('input', { id: 'f-company', name: 'companyId', value: q.get('companyId') ?? '', size: 38, placeholder: 'uuid' });
  const status = h('p', { id: 'stream-status', class: 'muted', role: 'status' }, '…');
  const tbody = h('tbody', { id: 'alert-rows' });

  const matches = (a: Alert) => (!fType.value || a.type === fType.value) && (!fSev.value || a.severity === fSev.value)
    && (!fProject.value.trim() || a.projectId === fProject.value.trim()) && (!fCompany.value.trim() || a.companyId === fCompany.value.trim());
  const row = (a: Alert, fresh = false) => {
    const href = alertHref(a);
    // `message` is already in the language asked for (feed and stream both get `lang`).
    const msg = a.message || (lang === 'en' ? a.messageEn : a.messageZh) || a.type;
    return h('tr', { class: `sev-${a.severity}${fresh ? ' fresh' : ''}`, 'data-alert-id': a.id, 'data-type': a.type },
      h('td', {}, h('span', { class: `badge sev-${a.severity}` }, label(a.severity))),
      h('td', {}, new Date(a.createdAt).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB')),
      h('td', {}, a.type),
      h('td', {}, href ? h('a', { href }, msg) : msg),
      h('td', {}, a.projectId ? h('a', { href: `/console/projects/${a.projectId}`, 'aria-label': `${t('project')} ${a.projectId}` }, a.projectId.slice(0, 8)) : '—'));
  };
  const redraw = () => replace(tbody, ...alerts.filter(matches).slice(-KEEP).reverse().map((a) => row(a)));
  for (const el of [fType, fSev, fProject, fCompany]) el.addEventListener('input', redraw);

  replace(main,
    h('h1', {}, t('alerts'), county ? ` · ${county}` : ''),
    h('form', { class: 'filters', id: 'alert-filter', onsubmit: (e: Event) => e.preventDefault() },
      h('label', { for: 'f-severity' }, t('severity')), fSev, h('label', { for: 'f-type' }, t('type')), fType,
      h('label', { for: 'f-project' }, t('project')), fProject, h('label', { for: 'f-company' }, t('company')), fCompany),
    status,
    h('div', { class: 'table-wrap' }, h('table', { id: 'alerts-table' },
      h('thead', {}, h('tr', {}, ...[t('severity'), t('time'), t('type'), t('message'), t('project')].map((x) => h('th', { scope: 'col' }, x)))),
      tbody)));
  redraw();

  // EventSource reconnects by itself and sends Last-Event-ID, so the server resumes without gaps.
  const es = new EventSource('/v1/alerts/stream' + qs({ countyCode: county, lastEventId: lastSeq || undefined, lang }));
  const seen = new Set(alerts.map((a) => a.id));
  es.addEventListener('open', () => { status.textContent = t('live'); status.dataset.state = 'live'; });
  es.addEventListener('error', () => { status.textContent = t('offline'); status.dataset.state = 'offline'; });
  es.addEventListener('alert', (ev) => {
    const a = JSON.parse((ev as MessageEvent<string>).data) as Alert;
    if (seen.has(a.id)) return;
    seen.add(a.id);
    alerts.push(a);
    if (alerts.length > KEEP * 2) alerts.splice(0, alerts.length - KEEP);
    if (!fType.querySelector(`option[value="${CSS.escape(a.type)}"]`)) fType.append(h('option', { value: a.type }, a.type));
    if (matches(a)) tbody.prepend(row(a, true));
  });
  return () => es.close();
}
