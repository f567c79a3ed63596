import { ApiError, signIn } from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';

export async function renderSignIn(main: HTMLElement, done: () => void): Promise<void> {
  document.title = `${t('signIn')} · ${t('appName')}`;
  const input = h('input', { id: 'api-key', name: 'apiKey', type: 'password', autocomplete: 'off', required: true, maxlength: 200 });
  const msg = h('p', { class: 'error-text', role: 'alert', id: 'sign-in-error' });
  const form = h('form', { class: 'card narrow', id: 'sign-in' },
    h('h1', {}, t('signInTitle')),
    h('label', { for: 'api-key' }, t('apiKey')), input,
    h('p', { class: 'muted' }, t('signInHint')),
    msg,
    h('button', { type: 'submit' }, t('signIn')));
  form.addEventListener('submit', (e) => void (async () => {
    e.preventDefault();
    msg.textContent = '';
    try {
      await signIn(input.value.trim());
      input.value = '';
      done();
    } catch (err) {
      msg.textContent = err instanceof ApiError && err.status === 403 ? t('wrongRole') : err instanceof ApiError && err.status < 500 ? t('badKey') : t('error');
    }
  })());
  replace(main, form);
  input.focus();
}
