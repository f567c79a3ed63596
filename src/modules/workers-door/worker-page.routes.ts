import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** The page's sources live in `worker-page/` at the repository root: plain files, no build step. */
export const WORKER_PAGE_DIR = fileURLToPath(new URL('../../../worker-page/', import.meta.url));
const FILES: Record<string, string> = { 'index.html': 'text/html; charset=utf-8', 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };
const hidden = { hide: true, tags: ['workers'] };

/** `/w/`: the worker's phone-first page on the same server (it talks to /v1 with the session cookie). */
export async function workerPageRoutes(app: FastifyInstance) {
  const files = new Map<string, { body: Buffer; type: string; etag: string }>();
  for (const [name, type] of Object.entries(FILES)) {
    const body = await readFile(WORKER_PAGE_DIR + name);
    files.set(name, { body, type, etag: '"' + createHash('sha256').update(body).digest('base64url').slice(0, 16) + '"' });
  }
  const send = (name: string) => async (req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const f = files.get(name)!;
    if (req.headers['if-none-match'] === f.etag) return reply.code(304).send();
    // Small files, revalidated with the ETag: a slow connection downloads them once.
    return reply.header('content-type', f.type).header('etag', f.etag).header('cache-control', 'no-cache').send(f.body);
  };
  app.get('/w', { schema: hidden }, async (_req, reply) => reply.redirect('/w/'));
  app.get('/w/', { schema: hidden }, send('index.html'));
  app.get('/w/app.js', { schema: hidden }, send('app.js'));
  app.get('/w/app.css', { schema: hidden }, send('app.css'));
}
