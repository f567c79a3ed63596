import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { signWebhook } from '../src/lib/crypto.js';

export interface SignedPoster {
  post(body: Buffer): Promise<{ status: number; json: { duplicate?: boolean } }>;
  close(): void;
}

/**
 * Posts pre-encoded webhook bodies signed per Standard Webhooks, over node:http with a keep-alive
 * agent. `fetch` cost the benchmark's client ~8 ms CPU per 160 KB event on the shared 2 cores, more
 * than the API and Postgres together; a real bank sends from its own machine, so the load generator
 * must stay cheap (this one: ~1 ms per event).
 */
export function signedPoster(port: number, path: string, secret: string, sockets: number): SignedPoster {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const post = (body: Buffer) => new Promise<{ status: number; json: { duplicate?: boolean } }>((resolve, reject) => {
    const id = `msg_${randomUUID()}`;
    const ts = Math.floor(Date.now() / 1000);
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: {
      'content-type': 'application/json', 'content-length': body.byteLength, 'webhook-id': id, 'webhook-timestamp': String(ts),
      'webhook-signature': signWebhook(secret, id, ts, body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (e) {
          reject(e);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  return { post, close: () => agent.destroy() };
}
