import uPlot from 'uplot';
import { currentSession, get, qs } from '../api.js';
import { h, pct, replace, yuan } from '../dom.js';
import { label, t } from '../i18n.js';
import { navigate } from '../main.js';

interface Ratio { numerator: number; denominator: number; rate: number | null }
export interface MonthCompliance {
  month: string;
  clearance: Ratio & { amountOwedFen: number; amountClearedFen: number; targetRate: number; meetsTarget: boolean | null; available: boolean };
  onTimePayment: Ratio & { linesByStatus: Record<string, number> };
  contractSigning: Ratio & { targetRate: number | null };
  dispatchedShare: Ratio & { capRate: number; overCap: boolean };
  depositCoverage: Ratio & { requiredFen: number; cashFen: number; guaranteeFen: number; coveredFen: number; projectsCovered: number; projectsRequiring: number };
  openCasesByStage: Record<string, number>;
}
type Compliance = MonthCompliance & { countyCode: string; series: MonthCompliance[] };

/** Last full month in the browser's clock: a display default only; the inspector can pick any month. */
function defaultMonth(): string {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}

/** A horizontal bar with a marker at the target (or cap); text carries the same numbers for screen readers. */
function bar(rate: number | null, mark: number | null, good: boolean | null, id: string): HTMLElement {
  const w = rate === null ? 0 : Math.max(0, Math.min(1, rate)) * 100;
  return h('div', { class: 'bar-track', id, role: 'img', 'aria-label': `${pct(rate, 2)}${mark !== null ? ` / ${pct(mark, 0)}` : ''}` },
    h('div', { class: `bar-fill ${good === null ? '' : good ? 'ok' : 'bad'}`, style: `width:${w}%` }),
    mark !== null ? h('div', { class: 'bar-mark', style: `left:${Math.min(100, mark * 100)}%` }) : null);
}

function figure(id: string, title: string, value: string, detail: (Node | string)[], href: string, extra?: Node): HTMLElement {
  return h('section', { class: 'card figure', id, 'aria-labelledby': `${id}-h` },
    h('h2', { id: `${id}-h` }, title),
    h('p', { class: 'big', 'data-value': value }, value),
    extra ?? null,
    h('p', { class: 'muted' }, ...detail),
    h('a', { href, class: 'drill' }, t('rowsBehind'), ' →'));
}

