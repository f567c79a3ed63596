import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { requireRole } from '../auth/auth.plugin.js';
import { encodeCursor, problems, readCursor, seqCursor } from '../platform/common.schemas.js';
import { DeliveriesQuery, DeliverySchema, ReplayBody, SubIdParams, SubscriptionBody, SubscriptionCreated, SubscriptionSchema } from './alerts.schemas.js';
import { createSubscription, deleteSubscription, getSubscription, listDeliveries, listSubscriptions, replaySubscription, toSubView, type SubscriptionInput } from './subscriptions.service.js';

/** Webhook subscriptions: signed (Standard Webhooks) deliveries of alerts into inspectors' own systems. */
export default async function subscriptionRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  app.post('/v1/alert-subscriptions', {
    schema: {
      operationId: 'createAlertSubscription', tags: ['alerts'], summary: 'Subscribe a URL to alerts; returns the signing secret once',
      body: SubscriptionBody, response: { 201: SubscriptionCreated, ...problems(400, 401, 403, 409, 422) },
    },
  }, async (req, reply) => {
    const p = requireRole(req, 'admin', 'inspector', 'regulator', 'contractor');
    return reply.code(201).send(await createSubscription(deps, p, req.body as SubscriptionInput));
  });

  app.get('/v1/alert-subscriptions', {
    schema: { operationId: 'listAlertSubscriptions', tags: ['alerts'], summary: 'Your subscriptions (admin: all)', response: { 200: Type.Object({ items: Type.Array(SubscriptionSchema) }), ...problems(401, 403) } },
  }, async (req) => ({ items: await listSubscriptions(deps.db, requireRole(req)) }));

  app.get('/v1/alert-subscriptions/:id', {
    schema: { operationId: 'getAlertSubscription', tags: ['alerts'], summary: 'One subscription', params: SubIdParams, response: { 200: SubscriptionSchema, ...problems(401, 403, 404) } },
  }, async (req) => toSubView(await getSubscription(deps.db, requireRole(req), (req.params as { id: string }).id)));

  app.delete('/v1/alert-subscriptions/:id', {
    schema: { operationId: 'deleteAlertSubscription', tags: ['alerts'], summary: 'Stop and remove a subscription', params: SubIdParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } },
  }, async (req, reply) => {
    await deleteSubscription(deps.db, requireRole(req), (req.params as { id: string }).id);
    return reply.code(204).send();
  });

  app.get('/v1/alert-subscriptions/:id/deliveries', {
    schema: {
      operationId: 'listAlertDeliveries', tags: ['alerts'], summary: 'Delivery log of a subscription, newest first (one row per attempt)',
      params: SubIdParams, querystring: DeliveriesQuery,
      response: { 200: Type.Object({ items: Type.Array(DeliverySchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...problems(400, 401, 403, 404) },
    },
  }, async (req) => {
    const q = req.query as { limit?: number; cursor?: string };
    const before = readCursor(q.cursor, seqCursor('b'))?.b ?? null;
    const limit = q.limit ?? 100;
    const items = await listDeliveries(deps.db, requireRole(req), (req.params as { id: string }).id, before, limit);
    return { items, nextCursor: items.length === limit ? encodeCursor({ b: items[items.length - 1]!.seq }) : null };
  });

  app.post('/v1/alert-subscriptions/:id/replay', {
    schema: {
      operationId: 'replayAlertSubscription', tags: ['alerts'], summary: 'Re-send chosen alerts (ids or since a time); re-activates a paused or disabled subscription',
      params: SubIdParams, body: ReplayBody,
      response: { 202: Type.Object({ enqueued: Type.Integer(), replayId: Type.String() }), ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (req, reply) => {
    const out = await replaySubscription(deps, requireRole(req), (req.params as { id: string }).id, req.body as { alertIds?: string[]; since?: string });
    return reply.code(202).send(out);
  });
}
