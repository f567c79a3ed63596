import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../lib/errors.js';
import { appendAudit } from '../audit/audit.service.js';
import { requireRole } from '../auth/auth.plugin.js';
import { problems } from '../platform/common.schemas.js';
import { answerPayslip, clearDispute } from './answers.service.js';
import { confirmCardProposal } from './card-proposals.adapter.js';
import { payslipPdf } from './payslip-pdf.js';
import { myEngagements, myPayslip, myPayslips, visibleEngagementSql } from './payslips.service.js';
import { requestSignInCode, signInWithCode } from './worker-auth.service.js';
import { revokeWorkerSessions, whoOf, WORKER_COOKIE, workerCookie } from './worker-session.service.js';
import * as S from './workers-door.schemas.js';
import { workerPageRoutes } from './worker-page.routes.js';

const tags = ['workers'];
const CODE_MESSAGE = '如果该手机号已登记在此身份证下，验证码已发送，5分钟内有效。 If this phone is on file for this ID, a code has been sent.';

/** The worker's own door: sign-in by SMS code and `/v1/me/*` (their engagements, slips, answers). */
export default async function workersDoorRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const { db } = deps;
  await workerPageRoutes(app);

  app.post('/v1/worker-auth/codes', {
    schema: { operationId: 'requestWorkerCode', tags, summary: 'Ask for a sign-in code by SMS (public; same answer whether or not the phone is on file)', security: [], body: S.CodeRequest, response: { 202: S.CodeAccepted, ...problems(400, 422, 429) } },
  }, async (req, reply) => {
    await requestSignInCode(deps, req.body as { idNumber: string; phone: string }, deps.now());
    return reply.code(202).send({ status: 'accepted', message: CODE_MESSAGE });
  });

  app.post('/v1/worker-auth/sessions', {
    schema: { operationId: 'createWorkerSession', tags, summary: 'Exchange the SMS code for a session (bearer token + HttpOnly cookie)', security: [], body: S.SessionRequest, response: { 201: S.SessionCreated, ...problems(400, 401, 422, 429) } },
  }, async (req, reply) => {
    const s = await signInWithCode(deps, req.body as { idNumber: string; phone: string; code: string }, deps.now());
    reply.header('set-cookie', workerCookie(s.token, 30 * 60, deps.config.publicBaseUrl.startsWith('https:')));
    return reply.code(201).send({ token: s.token, expiresAt: s.expiresAt.toISOString() });
  });

  app.delete('/v1/worker-auth/sessions/current', {
    schema: { operationId: 'deleteWorkerSession', tags, summary: 'Sign out (revokes this session)', response: { 204: Type.Null(), ...problems(401, 403) } },
  }, async (req, reply) => {
    const p = requireRole(req, 'worker');
    await revokeWorkerSessions(db, { sessionId: p.sessionId! }, deps.now());
    reply.header('set-cookie', `${WORKER_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    return reply.code(204).send();
  });

  app.delete('/v1/workers/:workerId/sessions', {
    schema: { operationId: 'revokeWorkerSessions', tags, summary: 'Admin: end every session of a worker at once', params: S.WorkerParams, response: { 200: Type.Object({ revoked: Type.Integer() }), ...problems(401, 403) } },
  }, async (req) => {
    const p = requireRole(req, 'admin');
    const { workerId } = req.params as { workerId: string };
    return db.transaction(async (tx) => {
      const revoked = await revokeWorkerSessions(tx, { workerId }, deps.now());
      await appendAudit(tx, { actor: p.id, action: 'worker.sessions_revoked', entityType: 'worker', entityId: workerId, data: { revoked } });
      return { revoked };
    });
  });

  app.get('/v1/me', {
    schema: { operationId: 'getMe', tags, summary: 'The signed-in worker (masked)', response: { 200: S.Me, ...problems(401, 403) } },
  }, async (req) => {
    const p = requireRole(req, 'worker');
    // The phone shown is the one this session signed in with (as an engagement holds it), not the person's first.
    const r = (await db.execute(sql`SELECT w.id, w.name, w.id_number_masked,
        (SELECT e.phone_masked FROM engagements e WHERE ${visibleEngagementSql(whoOf(p))} ORDER BY e.created_at DESC LIMIT 1) AS phone_masked
      FROM workers w WHERE w.id = ${p.workerId!}`)) as unknown as { rows: { id: string; name: string; id_number_masked: string; phone_masked: string | null }[] };
    const w = r.rows[0];
    if (!w) throw new NotFoundError('Worker');
    return { workerId: w.id, name: w.name, idNumberMasked: w.id_number_masked, phoneMasked: w.phone_masked };
  });

  app.get('/v1/me/engagements', {
    schema: { operationId: 'listMyEngagements', tags, summary: 'My engagements (projects and employers)', response: { 200: S.EngagementList, ...problems(401, 403) } },
  }, async (req) => ({ items: await myEngagements(db, whoOf(requireRole(req, 'worker'))) }));

  app.get('/v1/me/payslips', {
    schema: { operationId: 'listMyPayslips', tags, summary: 'My pay slips, newest month first', querystring: S.PayslipQuery, response: { 200: S.PayslipList, ...problems(400, 401, 403) } },
  }, async (req) => ({ items: await myPayslips(db, whoOf(requireRole(req, 'worker')), { month: (req.query as { month?: string }).month }) }));

  app.get('/v1/me/payslips/:lineId', {
    schema: { operationId: 'getMyPayslip', tags, summary: 'One pay slip; `Accept: application/pdf` (or `?format=pdf`, for a plain link) for the PDF', params: S.LineParams, querystring: Type.Object({ format: Type.Optional(Type.Literal('pdf')) }, { additionalProperties: false }), produces: ['application/json', 'application/pdf'], response: { 200: S.PayslipItem, ...problems(400, 401, 403, 404) } },
  }, async (req, reply) => {
    const s = await myPayslip(db, whoOf(requireRole(req, 'worker')), (req.params as { lineId: string }).lineId);
    if ((req.headers.accept ?? '').includes('application/pdf') || (req.query as { format?: string }).format === 'pdf') {
      const pdf = await payslipPdf(s, deps.now());
      return reply.type('application/pdf').header('content-disposition', `attachment; filename="payslip-${s.month}.pdf"`).send(pdf);
    }
    return s;
  });

  app.post('/v1/me/payslips/:lineId/answer', {
    schema: { operationId: 'answerMyPayslip', tags, summary: 'Confirm or dispute a payment: received | not_received | amount_wrong', params: S.LineParams, body: S.AnswerBody, response: { 201: S.AnswerOut, ...problems(400, 401, 403, 404) } },
  }, async (req, reply) => {
    const p = requireRole(req, 'worker');
    const out = await answerPayslip(db, whoOf(p), (req.params as { lineId: string }).lineId, req.body as { answer: 'received' | 'not_received' | 'amount_wrong'; note?: string }, deps.now());
    return reply.code(201).send(out);
  });

  app.post('/v1/payroll-lines/:lineId/dispute-clearance', {
    schema: { operationId: 'clearLineDispute', tags, summary: 'Inspector: clear a worker\'s dispute after looking into it (the line reads its bank status again)', params: S.LineParams, body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false }), response: { 200: Type.Object({ lineId: Type.String(), cleared: Type.Boolean() }), ...problems(400, 401, 403, 404, 409) } },
  }, async (req) => {
    const p = requireRole(req, 'inspector', 'admin');
    return clearDispute(db, p, (req.params as { lineId: string }).lineId, (req.body as { reason: string }).reason, deps.now());
  });

  app.post('/v1/me/card-proposals/:proposalId/confirm', {
    schema: { operationId: 'confirmMyCardProposal', tags, summary: 'Confirm a proposed new bank card; it becomes the active card', params: S.ProposalParams, response: { 200: Type.Object({ proposalId: Type.String(), status: Type.Literal('active') }), ...problems(400, 401, 403, 404) } },
  }, async (req) => {
    const p = requireRole(req, 'worker');
    const { proposalId } = req.params as { proposalId: string };
    await confirmCardProposal(db, { ...whoOf(p), proposalId }, { id: p.id });
    return { proposalId, status: 'active' as const };
  });
}
