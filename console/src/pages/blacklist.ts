import { currentSession, get, post } from '../api.js';
import { h, replace } from '../dom.js';
import { label, t } from '../i18n.js';
import { route } from '../main.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API payloads rendered as they come (the typed contract is openapi.json; the console only displays fields)
type Any = Record<string, any>;
const th = (...xs: string[]) => h('thead', {}, h('tr', {}, ...xs.map((x) => h('th', { scope: 'col' }, x))));
const items = (r: Any | null) => (r ? ((r.items ?? r) as Any[]) : []);

export async function renderBlacklist(main: HTMLElement): Promise<void> {
  document.title = `${t('blacklist')} · ${t('appName')}`;
  const [entries, proposals] = await Promise.all([
    get<Any>('/v1/blacklist'),
    get<Any>('/console/api/blacklist/proposals'),
  ]);
  const msg = h('p', { id: 'decision-result', role: 'status' });
  const decide = async (path: string, body: Any) => {
    try {
      await post(path, body);
      await route();
    } catch (e) {
      msg.textContent = `${t('failed')}: ${e instanceof Error ? e.message : String(e)}`;
    }
  };
  const canDecide = ['inspector', 'admin'].includes(currentSession()?.role ?? '');
  const pending = items(proposals);

  replace(main,
    h('h1', {}, t('blacklist')),
    msg,
    h('section', { class: 'card', 'aria-labelledby': 'prop-h' },
      h('h2', { id: 'prop-h' }, t('proposals')),
      pending.length === 0 ? h('p', { class: 'muted' }, t('none')) : h('div', { class: 'table-wrap' }, h('table', { id: 'proposals-table' },
        th(t('company'), t('status'), t('reason'), t('deadline'), t('objections'), t('decision')),
        h('tbody', {}, ...pending.map((p) => {
          const obj = (p.objection ?? null) as Any | null;
          const reason = h('input', { 'aria-label': `${t('reason')} ${p.companyName}`, maxlength: 2000, size: 16 });
          const why = (fallback: string) => reason.value.trim() || fallback;
          // An objection is decided (uphold / dismiss); a proposal without a pending objection may be listed.
          const buttons = p.status === 'objected' && obj && !obj.decision
            ? [h('button', { type: 'button', class: 'secondary', onclick: () => void decide(`/v1/blacklist/proposals/${p.id}/decision`, { decision: 'uphold_objection', reason: why(t('upholdObjection')) }) }, t('upholdObjection')),
               h('button', { type: 'button', onclick: () => void decide(`/v1/blacklist/proposals/${p.id}/decision`, { decision: 'dismiss_objection', reason: why(t('dismissObjection')) }) }, t('dismissObjection'))]
            : [h('button', { type: 'button', onclick: () => void decide(`/v1/blacklist/proposals/${p.id}/list`, { reason: why(t('listNow')) }) }, t('listNow'))];
          return h('tr', { 'data-proposal-id': p.id },
            h('td', {}, `${p.companyName} ${p.creditCode}`), h('td', {}, label(p.status)),
            h('td', {}, `${label(p.reason)} · ${p.reasonDetail}`), h('td', {}, p.objectionDeadline ?? '—'),
            h('td', {}, obj ? `${obj.statement}${obj.decision ? ` → ${label(obj.decision)}` : ''}` : '—'),
            h('td', {}, canDecide ? [reason, ...buttons] : '—'));
        }))))),
    h('section', { class: 'card', 'aria-labelledby': 'entries-h' },
      h('h2', { id: 'entries-h' }, t('entries')),
      items(entries).length === 0 ? h('p', { class: 'muted' }, t('none')) : h('div', { class: 'table-wrap' }, h('table', { id: 'blacklist-table' },
        th(t('company'), t('creditCode'), t('reason'), t('listedOn'), t('expiresOn')),
        h('tbody', {}, ...items(entries).map((e) => h('tr', {},
          h('td', {}, e.companyName ?? e.companyId), h('td', {}, e.creditCode), h('td', {}, label(e.reason)), h('td', {}, e.listedOn ?? '—'), h('td', {}, e.expiresOn ?? '—'))))))));
}
