import { currentSession, get, qs } from './api.js';
import { h } from './dom.js';
import { getLang } from './i18n.js';

/** A county as a person says it (长岭县), from the session; an unknown code shows as itself. */
export function countyLabel(code: string | null | undefined): string {
  if (!code) return '—';
  return currentSession()?.countyNames?.[code]?.[getLang()] ?? code;
}

export interface Pick { id: string; name: string }

/**
 * A picker: a text box searched by name against /v1/directory/{kind} (the caller's counties only),
 * offering matches in a datalist. The chosen id is kept on the input (`data-id`); ids never show.
 */
export function picker(kind: 'projects' | 'companies', id: string, initial: Pick | null, onPick: (p: Pick | null) => void): { node: HTMLElement; input: HTMLInputElement } {
  const list = h('datalist', { id: `${id}-options` });
  const input = h('input', { id, type: 'search', list: `${id}-options`, value: initial?.name ?? '', autocomplete: 'off', size: 22 });
  if (initial) input.dataset.id = initial.id;
  let found: Pick[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const search = async () => {
    const r = await get<{ items: Pick[] }>(`/v1/directory/${kind}` + qs({ q: input.value.trim(), limit: 20 }));
    found = r.items;
    list.replaceChildren(...found.map((x) => h('option', { value: x.name })));
    // A name typed (or pasted) in full before the matches arrived is a choice too.
    const exact = found.find((x) => x.name === input.value);
    if (exact && input.dataset.id !== exact.id) {
      input.dataset.id = exact.id;
      onPick(exact);
    }
  };
  input.addEventListener('focus', () => void search());
  input.addEventListener('input', () => {
    const exact = found.find((x) => x.name === input.value);
    if (exact || input.value === '') {
      input.dataset.id = exact?.id ?? '';
      onPick(exact ?? null);
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(() => void search(), 200);
  });
  return { node: h('span', { class: 'picker' }, input, list), input };
}

const UUID_G = /\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** Free text written by the server (timeline notes) without the ids it may quote: ids belong in links. */
export const withoutIds = (s: string): string => s.replace(UUID_G, '').replace(/\s+([:,)])/g, '$1').trim();
/** Who acted: the sweep, or a person / system key (shown by role, never by key id). */
export const actorLabel = (actor: string, staff: string, system: string): string =>
  /^[0-9a-f-]{36}$/i.test(actor) ? staff : actor === 'sweep' ? system : withoutIds(actor) || staff;
