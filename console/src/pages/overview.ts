import uPlot from 'uplot';
import { currentSession, get, qs } from '../api.js';
import { h, pct, replace, yuan } from '../dom.js';
import { label, t } from '../i18n.js';
import { navigate } from '../main.js';
import { countyLabel } from '../names.js';

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

/** This month on China's clock: where the search for the latest month with data starts. */
function currentMonth(): string {
  return new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
}

/** A month "has data" when wages were due in it (lines to pay) or arrears were recognised. */
const hasData = (m: MonthCompliance) => m.onTimePayment.denominator > 0 || m.clearance.amountOwedFen > 0;

const COLORS = { outstanding: '#d92d20', cleared: '#1570ef' };

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
  // Without a chosen month: the latest month with data in the last twelve (pay day may not have come yet).
  let month = q.get('month') ?? currentMonth();
  const keptReports = get<{ items: { month: string; generatedOn: string }[] }>('/v1/reports/county-monthly/kept' + qs({ countyCode: county })).catch(() => ({ items: [] }));
  let m = await get<Compliance>('/v1/metrics/compliance' + qs({ countyCode: county, month, months: 12 }));
  let picked = false;
  if (!q.get('month') && !hasData(m)) {
    const latest = [...m.series].reverse().find(hasData);
    if (latest) {
      month = latest.month;
      m = await get<Compliance>('/v1/metrics/compliance' + qs({ countyCode: county, month, months: 12 }));
      picked = true;
    }
  }
  const kept = await keptReports;
  document.title = `${t('overview')} ${countyLabel(county)} ${month} · ${t('appName')}`;

  // An inspector picks among its own counties; an admin may type any county code.
  const countyInput = s.role === 'admin'
    ? h('input', { id: 'county', name: 'countyCode', value: county, pattern: '\\d{6}', size: 6, inputmode: 'numeric' })
    : h('select', { id: 'county', name: 'countyCode' }, ...s.countyCodes.map((c) => h('option', { value: c, selected: c === county }, countyLabel(c))));
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
  const legend = h('div', { class: 'legend', id: 'trend-legend' },
    h('span', { 'data-series': 'outstanding' }, h('i', { style: `background:${COLORS.outstanding}` }), t('outstanding')),
    h('span', { 'data-series': 'cleared' }, h('i', { style: `background:${COLORS.cleared}` }), t('cleared')));

  replace(main,
    h('h1', {}, `${t('overview')} · ${countyLabel(county)} · ${month}`),
    h('p', { id: 'overview-month', class: picked ? 'notice' : 'muted', 'data-month': month, 'data-picked': picked ? 'latest' : 'chosen' },
      `${t('showing')} ${month}`, picked ? ` ${t('latestWithData')}` : hasData(m) ? '' : ` · ${t('noDataThisMonth')}`),
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
    h('section', { class: 'card', 'aria-labelledby': 'trend-h' }, h('h2', { id: 'trend-h' }, t('owedVsCleared')), legend, chartBox,
      trendTable(m.series, county)),
    reportsSection(county, month, kept.items));

  const months = m.series.map((x) => x.month);
  // Stacked bars per month: what is still outstanding at the bottom, what was cleared on top of it. The
  // owed bar (cleared colour) is drawn first, the outstanding one over its lower part; all cleared = one colour.
  const owed = m.series.map((x) => x.clearance.amountOwedFen);
  const outstanding = m.series.map((x) => Math.max(0, x.clearance.amountOwedFen - x.clearance.amountClearedFen));
  const bars = uPlot.paths.bars!({ size: [0.6, 48] });
  const plot = new uPlot({
    width: Math.max(280, chartBox.clientWidth || 600), height: 240,
    legend: { show: false }, // the HTML legend above names the two colours; the table below has the numbers
    scales: { x: { time: false, range: (_u, lo, hi) => [lo - 0.6, hi + 0.6] }, y: { range: (_u, _lo, hi) => [0, Math.max(100, hi * 1.1)] } },
    axes: [{ values: (_u, ticks) => ticks.map((i) => months[i] ?? '') }, { values: (_u, ticks) => ticks.map((v) => '¥' + (v / 100).toLocaleString()), size: 80 }],
    series: [
      { label: t('month') },
      { label: t('cleared'), stroke: COLORS.cleared, fill: COLORS.cleared, width: 0, paths: bars, points: { show: false } },
      { label: t('outstanding'), stroke: COLORS.outstanding, fill: COLORS.outstanding, width: 0, paths: bars, points: { show: false } },
    ],
  }, [months.map((_x, i) => i), owed, outstanding], chartBox);
  const onResize = () => plot.setSize({ width: Math.max(280, chartBox.clientWidth), height: 240 });
  window.addEventListener('resize', onResize);
  return () => { window.removeEventListener('resize', onResize); plot.destroy(); };
}

/** The chart's numbers as a table: readable without the canvas, and each month links to its cases. */
function trendTable(series: MonthCompliance[], county: string): HTMLElement {
  return h('details', {}, h('summary', {}, t('owedVsCleared')),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('month')), h('th', { scope: 'col' }, t('owed')), h('th', { scope: 'col' }, t('cleared')), h('th', { scope: 'col' }, t('outstanding')), h('th', { scope: 'col' }, t('clearance')))),
      h('tbody', {}, ...series.map((x) => h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: '/console/cases' + qs({ countyCode: county, month: x.month }) }, x.month)),
        h('td', {}, yuan(x.clearance.amountOwedFen)), h('td', {}, yuan(x.clearance.amountClearedFen)), h('td', {}, yuan(Math.max(0, x.clearance.amountOwedFen - x.clearance.amountClearedFen))), h('td', {}, pct(x.clearance.rate, 2)))))));
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
