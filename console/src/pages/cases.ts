import { ApiError, get, post, qs } from '../api.js';
import { h, replace, shortDate, yuan } from '../dom.js';
import { getLang, label, t } from '../i18n.js';
import { navigate, renderError, route } from '../main.js';
import { actorLabel, countyLabel, picker, withoutIds } from '../names.js';

export interface CaseRow {
  id: string; projectId: string; employerId: string; workersOwed: number; amountOwedFen: number; stage: string; deadline: string | null;
  status?: string; month?: string; countyCode?: string; amountClearedFen?: number; amountOutstandingFen?: number; massIncident?: boolean;
  projectName?: string; employerName?: string; generalContractorName?: string; countyName?: string; workersUnpaid?: number;
}
type Any = Record<string, unknown>;
const str = (v: unknown) => (v === null || v === undefined ? '—' : String(v));
const num = (v: unknown) => (typeof v === 'number' ? v : null);

/** Ladder order of stages (the API's STAGES), for sorting by stage. */
const STAGE_ORDER = ['overdue_notice', 'gc_order', 'deposit_notice', 'replenishment_due', 'replenishment_overdue', 'closed'];
type SortKey = 'amount' | 'workers' | 'stage' | 'deadline';
const SORTS: Record<SortKey, (c: CaseRow) => number | string> = {
  amount: (c) => c.amountOutstandingFen ?? c.amountOwedFen,
  workers: (c) => c.workersUnpaid ?? c.workersOwed,
  stage: (c) => STAGE_ORDER.indexOf(c.stage),
  deadline: (c) => c.deadline ?? '9999-12-31',
};
/** China's date today: deadlines are China dates. */
const chinaToday = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

export async function renderCases(main: HTMLElement, _p: string[], q: URLSearchParams): Promise<void> {
  document.title = `${t('cases')} · ${t('appName')}`;
  const county = q.get('countyCode') ?? undefined;
  const stage = q.get('stage') ?? undefined;
  const month = q.get('month') ?? undefined;
  const companyId = q.get('companyId') ?? undefined;
  const sort = (q.get('sort') as SortKey | null) ?? 'deadline';
  const desc = q.get('dir') ? q.get('dir') === 'desc' : sort === 'amount' || sort === 'workers';
  const items: CaseRow[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const r = await get<{ items: CaseRow[]; nextCursor: string | null }>('/v1/cases' + qs({ countyCode: county, stage, month, companyId, limit: 500, cursor, lang: getLang() }));
    items.push(...r.items);
    if (!r.nextCursor) break;
    cursor = r.nextCursor;
  }
  const today = chinaToday();
  const overdue = (c: CaseRow) => c.status !== 'closed' && !!c.deadline && c.deadline < today;
  const key = SORTS[sort] ?? SORTS.deadline;
  // Open cases before closed ones; then the chosen key; overdue ones first among equals.
  const rows = [...items].sort((a, b) => {
    const open = Number(a.status === 'closed') - Number(b.status === 'closed');
    if (open) return open;
    const ka = key(a), kb = key(b);
    const cmp = ka < kb ? -1 : ka > kb ? 1 : Number(overdue(b)) - Number(overdue(a));
    return desc ? -cmp : cmp;
  });
  const here = { countyCode: county, stage, month, companyId, companyName: q.get('companyName') ?? undefined, sort, dir: desc ? 'desc' : 'asc' };
  const head = (text: string, k?: SortKey) => k
    ? h('th', { scope: 'col', 'aria-sort': sort === k ? (desc ? 'descending' : 'ascending') : null },
      h('button', { type: 'button', class: 'sort', id: `sort-${k}`, onclick: () => navigate('/console/cases' + qs({ ...here, sort: k, dir: sort === k ? (desc ? 'asc' : 'desc') : undefined })) },
        text, sort === k ? (desc ? ' ▼' : ' ▲') : ''))
    : h('th', { scope: 'col' }, text);
  const stageSel = h('select', { id: 'f-stage', name: 'stage' }, h('option', { value: '' }, t('allStages')),
    ...STAGE_ORDER.filter((s) => s !== 'closed').map((s) => h('option', { value: s, selected: s === stage }, label(s))));
  stageSel.addEventListener('change', () => navigate('/console/cases' + qs({ ...here, stage: stageSel.value || undefined })));
  const company = picker('companies', 'f-company', companyId ? { id: companyId, name: q.get('companyName') ?? '' } : null,
    (p) => navigate('/console/cases' + qs({ ...here, companyId: p?.id, companyName: p?.name })));
  replace(main,
    h('h1', {}, t('cases'), county ? ` · ${countyLabel(county)}` : '', stage ? ` · ${label(stage)}` : '', month ? ` · ${month}` : ''),
    h('form', { class: 'filters', id: 'case-filter', onsubmit: (e: Event) => e.preventDefault() },
      h('label', { for: 'f-stage' }, t('stage')), stageSel, h('label', { for: 'f-company' }, t('company')), company.node),
    h('div', { class: 'table-wrap' }, h('table', { id: 'cases-table' },
      h('thead', {}, h('tr', {}, head(t('project')), head(t('employer')), head(t('month')), head(t('stage'), 'stage'), head(t('deadline'), 'deadline'),
        head(t('workersOwed'), 'workers'), head(t('outstanding'), 'amount'), head(t('amountOwed')))),
      h('tbody', {}, ...rows.map((c) => h('tr', { 'data-case-id': c.id, 'data-stage': c.stage, class: overdue(c) ? 'overdue' : null },
        h('td', {}, h('a', { href: `/console/cases/${c.id}` }, c.projectName || t('caseTitle')), h('div', { class: 'muted' }, c.countyName ?? countyLabel(c.countyCode))),
        h('td', {}, c.employerName || '—', c.generalContractorName && c.generalContractorName !== c.employerName ? h('div', { class: 'muted' }, `${t('generalContractor')}: ${c.generalContractorName}`) : null),
        h('td', {}, c.month ?? '—'),
        h('td', {}, label(c.status === 'closed' ? 'closed' : c.stage)),
        h('td', { class: 'deadline' }, shortDate(c.deadline), overdue(c) ? ` · ${t('overdue')}` : ''),
        h('td', { class: 'num' }, c.workersUnpaid ?? c.workersOwed), h('td', { class: 'num' }, yuan(c.amountOutstandingFen ?? c.amountOwedFen)),
        h('td', { class: 'num' }, yuan(c.amountOwedFen))))))),
    rows.length === 0 ? h('p', { class: 'muted' }, t('none')) : null);
}

