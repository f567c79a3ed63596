import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'drizzle-orm';
import type { Deps } from '../../deps.js';
import { chinaToday } from '../../lib/calendar.js';
import { requireRole } from '../auth/auth.plugin.js';
import { projectScope, requireRelation } from '../auth/scope.js';
import { IdParams, problems } from '../platform/common.schemas.js';
import * as S from './lifecycle.schemas.js';
import { addLegalHold, closeProject, declareCompletion, excuseLine, getCompletion, releaseLegalHold } from './lifecycle.service.js';
import { runNightlyLife } from './nightly.service.js';

const TAGS = ['lifecycle'];
type P = { id: string };

/** A project's life: completion (竣工) with its settlement check, closure, legal holds, retention. */
export default async function lifecycleRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const { db } = deps;
  const today = () => chinaToday(deps.now());
  const scope = async (req: FastifyRequest) => projectScope(db, requireRole(req), (req.params as P).id);
  const actorOf = (req: FastifyRequest) => `${req.principal!.role}:${req.principal!.id}`;

  app.get('/v1/projects/:id/completion', {
    schema: { operationId: 'getCompletion', tags: TAGS, summary: 'Life stage of the project and what blocks completion', params: IdParams, response: { 200: S.CompletionView, ...problems(401, 403, 404) } },
  }, async (req) => {
    const s = await scope(req);
    requireRelation(s, 'gc', 'inspector', 'admin');
    return getCompletion(db, s.projectId);
  });

  app.post('/v1/projects/:id/completion', {
    schema: { operationId: 'declareCompletion', tags: TAGS, summary: 'GC declares completion (竣工); completed once the settlement check finds no blocker (re-post to re-check)',
      params: IdParams, body: S.CompletionBody, response: { 200: S.CompletionView, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (req) => {
    const s = await scope(req);
    requireRelation(s, 'gc');
    return db.transaction((tx) => declareCompletion(tx, s.projectId, (req.body as { completedOn: string }).completedOn, today(), actorOf(req)));
  });

  app.post('/v1/projects/:id/closure', {
    schema: { operationId: 'closeProject', tags: TAGS, summary: 'Close a completed project whose wage account the bank closed: read-only, the retention clock starts',
      params: IdParams, response: { 200: S.CompletionView, ...problems(401, 403, 404, 422) } },
  }, async (req) => {
    const s = await scope(req);
    requireRelation(s, 'gc');
    return db.transaction((tx) => closeProject(tx, s.projectId, today(), actorOf(req)));
  });

  app.post('/v1/projects/:id/wage-lines/:lineId/excuse', {
    schema: { operationId: 'excuseWageLine', tags: TAGS, summary: 'Inspector excuses an unpaid line from the settlement check, with a reason (audited)',
      params: S.LineParams, body: S.ReasonBody, response: { 200: S.ExcuseOut, ...problems(400, 401, 403, 404) } },
  }, async (req) => {
    const s = await scope(req);
    requireRelation(s, 'inspector');
    const { lineId } = req.params as { lineId: string };
    const r = await db.transaction((tx) => excuseLine(tx, s.projectId, lineId, (req.body as { reason: string }).reason, actorOf(req)));
    return { lineId: r.lineId, excused: r.excused, reason: r.reason };
  });

  app.post('/v1/projects/:id/legal-holds', {
    schema: { operationId: 'addLegalHold', tags: TAGS, summary: "Inspector's legal hold: the project's personal data is kept past its retention date",
      params: IdParams, body: S.ReasonBody, response: { 201: S.LegalHold, ...problems(400, 401, 403, 404) } },
  }, async (req, reply) => {
    const s = await scope(req);
    requireRelation(s, 'inspector');
    const out = await db.transaction((tx) => addLegalHold(tx, s.projectId, (req.body as { reason: string }).reason, today(), actorOf(req)));
    return reply.code(201).send(out);
  });

  app.get('/v1/projects/:id/legal-holds', {
    schema: { operationId: 'listLegalHolds', tags: TAGS, summary: 'Legal holds of a project, open and released', params: IdParams, response: { 200: S.LegalHoldList, ...problems(401, 403, 404) } },
  }, async (req) => {
    const s = await scope(req);
    requireRelation(s, 'gc', 'inspector', 'admin');
    const r = (await db.execute(sql`
      SELECT id, project_id AS "projectId", reason, created_on::text AS "createdOn", to_char(released_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "releasedAt"
      FROM legal_holds WHERE project_id = ${s.projectId} ORDER BY created_at`)) as unknown as { rows: unknown[] };
    return { items: r.rows };
  });

  app.post('/v1/projects/:id/legal-holds/:holdId/release', {
    schema: { operationId: 'releaseLegalHold', tags: TAGS, summary: 'Inspector releases a legal hold', params: S.HoldParams, response: { 200: S.LegalHold, ...problems(401, 403, 404) } },
  }, async (req) => {
    const s = await scope(req);
    requireRelation(s, 'inspector');
    return db.transaction((tx) => releaseLegalHold(tx, s.projectId, (req.params as { holdId: string }).holdId, actorOf(req)));
  });

  app.post('/v1/admin/retention', {
    schema: { operationId: 'runRetention', tags: TAGS, summary: 'Run the nightly life job as of a date (admin): retention and erasure, plus the life signals; idempotent',
      body: S.AsOfBody, response: { 200: S.RetentionOut, ...problems(400, 401, 403) } },
  }, async (req) => {
    requireRole(req, 'admin');
    return runNightlyLife(deps, (req.body as { asOf: string }).asOf, `${req.principal!.role}:${req.principal!.id}`);
  });
}
