import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { ApiError, currentSession, loadSession, signOut } from './api.js';
import { h, replace } from './dom.js';
import { getLang, setLang, t } from './i18n.js';
import { renderAlerts } from './pages/alerts.js';
import { renderBlacklist } from './pages/blacklist.js';
import { renderCase, renderCases } from './pages/cases.js';
import { renderComplaints } from './pages/complaints.js';
import { renderCountyProjects } from './pages/county-projects.js';
import { renderOverview } from './pages/overview.js';
import { renderProject } from './pages/project.js';
import { renderSignIn } from './pages/signin.js';
import { countyLabel } from './names.js';

/** A page renders into `main` and may return a cleanup (close an EventSource, drop a chart). */
export type Page = (main: HTMLElement, params: string[], query: URLSearchParams) => Promise<void | (() => void)>;

const ROUTES: [RegExp, Page][] = [
  [/^\/console\/?$/, renderOverview],
  [/^\/console\/alerts\/?$/, renderAlerts],
  [/^\/console\/cases\/?$/, renderCases],
  [/^\/console\/cases\/([\w-]+)\/?$/, renderCase],
  [/^\/console\/projects\/?$/, renderCountyProjects],
  [/^\/console\/projects\/([\w-]+)\/?$/, renderProject],
  [/^\/console\/blacklist\/?$/, renderBlacklist],
  [/^\/console\/complaints\/?$/, renderComplaints],
];

let cleanup: (() => void) | null = null;

export function navigate(url: string): void {
  history.pushState(null, '', url);
  void route();
}

function header(): HTMLElement {
  const s = currentSession();
  const path = location.pathname;
  const link = (href: string, text: string, match: RegExp) =>
    h('a', { href, 'aria-current': match.test(path) ? 'page' : null }, text);
  return h('div', { class: 'bar' },
    h('a', { class: 'brand', href: '/console/' }, t('appName')),
    s ? h('nav', { 'aria-label': 'main' },
      link('/console/', t('overview'), /^\/console\/?$/),
      link('/console/alerts', t('alerts'), /^\/console\/alerts/),
      link('/console/cases', t('cases'), /^\/console\/cases/),
      link('/console/blacklist', t('blacklist'), /^\/console\/blacklist/),
      link('/console/complaints', getLang() === 'zh' ? '欠薪线索' : 'Complaints', /^\/console\/complaints/)) : null,
    h('div', { class: 'who' },
      s ? h('span', { class: 'muted' }, `${s.label} · ${s.role}${s.countyCodes.length ? ' · ' + s.countyCodes.map(countyLabel).join('、') : ''}`) : null,
      h('button', { type: 'button', class: 'link', id: 'lang', lang: getLang() === 'zh' ? 'en' : 'zh', onclick: () => { setLang(getLang() === 'zh' ? 'en' : 'zh'); void route(); } }, t('switchLang')),
      s ? h('button', { type: 'button', class: 'link', id: 'sign-out', onclick: () => { void signOut().then(() => navigate('/console/')); } }, t('signOut')) : null));
}

export async function route(): Promise<void> {
  cleanup?.();
  cleanup = null;
  const main = document.getElementById('main')!;
  const top = document.getElementById('top')!;
  document.documentElement.lang = getLang() === 'zh' ? 'zh-CN' : 'en';
  if (!currentSession()) await loadSession();
  replace(top, header());
  if (!currentSession()) {
    await renderSignIn(main, () => void route());
    return;
  }
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  for (const [re, page] of ROUTES) {
    const m = re.exec(path);
    if (!m) continue;
    replace(main, h('p', { class: 'loading' }, t('loading')));
    try {
      cleanup = (await page(main, m.slice(1), query)) ?? null;
    } catch (e) {
      renderError(main, e);
    }
    return;
  }
  renderError(main, new ApiError(404, 'not found'));
}

export function renderError(main: HTMLElement, e: unknown): void {
  const status = e instanceof ApiError ? e.status : 0;
  if (status === 401) {
    void loadSession().then(() => route());
    return;
  }
  document.title = `${status === 404 ? t('notFound') : t('error')} · ${t('appName')}`;
  replace(main, h('section', { class: 'card error', 'data-status': status },
    h('h1', {}, status === 404 ? t('notFound') : t('error')),
    status !== 404 ? h('p', {}, e instanceof Error ? e.message : String(e)) : null,
    h('p', {}, h('a', { href: '/console/' }, t('back')))));
}

// Client-side navigation for links inside the console; everything else behaves normally.
document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/console')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', () => void route());
void route();