export async function renderOverview(main: HTMLElement, _p: string[], q: URLSearchParams): Promise<() => void> {
  const s = currentSession()!;
  const county = q.get('countyCode') ?? s.countyCodes[0] ?? '220702';
  const month = q.get('month') ?? defaultMonth();
  document.title = `${t('overview')} ${county} ${month} · ${t('appName')}`;
  const [m, kept] = await Promise.all([
    get<Compliance>('/v1/metrics/compliance' + qs({ countyCode: county, month, months: 12 })),
    get<{ items: { month: string; generatedOn: string }[] }>('/v1/reports/county-monthly/kept' + qs({ countyCode: county })).catch(() => ({ items: [] })),
  ]);

  // An inspector picks among its own counties; an admin may type any county code.
  const countyInput = s.role === 'admin'
    ? h('input', { id: 'county', name: 'countyCode', value: county, pattern: '\\d{6}', size: 6, inputmode: 'numeric' })
    : h('select', { id: 'county', name: 'countyCode' }, ...s.countyCodes.map((c) => h('option', { value: c, selected: c === county }, c)));
  const form = h('form', { class: 'filters', id: 'overview-filter' },
    h('label', { for: 'county' }, t('county')), countyInput,
    h('label', { for: 'month' }, t('month')), h('input', { id: 'month', name: 'month', type: 'month', value: month }),
    h('button', { type: 'submit' }, t('show')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = new FormData(form);
    navigate('/console/' + qs({ countyCode: String(f.get('countyCode') ?? county), month: String(f.get('month') || month) }));
  });

  const c = m.clearance;
  const base = { countyCode: county, month };
  const stages = Object.entries(m.openCasesByStage);
  const openTotal = stages.reduce((a, [, n]) => a + n, 0);
  const chartBox = h('div', { class: 'chart', id: 'trend-chart', role: 'img', 'aria-label': t('owedVsCleared') });

  replace(main,
    h('h1', {}, `${t('overview')} · ${county} · ${month}`),
    form,
    h('div', { class: 'grid' },
      figure('fig-clearance', t('clearance'), pct(c.rate, 2),
        [`${t('cleared')} ${yuan(c.amountClearedFen)} / ${t('owed')} ${yuan(c.amountOwedFen)} · ${t('target')} ${pct(c.targetRate, 0)} · `, c.meetsTarget === null ? t('noData') : c.meetsTarget ? t('meets') : t('below')],
        '/console/cases' + qs(base), bar(c.rate, c.targetRate, c.meetsTarget, 'clearance-gauge')),
      figure('fig-ontime', t('onTime'), pct(m.onTimePayment.rate), [`${m.onTimePayment.numerator} / ${m.onTimePayment.denominator} · `,
        Object.entries(m.onTimePayment.linesByStatus).map(([k, n]) => `${label(k)} ${n}`).join(' · ')],
        '/console/projects' + qs({ ...base, focus: 'ontime' }), bar(m.onTimePayment.rate, null, null, 'ontime-bar')),
      figure('fig-contract', t('contractSigning'), pct(m.contractSigning.rate), [`${m.contractSigning.numerator} / ${m.contractSigning.denominator}`,
        m.contractSigning.targetRate !== null ? ` · ${t('target')} ${pct(m.contractSigning.targetRate, 0)}` : ''],
        '/console/projects' + qs({ ...base, focus: 'contract' }), bar(m.contractSigning.rate, m.contractSigning.targetRate, null, 'contract-bar')),
      figure('fig-dispatched', t('dispatched'), pct(m.dispatchedShare.rate), [`${m.dispatchedShare.numerator} / ${m.dispatchedShare.denominator} · ${t('cap')} ${pct(m.dispatchedShare.capRate, 0)}`,
        m.dispatchedShare.overCap ? ` · ${t('overCap')}` : ''],
        '/console/projects' + qs({ ...base, focus: 'dispatched' }), bar(m.dispatchedShare.rate, m.dispatchedShare.capRate, !m.dispatchedShare.overCap, 'dispatched-bar')),
      figure('fig-deposit', t('depositCoverage'), pct(m.depositCoverage.rate), [`${yuan(m.depositCoverage.coveredFen)} / ${yuan(m.depositCoverage.requiredFen)} · ${m.depositCoverage.projectsCovered}/${m.depositCoverage.projectsRequiring}`],
        '/console/projects' + qs({ ...base, focus: 'deposit' }), bar(m.depositCoverage.rate, 1, m.depositCoverage.rate === null ? null : m.depositCoverage.rate >= 1, 'deposit-bar')),
      h('section', { class: 'card figure', id: 'fig-cases', 'aria-labelledby': 'fig-cases-h' },
        h('h2', { id: 'fig-cases-h' }, t('openCases')),
        h('p', { class: 'big', 'data-value': String(openTotal) }, String(openTotal)),
        stages.length === 0 ? h('p', { class: 'muted' }, t('none')) : h('ul', { class: 'stages' },
          ...stages.map(([st, n]) => h('li', {}, h('a', { href: '/console/cases' + qs({ countyCode: county, stage: st }), 'data-stage': st }, `${label(st)}: ${n}`)))),
        h('a', { href: '/console/cases' + qs({ countyCode: county }), class: 'drill' }, t('rowsBehind'), ' →'))),
    h('section', { class: 'card', 'aria-labelledby': 'trend-h' }, h('h2', { id: 'trend-h' }, t('owedVsCleared')), chartBox,
      trendTable(m.series, county)),
    reportsSection(county, month, kept.items));

  const months = m.series.map((x) => x.month);
  const plot = new uPlot({
    width: Math.max(280, chartBox.clientWidth || 600), height: 240,
    scales: { x: { time: false } },
    axes: [{ values: (_u, ticks) => ticks.map((i) => months[i] ?? '') }, { values: (_u, ticks) => ticks.map((v) => '¥' + (v / 100).toLocaleString()), size: 80 }],
    series: [
      { label: t('month'), value: (_u, v) => months[v] ?? '—' },
      { label: t('owed'), stroke: '#b42318', width: 2, value: (_u, v) => yuan(v) },
      { label: t('cleared'), stroke: '#067647', width: 2, value: (_u, v) => yuan(v) },
    ],
  }, [months.map((_x, i) => i), m.series.map((x) => x.clearance.amountOwedFen), m.series.map((x) => x.clearance.amountClearedFen)], chartBox);
  const onResize = () => plot.setSize({ width: Math.max(280, chartBox.clientWidth), height: 240 });
  window.addEventListener('resize', onResize);
  return () => { window.removeEventListener('resize', onResize); plot.destroy(); };
}

/** The chart's numbers as a table: readable without the canvas, and each month links to its cases. */
function trendTable(series: MonthCompliance[], county: string): HTMLElement {
  return h('details', {}, h('summary', {}, t('owedVsCleared')),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('month')), h('th', { scope: 'col' }, t('owed')), h('th', { scope: 'col' }, t('cleared')), h('th', { scope: 'col' }, t('clearance')))),
      h('tbody', {}, ...series.map((x) => h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: '/console/cases' + qs({ countyCode: county, month: x.month }) }, x.month)),
        h('td', {}, yuan(x.clearance.amountOwedFen)), h('td', {}, yuan(x.clearance.amountClearedFen)), h('td', {}, pct(x.clearance.rate, 2)))))));
}

/** The county monthly reports: each kept month (generated on the 1st working day) and the selected month on demand. */
function reportsSection(county: string, month: string, kept: { month: string; generatedOn: string }[]): HTMLElement {
  const links = (m: string) => [
    h('a', { href: '/v1/reports/county-monthly' + qs({ countyCode: county, month: m, format: 'xlsx' }), 'data-format': 'xlsx', download: '' }, 'Excel'), ' · ',
    h('a', { href: '/v1/reports/county-monthly' + qs({ countyCode: county, month: m, format: 'pdf' }), 'data-format': 'pdf', download: '' }, 'PDF'),
  ];
  return h('section', { class: 'card', 'aria-labelledby': 'reports-h', id: 'monthly-reports' },
    h('h2', { id: 'reports-h' }, t('monthlyReports')),
    kept.length === 0 ? h('p', { class: 'muted' }, t('none')) : h('ul', { id: 'kept-reports' },
      ...kept.map((r) => h('li', { 'data-month': r.month }, `${r.month} (${t('generatedOn')} ${r.generatedOn}): `, ...links(r.month)))),
    h('p', { id: 'report-on-demand' }, `${t('thisMonth')} ${month}: `, ...links(month)));
}
