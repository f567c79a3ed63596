import { get, post } from '../api.js';
import { h, replace, yuan } from '../dom.js';
import { getLang } from '../i18n.js';
import { route } from '../main.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows of GET /v1/complaints as JSON; the page reads a handful of fields by name
type Any = Record<string, any>;
/** This page's words (kept here so the shared dictionary stays small). */
const W = {
  zh: { title: '欠薪线索', none: '暂无线索', ref: '编号', project: '项目', claim: '诉求', complainant: '投诉人', due: '答复期限', status: '状态', caseCol: '案件', decision: '处理',
    overdue: '已逾期', reply: '答复内容（投诉人可见，并短信通知）', go: '提交', caseId: '并入案件编号', workers: '人', failed: '操作失败',
    actions: { accept: '受理', merge: '并案', reject: '不予受理', resolve: '办结' }, statuses: { received: '待答复', accepted: '已受理', merged: '已并案', rejected: '不予受理', resolved: '已办结' } },
  en: { title: 'Arrears complaints', none: 'No complaints', ref: 'Ref', project: 'Project', claim: 'Claim', complainant: 'Complainant', due: 'Answer by', status: 'Status', caseCol: 'Case', decision: 'Decision',
    overdue: 'Overdue', reply: 'Reply (the complainant reads it, by SMS too)', go: 'Submit', caseId: 'Merge into case id', workers: 'workers', failed: 'Failed',
    actions: { accept: 'Accept', merge: 'Merge', reject: 'Reject', resolve: 'Resolve' }, statuses: { received: 'Awaiting answer', accepted: 'Accepted', merged: 'Merged', rejected: 'Rejected', resolved: 'Resolved' } },
};
const th = (...xs: string[]) => h('thead', {}, h('tr', {}, ...xs.map((x) => h('th', { scope: 'col' }, x))));

/** Inspectors' complaint queue: overdue first (the API's order), the decision form, a link to the case. */
export async function renderComplaints(main: HTMLElement): Promise<void> {
  const w = W[getLang()];
  document.title = w.title;
  const list = await get<{ items: Any[] }>('/v1/complaints?limit=200');
  const msg = h('p', { id: 'complaint-result', role: 'status' });
  const open = (c: Any) => c.status === 'received' || c.status === 'accepted';
  const decisionForm = (c: Any) => {
    const action = h('select', { 'aria-label': `${w.decision} ${c.ref}` },
      ...(c.status === 'received' ? ['accept', 'merge', 'reject', 'resolve'] : ['merge', 'resolve']).map((a) => h('option', { value: a }, w.actions[a as keyof typeof w.actions])));
    const caseId = h('input', { 'aria-label': `${w.caseId} ${c.ref}`, placeholder: w.caseId, size: 12, maxlength: 36 });
    const reply = h('textarea', { 'aria-label': `${w.reply} ${c.ref}`, placeholder: w.reply, rows: 2, maxlength: 2000 });
    // The handler settles its own errors (shown in the status line), so the click need not await it.
    const go = h('button', { type: 'button', onclick: () => void (async () => {
      try {
        await post(`/v1/complaints/${c.id}/decisions`, { action: action.value, reply: reply.value.trim(), ...(caseId.value.trim() ? { caseId: caseId.value.trim() } : {}) });
        await route();
      } catch (e) {
        msg.textContent = `${w.failed}: ${e instanceof Error ? e.message : String(e)}`;
      }
    })() }, w.go);
    return [action, caseId, reply, go];
  };
  replace(main,
    h('h1', {}, w.title), msg,
    list.items.length === 0 ? h('p', { class: 'muted' }, w.none) : h('div', { class: 'table-wrap' }, h('table', { id: 'complaints-table' },
      th(w.ref, w.project, w.claim, w.complainant, w.due, w.status, w.caseCol, w.decision),
      h('tbody', {}, ...list.items.map((c) => h('tr', { 'data-complaint-id': c.id, class: c.overdue ? 'overdue' : '' },
        h('td', {}, c.ref, h('br', {}), h('span', { class: `sev ${c.severity}` }, c.severity)),
        h('td', {}, c.projectName, h('br', {}), h('span', { class: 'muted' }, c.employerName ?? '—')),
        h('td', {}, `${yuan(c.amountClaimedFen)} · ${c.workersAffected} ${w.workers}`, h('br', {}), h('span', { class: 'muted' }, c.months.join(', '))),
        h('td', {}, c.complainantName ?? '—', h('br', {}), h('span', { class: 'muted' }, c.complainantPhoneMasked ?? '')),
        h('td', {}, c.dueOn, c.overdue ? [h('br', {}), h('strong', { class: 'overdue-badge' }, w.overdue)] : null),
        h('td', {}, w.statuses[c.status as keyof typeof w.statuses] ?? c.status),
        h('td', {}, c.caseId ? h('a', { href: `/console/cases/${c.caseId}` }, c.caseId.slice(-8)) : '—'),
        h('td', {}, open(c) ? decisionForm(c) : '—')))))));
}
