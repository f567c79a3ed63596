import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { AppError, BadRequestError } from '../../lib/errors.js';
import { requireRole } from '../auth/auth.plugin.js';
import { encodeCursor, problems, readCursor, seqCursor } from '../platform/common.schemas.js';
import { getAlertSettings } from './alert-settings.js';
import { AlertHub, type StreamClient } from './alert-stream.js';
import { FeedPage, FeedQuery, StreamQuery } from './alerts.schemas.js';
import { assertAlertReader, gcProjectIds, listAlerts, toView, type AlertFilter } from './alerts.service.js';
import metricsRoutes from './metrics.routes.js';
import subscriptionRoutes from './subscriptions.routes.js';

type FilterQuery = { countyCode?: string; type?: string; severity?: string; projectId?: string; companyId?: string; since?: string; kind?: string; lang?: 'zh' | 'en' };

const toFilter = (q: FilterQuery): AlertFilter => ({
  countyCodes: q.countyCode ? [q.countyCode] : undefined,
  types: q.type ? [q.type] : undefined,
  severities: q.severity ? [q.severity] : undefined,
  projectId: q.projectId,
  companyId: q.companyId,
  since: q.since,
  kinds: q.kind ? [q.kind] : undefined,
});

/** Routes of the alerts context: pull feed, SSE stream, webhook subscriptions, compliance metrics. */
export default async function alertsRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const hub = new AlertHub(deps.db, deps.config.databaseUrl, () => getAlertSettings(deps.db), (e) => app.log.warn({ err: e }, 'alert stream'));
  // preClose: open SSE responses would otherwise keep server.close() waiting forever.
  app.addHook('preClose', async () => hub.close());

  app.get('/v1/alerts', {
    schema: {
      operationId: 'listAlerts', tags: ['alerts'], summary: 'Alert feed, oldest first after the cursor (inspector: own counties; regulator: own industries; contractor: its company and its projects, by alert audience; admin: all)',
      querystring: FeedQuery, response: { 200: FeedPage, ...problems(400, 401, 403) },
    },
  }, async (req) => {
    const p = requireRole(req);
    assertAlertReader(p);
    const q = req.query as FilterQuery & { limit?: number; cursor?: string };
    const after = readCursor(q.cursor, seqCursor('s'))?.s ?? 0;
    const limit = q.limit ?? 100;
    const rows = await listAlerts(deps.db, p, toFilter(q), after, limit + 1);
    const items = rows.slice(0, limit).map((r) => toView(r, q.lang ?? 'zh'));
    const last = items.length ? items[items.length - 1]!.seq : after;
    return { items, nextCursor: encodeCursor({ s: last }), hasMore: rows.length > limit };
  });

  // Open streams per key on this process: each holds a socket, a heartbeat timer and a place in the hub, so one
  // key (or a leaked one) must not open thousands.
  const openStreams = new Map<string, number>();
  app.get('/v1/alerts/stream', {
    schema: {
      operationId: 'streamAlerts', tags: ['alerts'],
      summary: 'Server-Sent Events: `id:` = alert seq, `event: alert`, `data:` = alert JSON; `Last-Event-ID` resumes without gaps; comment heartbeats',
      querystring: StreamQuery,
      response: { 200: Type.String({ description: 'text/event-stream' }), ...problems(400, 401, 403, 429) },
    },
  }, async (req, reply) => {
    const p = requireRole(req);
    assertAlertReader(p);
    const open = openStreams.get(p.id) ?? 0;
    if (open >= deps.config.sseMaxStreamsPerKey) {
      throw new AppError(429, 'too_many_streams', `This key already holds ${open} open alert streams (at most ${deps.config.sseMaxStreamsPerKey}); close one first`);
    }
    const q = req.query as FilterQuery & { lastEventId?: string };
    const header = req.headers['last-event-id'];
    const rawLast = (typeof header === 'string' && header !== '' ? header : undefined) ?? q.lastEventId;
    if (rawLast !== undefined && !/^\d{1,18}$/.test(rawLast)) throw new BadRequestError('Last-Event-ID must be an alert seq', [{ path: 'headers.last-event-id', message: 'expected a non-negative integer' }]);
    const settings = await getAlertSettings(deps.db);
    const gcProjects = p.role === 'contractor' && p.companyId ? await gcProjectIds(deps.db, p.companyId) : undefined;
    // With neither a resume point nor `since`, the stream starts live from now.
    const replayFrom = rawLast !== undefined ? Number(rawLast) : q.since ? 0 : null;

    reply.hijack();
    openStreams.set(p.id, (openStreams.get(p.id) ?? 0) + 1);
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
      'x-request-id': req.id,
    });
    res.write(`retry: 2000\n: connected\n\n`);
    const client: StreamClient = {
      principal: p, filter: toFilter(q), sinceMs: q.since ? Date.parse(q.since) : undefined, lang: q.lang ?? 'zh',
      res, cursor: 0, pending: null, closed: false, gcProjects,
    };
    const hb = setInterval(() => res.write(': heartbeat\n\n'), settings.heartbeatMs);
    req.raw.socket.setNoDelay(true);
    let counted = true;
    const done = () => {
      clearInterval(hb);
      hub.remove(client);
      if (counted) {
        counted = false;
        const n = (openStreams.get(p.id) ?? 1) - 1;
        if (n > 0) openStreams.set(p.id, n);
        else openStreams.delete(p.id);
      }
    };
    res.on('close', done);
    try {
      await hub.add(client, replayFrom, deps.db);
    } catch (e) {
      app.log.error({ err: e }, 'alert stream start failed');
      done();
      res.end();
    }
  });

  await app.register(subscriptionRoutes, { deps });
  await app.register(metricsRoutes, { deps });
}
