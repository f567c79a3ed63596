import { createHash } from 'node:crypto';
import type { Http } from '../../src/modules/disbursement/sim/bank-sim.js';

/**
 * The scenario talks to WageGuard only over HTTP, like any client. Every POST carries an
 * Idempotency-Key derived from the scenario step, so a retry after a dropped connection, a 5xx or a
 * restarting Postgres is safe; requests are retried until `patienceMs` runs out.
 */
export class ApiError extends Error {
  constructor(public status: number, public body: string, what: string) {
    super(`${what} → ${status} ${body.slice(0, 300)}`);
  }
}

export interface ClientOptions {
  baseUrl: string; patienceMs?: number; log?: (m: string) => void;
  /** Mixed into every derived Idempotency-Key (the run's tag): a second run on the same database must not be
   *  answered with the first run's stored responses (it was, for identical requests such as inspector keys). */
  keyPrefix?: string;
}

export class Client {
  retries = 0;
  requests = 0;
  constructor(private o: ClientOptions) {}

  private async send(method: string, path: string, auth: string | null, body: string | undefined, headers: Record<string, string>): Promise<{ status: number; text: string }> {
    const deadline = Date.now() + (this.o.patienceMs ?? 120_000);
    for (let attempt = 0; ; attempt++) {
      try {
        this.requests++;
        const res = await fetch(this.o.baseUrl.replace(/\/$/, '') + path, {
          method, body, headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...headers }, signal: AbortSignal.timeout(60_000),
        });
        const text = await res.text();
        // 5xx and 429: the platform (or its database) is briefly away; the key makes the retry safe.
        // 409 idempotency_in_progress: an earlier attempt with this key still holds it — or died holding it
        // (Postgres restarted mid-request, so its 5xx could not free the key): the platform lets a retry
        // take a key over once it is a minute old. Retrying is what the answer asks for.
        const busy = res.status === 409 && text.includes('idempotency_in_progress');
        if ((res.status >= 500 || res.status === 429 || busy) && Date.now() < deadline) throw new ApiError(res.status, text, `${method} ${path}`);
        return { status: res.status, text };
      } catch (e) {
        if (Date.now() >= deadline) throw e;
        this.retries++;
        if (attempt % 10 === 9) this.o.log?.(`retrying ${method} ${path}: ${(e as Error).message.slice(0, 120)}`);
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  async req<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, auth: string | null, body?: unknown, o: { key?: string; expect?: number[]; contentType?: string } = {}): Promise<T> {
    const headers: Record<string, string> = {};
    let raw: string | undefined;
    if (body !== undefined) {
      raw = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = o.contentType ?? 'application/json';
    }
    if (method === 'POST') headers['idempotency-key'] = o.key ?? createHash('sha256').update(`${this.o.keyPrefix ?? ''}\n${path}\n${raw ?? ''}`).digest('hex').slice(0, 64);
    const r = await this.send(method, path, auth, raw, headers);
    const ok = o.expect ?? [200, 201, 202, 204];
    if (!ok.includes(r.status)) throw new ApiError(r.status, r.text, `${method} ${path}`);
    return (r.text ? JSON.parse(r.text) : null) as T;
  }

  get<T>(path: string, auth: string | null) { return this.req<T>('GET', path, auth); }
  post<T>(path: string, auth: string | null, body?: unknown, o: { key?: string; expect?: number[]; contentType?: string } = {}) { return this.req<T>('POST', path, auth, body ?? {}, o); }

  /** All pages of a list endpoint. */
  async all<T>(path: string, auth: string): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page: { items: T[]; nextCursor: string | null; hasMore?: boolean } = await this.get(`${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, auth);
      out.push(...page.items);
      // a feed (alerts) always hands back a cursor to tail from: stop when it says there is no more
      cursor = page.items.length === 0 || page.hasMore === false ? null : page.nextCursor;
    } while (cursor);
    return out;
  }

  /** Transport for the disbursement module's bank simulator, with the same patience. */
  http(): Http {
    return async (r) => {
      const x = await this.send(r.method, r.path, null, r.body, r.headers);
      return { status: x.status, body: x.text };
    };
  }
}
