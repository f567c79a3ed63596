import { get, qs } from '../api.js';
import { h, pct, replace, yuan } from '../dom.js';
import { label, t } from '../i18n.js';
import { countyLabel } from '../names.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API payloads rendered as they come (the typed contract is openapi.json; the console only displays fields)
type Any = Record<string, any>;
const th = (...xs: string[]) => h('thead', {}, h('tr', {}, ...xs.map((x) => h('th', { scope: 'col' }, x))));
const opt = <T>(p: Promise<T>) => p.catch(() => null);

export async function renderProject(main: HTMLElement, [id]: string[], q: URLSearchParams): Promise<void> {
  // The project read comes first: out of scope it is a 404 and nothing else is asked for.
  const project = await get<Any>(`/v1/projects/${id}`);
  document.title = `${project.name} · ${t('appName')}`;
  const [board, deposit, wage, payrolls, life] = await Promise.all([
    opt(get<Any>(`/v1/projects/${id}/notice-board`)), opt(get<Any>(`/v1/projects/${id}/deposit`)),
    opt(get<Any>(`/v1/projects/${id}/wage-account`)), opt(get<{ items: Any[] }>(`/v1/projects/${id}/payrolls`)),
    opt(get<Any>(`/v1/projects/${id}/completion`)),
  ]);
  const sheets = payrolls?.items ?? [];
  const months = [...new Set(sheets.map((s) => s.month as string))].slice(0, 6);
  const month = q.get('month') ?? months[0] ?? new Date().toISOString().slice(0, 7);
  const [roster, ...recons] = await Promise.all([
    opt(get<Any>(`/v1/projects/${id}/compliance` + qs({ month }))),
    ...months.map((m) => opt(get<Any>(`/v1/projects/${id}/reconciliation` + qs({ month: m })))),
  ]);
  const reconByMonth = new Map(months.map((m, i) => [m, recons[i]]));

  replace(main,
    h('h1', {}, project.name),
    h('p', { class: 'muted' }, `${t('county')} ${countyLabel(project.countyCode)} · ${label(project.industry)} · ${project.startDate} – ${project.plannedEndDate} · ${t('payday')} ${project.payday} · `,
      h('a', { href: '/console/alerts' + qs({ projectId: project.id, projectName: project.name }) }, t('alerts'))),
    lifeSection(id!, life),
    h('div', { class: 'grid' },
      h('section', { class: 'card', 'aria-labelledby': 'bal-h', id: 'balances' },
        h('h2', { id: 'bal-h' }, t('balances')),
        h('dl', { class: 'facts' },
          h('dt', {}, `${t('deposit')} · ${t('status')}`), h('dd', {}, deposit ? label(deposit.status) : '—'),
          h('dt', {}, `${t('deposit')} · ${t('required')}`), h('dd', {}, yuan(deposit?.requiredFen)),
          h('dt', {}, `${t('deposit')} · ${t('cash')}`), h('dd', { id: 'deposit-cash' }, yuan(deposit?.cashBalanceFen)),
          h('dt', {}, `${t('deposit')} · ${t('guarantee')}`), h('dd', {}, yuan(deposit?.guaranteeCoverFen)),
          h('dt', {}, `${t('deposit')} · ${t('shortfall')}`), h('dd', {}, yuan(deposit?.shortfallFen)),
          h('dt', {}, `${t('wageAccount')} · ${t('balance')}`), h('dd', { id: 'wage-balance' }, yuan(wage?.availableFen)))),
      h('section', { class: 'card', 'aria-labelledby': 'roster-h', id: 'roster' },
        h('h2', { id: 'roster-h' }, `${t('roster')} · ${month}`),
        roster ? h('dl', { class: 'facts' },
          h('dt', {}, t('workers')), h('dd', {}, roster.headcount),
          h('dt', {}, t('contractSigning')), h('dd', {}, `${pct(roster.contractSigningRate)} (${roster.contractSigned})`),
          h('dt', {}, t('dispatched')), h('dd', {}, `${pct(roster.dispatchedShare)} (${roster.dispatched}) · ${t('cap')} ${pct(roster.dispatchedCapShare, 0)}${roster.dispatchedOverCap ? ' · ' + t('overCap') : ''}`)) : h('p', {}, t('noData')))),
    h('section', { class: 'card', 'aria-labelledby': 'parties-h', id: 'parties' },
      h('h2', { id: 'parties-h' }, `${t('parties')} · ${t('noticeBoard')}`),
      board ? [
        h('div', { class: 'table-wrap' }, h('table', {}, th(t('company'), t('creditCode'), t('legalRep'), t('contact')),
          h('tbody', {}, ...(board.parties as Any[]).map((p) => h('tr', {},
            h('td', {}, `${p.name} (${label(p.role)})`), h('td', {}, p.creditCode), h('td', {}, p.legalRepresentative),
            h('td', {}, p.laborContact ? `${p.laborContact.name} ${p.laborContact.phone ?? ''}` : '—')))))),
        h('p', {}, `${t('minimumWage')} ${yuan(board.minimumWage?.monthlyFen)} · ${t('payday')} ${board.payday} · ${t('hotlines')} ${board.channels?.complaintHotline ?? ''}`),
      ] : h('p', {}, t('noData'))),
    h('section', { class: 'card', 'aria-labelledby': 'sheets-h', id: 'wage-sheets' },
      h('h2', { id: 'sheets-h' }, t('wageSheets')),
      sheets.length === 0 ? h('p', { class: 'muted' }, t('none')) : h('div', { class: 'table-wrap' }, h('table', {},
        th(t('month'), t('status'), t('lines'), t('total'), t('reconciliation')),
        h('tbody', {}, ...sheets.map((s) => {
          const r = reconByMonth.get(s.month);
          return h('tr', { 'data-month': s.month },
            h('td', {}, s.month), h('td', {}, label(s.status)), h('td', { class: 'num' }, s.lineCount), h('td', { class: 'num' }, yuan(s.totalNetFen)),
            h('td', {}, r ? (r.statuses as Any[]).filter((x) => x.lines > 0).map((x) => `${label(x.status)} ${x.lines}`).join(' · ') || '—' : '—'));
        }))))));
}

