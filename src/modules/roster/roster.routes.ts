import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { requireRole } from '../auth/auth.plugin.js';
import { projectScope, requireRelation } from '../auth/scope.js';
import { IdParams, problems } from '../platform/common.schemas.js';
import { getAttendance, recordAttendance, type AttendanceInput } from './attendance.service.js';
import cardsRoutes from './cards.routes.js';
import complianceRoutes from './compliance.routes.js';
import importRoutes from './import.routes.js';
import {
  AttendanceBody, AttendanceList, AttendanceQuery, AttendanceRecorded, ExitBody, Exited, PiiQuery, RegisterWorker,
  WorkerPage, WorkerParams, WorkerPii, WorkerListQuery, WorkerRegistered,
} from './roster.schemas.js';
import { employerFilter, exitEngagement, listWorkers, registerWorker, revealWorkerPii, type PiiField } from './roster.service.js';
import type { WorkerRowInput } from './worker.rules.js';

/** Routes of the roster context: workers, engagements, attendance, imports, compliance figures. */
export default async function rosterRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const { db, pii } = deps;

  app.post('/v1/projects/:id/workers', {
    schema: {
      operationId: 'registerWorker', tags: ['roster'], summary: 'Register a worker by real name and engage them on the project (GC or the employing subcontractor)',
      params: IdParams, body: RegisterWorker, response: { 201: WorkerRegistered, ...problems(400, 401, 403, 404, 422) },
    },
  }, async (req, reply) => {
    const p = requireRole(req, 'admin', 'contractor');
    const s = await projectScope(db, p, (req.params as { id: string }).id);
    requireRelation(s, 'gc', 'subcontractor', 'admin');
    const out = await db.transaction((tx) => registerWorker(tx, pii, p, s, req.body as WorkerRowInput));
    if ('refused' in out) throw out.refused; // committed: the identity-mismatch alert and audit row stand
    return reply.code(201).send(out);
  });

  app.get('/v1/projects/:id/workers', {
    schema: {
      operationId: 'listWorkers', tags: ['roster'], summary: 'Masked roster (GC: all; subcontractor: its own employees; inspector: its counties; admin: all)',
      params: IdParams, querystring: WorkerListQuery, response: { 200: WorkerPage, ...problems(400, 401, 403, 404) },
    },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'contractor', 'inspector');
    const s = await projectScope(db, p, (req.params as { id: string }).id);
    requireRelation(s, 'gc', 'subcontractor', 'inspector', 'admin');
    return listWorkers(db, s, p, req.query as never);
  });

  app.post('/v1/projects/:id/workers/:workerId/exit', {
    schema: {
      operationId: 'exitWorker', tags: ['roster'], summary: "End a worker's active engagement on the project (GC or the employer)",
      params: WorkerParams, body: ExitBody, response: { 200: Exited, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'contractor');
    const { id, workerId } = req.params as { id: string; workerId: string };
    const s = await projectScope(db, p, id);
    requireRelation(s, 'gc', 'subcontractor', 'admin');
    return db.transaction((tx) => exitEngagement(tx, p, s, workerId, (req.body as { exitDate: string }).exitDate));
  });

  app.get('/v1/workers/:id/pii', {
    schema: {
      operationId: 'revealWorkerPii', tags: ['roster'], summary: 'Full resident ID, card and phone of a worker (admin only; every read is audited)',
      params: IdParams, querystring: PiiQuery, response: { 200: WorkerPii, ...problems(400, 401, 403, 404) },
    },
  }, async (req, reply) => {
    const p = requireRole(req, 'admin');
    const f = (req.query as { fields?: string }).fields;
    const fields = (f ? f.split(',') : ['idNumber', 'bankCardNumber', 'phone']) as PiiField[];
    reply.header('cache-control', 'no-store');
    return db.transaction((tx) => revealWorkerPii(tx, pii, p, (req.params as { id: string }).id, fields));
  });

  app.post('/v1/projects/:id/attendance', {
    schema: {
      operationId: 'recordAttendance', tags: ['roster'], summary: 'Days present per worker for a month; replaces earlier figures until the wage sheet is approved (employer or GC)',
      params: IdParams, body: AttendanceBody, response: { 200: AttendanceRecorded, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'contractor');
    const s = await projectScope(db, p, (req.params as { id: string }).id);
    requireRelation(s, 'gc', 'subcontractor', 'admin');
    return db.transaction((tx) => recordAttendance(tx, p, s, employerFilter(s, p), req.body as AttendanceInput));
  });

  app.get('/v1/projects/:id/attendance', {
    schema: {
      operationId: 'getAttendance', tags: ['roster'], summary: 'Attendance of a month (scoped like the roster)',
      params: IdParams, querystring: AttendanceQuery, response: { 200: AttendanceList, ...problems(400, 401, 403, 404) },
    },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'contractor', 'inspector');
    const s = await projectScope(db, p, (req.params as { id: string }).id);
    requireRelation(s, 'gc', 'subcontractor', 'inspector', 'admin');
    return getAttendance(db, s.projectId, (req.query as { month: string }).month, employerFilter(s, p));
  });

  await app.register(importRoutes, { deps });
  await app.register(complianceRoutes, { deps });
  await app.register(cardsRoutes, { deps });
}
