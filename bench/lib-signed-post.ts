import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { signWebhook } from '../src/lib/crypto.js';
import { requestJson } from './lib-http.js';

export interface SignedPoster {
  post(body: Buffer): Promise<{ status: number; json: { duplicate?: boolean } }>;
  close(): void;
}

/**
 * Posts pre-encoded webhook bodies signed per Standard Webhooks over a keep-alive agent. `fetch`
 * cost the benchmark's client ~8 ms CPU per 160 KB event on the shared 2 cores, more than the API
 * and Postgres together; a real bank sends from its own machine, so the load generator must stay
 * cheap (this one: ~1 ms per event).
 */
export function signedPoster(port: number, path: string, secret: string, sockets: number): SignedPoster {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const post = (body: Buffer) => {
    const id = `msg_${randomUUID()}`;
    const ts = Math.floor(Date.now() / 1000);
    return requestJson<{ duplicate?: boolean }>({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: {
      'content-type': 'application/json', 'content-length': body.byteLength, 'webhook-id': id, 'webhook-timestamp': String(ts),
      'webhook-signature': signWebhook(secret, id, ts, body) } }, (req) => req.end(body));
  };
  return { post, close: () => agent.destroy() };
}