const STAGES: Record<string, Parameters<typeof t>[0]> = { active: 'stageActive', completing: 'stageCompleting', completed: 'stageCompleted', closed: 'stageClosed' };

/** Where the project is in its life (active → completing → completed → closed), what blocks completion, and the ledger. */
function lifeSection(id: string, life: Any | null): HTMLElement {
  const blockers = (life?.blockers ?? []) as Any[];
  return h('section', { class: 'card', 'aria-labelledby': 'life-h', id: 'life' },
    h('h2', { id: 'life-h' }, t('lifeStage')),
    life ? [
      h('p', { class: 'big', id: 'life-stage', 'data-status': life.status }, t(STAGES[life.status] ?? 'stageActive')),
      h('dl', { class: 'facts' },
        h('dt', {}, t('completedOn')), h('dd', {}, life.completedOn ?? '—'),
        h('dt', {}, t('wageAccountClosedOn')), h('dd', {}, life.wageAccountClosedOn ?? '—'),
        h('dt', {}, t('closedOn')), h('dd', {}, life.closedOn ?? '—'),
        h('dt', {}, t('retainUntil')), h('dd', {}, life.retainUntil ?? '—')),
      h('h3', {}, `${t('blockers')} (${blockers.length})`),
      blockers.length === 0 ? h('p', { class: 'muted' }, t('none')) : h('ul', { id: 'life-blockers' },
        ...blockers.map((b) => h('li', { 'data-kind': b.kind },
          b.kind === 'case_open' && b.id ? h('a', { href: `/console/cases/${b.id}` }, b.message) : b.message))),
    ] : h('p', {}, t('noData')),
    h('p', {}, `${t('wageLedger')}: `,
      h('a', { href: `/v1/projects/${id}/wage-ledger?format=xlsx`, id: 'ledger-xlsx', download: '' }, 'Excel'), ' · ',
      h('a', { href: `/v1/projects/${id}/wage-ledger?format=pdf`, id: 'ledger-pdf', download: '' }, 'PDF')));
}
