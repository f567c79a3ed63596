import { currentSession, get, qs } from '../api.js';
import { h, pct, replace, yuan } from '../dom.js';
import { label, t } from '../i18n.js';
import { countyLabel } from '../names.js';

interface Row {
  projectId: string; name: string; generalContractor: string; status: string; headcount: number; contractSigned: number;
  contractSigningRate: number | null; dispatched: number; dispatchedShare: number | null; dispatchedOverCap: boolean;
}
type Recon = { statuses: { status: string; lines: number }[]; totals: { lines: number } };
type Deposit = { status: string; requiredFen: number; shortfallFen: number };

const ON_TIME = new Set(['paid']);
const th = (x: string) => h('th', { scope: 'col' }, x);

/** Run `f` over `xs` with at most `n` requests in flight (a county may have hundreds of projects). */
async function pool<T, R>(xs: T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, async () => {
    while (i < xs.length) {
      const k = i++;
      out[k] = await f(xs[k]!);
    }
  }));
  return out;
}

/** The projects behind the overview's roster, payment and deposit figures, one row each. */
export async function renderCountyProjects(main: HTMLElement, _p: string[], q: URLSearchParams): Promise<void> {
  const county = q.get('countyCode') ?? currentSession()!.countyCodes[0] ?? '';
  const month = q.get('month') ?? new Date().toISOString().slice(0, 7);
  const focus = q.get('focus');
  document.title = `${t('projects')} ${county} ${month} · ${t('appName')}`;
  const r = await get<{ items: Row[] }>('/console/api/county-projects' + qs({ countyCode: county, month }));
  // Per-project payment and deposit figures come from the same /v1 endpoints the project page uses.
  const extra = await pool(r.items, 6, async (p) => Promise.all([
    get<Recon>(`/v1/projects/${p.projectId}/reconciliation` + qs({ month })).catch(() => null),
    get<Deposit>(`/v1/projects/${p.projectId}/deposit`).catch(() => null),
  ]));
  const rows = r.items.map((p, i) => ({ p, recon: extra[i]![0], deposit: extra[i]![1] }));
  const onTime = (x: Recon | null) => (x && x.totals.lines ? x.statuses.filter((s) => ON_TIME.has(s.status)).reduce((a, s) => a + s.lines, 0) / x.totals.lines : null);
  // Sort so the rows that pull the focused figure down come first.
  const key: Record<string, (x: (typeof rows)[number]) => number> = {
    ontime: (x) => onTime(x.recon) ?? 2, contract: (x) => x.p.contractSigningRate ?? 2,
    dispatched: (x) => -(x.p.dispatchedShare ?? -1), deposit: (x) => -(x.deposit?.shortfallFen ?? -1),
  };
  if (focus && key[focus]) rows.sort((a, b) => key[focus]!(a) - key[focus]!(b));
  const mark = (f: string) => (focus === f ? 'focus' : null);

  replace(main,
    h('h1', {}, `${t('projects')} · ${countyLabel(county)} · ${month}`),
    h('p', {}, h('a', { href: '/console/' + qs({ countyCode: county, month }) }, '← ', t('overview'))),
    rows.length === 0 ? h('p', { class: 'muted' }, t('none')) : h('div', { class: 'table-wrap' }, h('table', { id: 'county-projects' },
      h('thead', {}, h('tr', {}, th(t('project')), th(t('generalContractor')), th(t('workers')), th(t('contractSigning')), th(t('dispatched')), th(t('onTime')), th(t('deposit')))),
      h('tbody', {}, ...rows.map(({ p, recon, deposit }) => h('tr', { 'data-project-id': p.projectId },
        h('td', {}, h('a', { href: `/console/projects/${p.projectId}` }, p.name)),
        h('td', {}, p.generalContractor),
        h('td', { class: 'num' }, p.headcount),
        h('td', { class: mark('contract') }, `${pct(p.contractSigningRate)} (${p.contractSigned}/${p.headcount})`),
        h('td', { class: mark('dispatched') }, `${pct(p.dispatchedShare)} (${p.dispatched})${p.dispatchedOverCap ? ' · ' + t('overCap') : ''}`),
        h('td', { class: mark('ontime') }, recon ? `${pct(onTime(recon))} · ${recon.statuses.filter((s) => s.lines > 0).map((s) => `${label(s.status)} ${s.lines}`).join(' · ') || '—'}` : '—'),
        h('td', { class: mark('deposit') }, deposit ? `${label(deposit.status)} · ${t('shortfall')} ${yuan(deposit.shortfallFen)}` : '—')))))));
}
