/** Every figure and action goes through the public /v1 API with the session cookie (no second source of truth). */
export interface Session {
  role: string;
  label: string;
  countyCodes: string[];
  countyNames?: Record<string, { zh: string; en: string }>;
  csrfToken: string;
}
export class ApiError extends Error {
  constructor(readonly status: number, readonly detail: string) {
    super(detail);
  }
}

let session: Session | null = null;
export const currentSession = () => session;

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session) {
    headers['x-csrf-token'] = session.csrfToken;
    // A double click or a retried request must not act twice: the API honours Idempotency-Key on POST.
    if (method === 'POST') headers['idempotency-key'] = crypto.randomUUID();
  }
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (r.status === 204) return undefined as T;
  const text = await r.text();
  const json = text ? JSON.parse(text) : null;
  if (!r.ok) throw new ApiError(r.status, (json && (json.detail || json.title)) || r.statusText);
  return json as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => call<T>('POST', path, body);

export async function loadSession(): Promise<Session | null> {
  try {
    session = await get<Session>('/console/api/session');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) session = null;
    else throw e;
  }
  return session;
}
export async function signIn(apiKey: string): Promise<Session> {
  session = await call<Session>('POST', '/console/api/session', { apiKey });
  return session;
}
export async function signOut(): Promise<void> {
  await call('DELETE', '/console/api/session');
  session = null;
}

/** Query string from the defined values only. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? '?' + s : '';
}