/** Result of the last action, shown once on the re-rendered page. */
let flash = '';

export async function renderCase(main: HTMLElement, [id]: string[]): Promise<void> {
  const c = await get<CaseRow & Any>(`/v1/cases/${id}`);
  // Names come from the same API: the project, and the parties on its (public) notice board.
  const [project, board] = await Promise.all([
    get<{ name: string }>(`/v1/projects/${c.projectId}`).catch(() => null),
    get<{ parties: { companyId: string; name: string }[] }>(`/v1/projects/${c.projectId}/notice-board`).catch(() => null),
  ]);
  const companyName = (cid: string) => board?.parties.find((p) => p.companyId === cid)?.name ?? c.employerName ?? '—';
  const title = `${c.projectName ?? project?.name ?? t('caseTitle')} · ${c.employerName ?? ''} · ${c.month ?? ''}`;
  document.title = `${t('caseTitle')} ${title} · ${t('appName')}`;
  const timeline = (c.timeline ?? c.events ?? []) as Any[];
  const workers = (c.workers ?? []) as Any[];
  const payments = (c.payments ?? []) as Any[];
  const names = new Map(workers.map((w) => [w.workerId as string, w.name as string]));
  const msg = h('p', { id: 'action-result', role: 'status' }, flash);
  flash = '';

  const act = async (path: string, body: unknown = {}) => {
    msg.textContent = '';
    try {
      await post(path, body);
      flash = t('done');
      await route(); // re-read the case: the stage shown always comes from the API
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return renderError(main, e);
      msg.textContent = `${t('failed')}: ${e instanceof Error ? e.message : String(e)}`;
    }
  };
  const reason = h('input', { id: 'action-reason', name: 'reason', maxlength: 500, size: 40 });
  const button = (idAttr: string, text: string, onclick: () => void, enabled = true) =>
    h('button', { type: 'button', id: idAttr, disabled: !enabled || c.status === 'closed', onclick }, text);

  replace(main,
    h('h1', {}, `${t('caseTitle')} · ${title}`),
    h('section', { class: 'card', 'aria-labelledby': 'case-sum-h' },
      h('h2', { id: 'case-sum-h', class: 'sr-only' }, t('caseTitle')),
      h('dl', { class: 'facts' },
        h('dt', {}, t('stage')), h('dd', { id: 'case-stage', 'data-stage': c.stage }, label(c.stage)),
        h('dt', {}, t('status')), h('dd', {}, label(c.status ?? null)),
        h('dt', {}, t('deadline')), h('dd', {}, shortDate(c.deadline)),
        h('dt', {}, t('month')), h('dd', {}, c.month ?? '—'),
        h('dt', {}, t('project')), h('dd', {}, h('a', { href: `/console/projects/${c.projectId}` }, project?.name ?? c.projectName ?? t('project'))),
        h('dt', {}, t('employer')), h('dd', {}, companyName(c.employerId)),
        h('dt', {}, t('workersOwed')), h('dd', {}, c.workersOwed),
        h('dt', {}, t('amountOwed')), h('dd', {}, yuan(c.amountOwedFen)),
        c.amountClearedFen !== undefined ? [h('dt', {}, t('cleared')), h('dd', {}, yuan(c.amountClearedFen))] : null,
        c.gcOrderIssuedOn ? [h('dt', {}, t('gcOrder')), h('dd', {}, str(c.gcOrderIssuedOn))] : null,
        c.clearedBy && Object.keys(c.clearedBy).length ? [h('dt', {}, t('payments')), h('dd', {}, Object.entries(c.clearedBy as Record<string, number>).map(([k, v]) => `${label(k)} ${yuan(v)}`).join(' · '))] : null,
        c.massIncident ? [h('dt', {}, t('massIncident')), h('dd', {}, '✔')] : null)),
    h('section', { class: 'card', 'aria-labelledby': 'actions-h' },
      h('h2', { id: 'actions-h' }, t('actions')),
      h('label', { for: 'action-reason' }, t('reason')), reason,
      h('div', { class: 'actions' },
        // The server decides which stage changes are allowed (409 otherwise); buttons only mirror the obvious.
        button('act-gc-order', t('gcOrder'), () => void act(`/v1/cases/${c.id}/gc-order`), c.stage === 'overdue_notice'),
        button('act-deposit-notice', t('depositNotice'), () => void act(`/v1/cases/${c.id}/deposit-notice`), c.stage === 'overdue_notice' || c.stage === 'gc_order'),
        button('act-mass-incident', t('massIncident'), () => void act(`/v1/cases/${c.id}/mass-incident`, { note: reason.value.trim() || t('massIncident') }), !c.massIncident),
        button('act-propose-blacklist', t('proposeBlacklist'), () => void act('/v1/blacklist/proposals', {
          companyId: c.employerId, countyCode: c.countyCode, caseIds: [c.id], reason: c.massIncident ? 'mass_incident' : 'arrears_threshold',
          reasonDetail: reason.value.trim() || `${t('caseTitle')} ${title}`,
        }))),
      msg),
    h('section', { class: 'card', 'aria-labelledby': 'timeline-h' },
      h('h2', { id: 'timeline-h' }, t('timeline')),
      h('ol', { class: 'timeline', id: 'case-timeline' }, ...timeline.map((e) => h('li', { 'data-stage': str(e.stage) },
        h('strong', {}, label(str(e.stage))), ' · ', t('date'), ' ', str(e.on ?? e.date), ' · ', t('deadline'), ' ', str(e.deadline ?? null), ' · ', t('actor'), ' ', actorLabel(str(e.actor), t('staff'), t('systemSweep')),
        e.note ? h('span', { class: 'muted' }, ` — ${withoutIds(str(e.note))}`) : null)))),
    h('section', { class: 'card', 'aria-labelledby': 'workers-h' },
      h('h2', { id: 'workers-h' }, t('workersOwed')),
      h('div', { class: 'table-wrap' }, h('table', { id: 'case-workers' },
        h('thead', {}, h('tr', {}, ...[t('worker'), t('idNumber'), t('amountOwed'), t('cleared')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, ...workers.map((w) => h('tr', {},
          h('td', {}, str(w.name ?? '—')), h('td', {}, str(w.idNumberMasked)), h('td', { class: 'num' }, yuan(num(w.amountOwedFen))), h('td', { class: 'num' }, yuan(num(w.amountPaidFen))))))))),
    h('section', { class: 'card', 'aria-labelledby': 'payments-h' },
      h('h2', { id: 'payments-h' }, t('payments')),
      payments.length === 0 ? h('p', { class: 'muted' }, t('none')) : h('div', { class: 'table-wrap' }, h('table', { id: 'case-payments' },
        h('thead', {}, h('tr', {}, ...[t('worker'), t('type'), t('amount'), t('status')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, ...payments.map((p) => h('tr', {},
          h('td', {}, str(names.get(p.workerId as string) ?? '—')), h('td', {}, label(str(p.kind))), h('td', { class: 'num' }, yuan(num(p.amountFen))), h('td', {}, label(str(p.status))))))))));
}
