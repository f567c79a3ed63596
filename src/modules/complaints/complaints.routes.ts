import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { requireRole } from '../auth/auth.plugin.js';
import { BadRequestError } from '../../lib/errors.js';
import { CountyCode, Fen, IsoMonth, problems, Str, Uuid } from '../platform/common.schemas.js';
import { requestComplaintCode } from './complaint-codes.service.js';
import { decideComplaint, listComplaints, myComplaints, searchProjects } from './complaint-decisions.service.js';
import { CHANNELS, DECISIONS, type Decision } from './complaints.rules.js';
import { fileComplaint, type ComplaintInput } from './complaints.service.js';
import { importComplaints } from './complaint-import.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const tags = ['complaints'];
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const lit = (xs: readonly string[]) => Type.Union(xs.map((x) => Type.Literal(x)));

const ComplaintBody = Type.Object({
  projectId: Uuid('From my engagements, the notice-board QR code, or project search'),
  employerName: Type.Optional(Str(200, 'The employer as the complainant knows it')),
  months: Type.Array(IsoMonth(), { minItems: 1, maxItems: 36, description: 'Months of unpaid wages' }),
  amountClaimedFen: Fen('Amount claimed, fen'),
  workersAffected: Type.Integer({ minimum: 1, maximum: 100_000 }),
  description: Str(4000, 'What happened'),
  complainantName: Type.Optional(Str(100)),
  complainantPhone: Type.Optional(Str(30, 'Inspector channels: the complainant\'s phone, for replies by SMS')),
  channel: Type.Optional(lit(CHANNELS)),
  phone: Type.Optional(Str(30, 'Public complainants: the verified phone')),
  code: Type.Optional(Type.String({ maxLength: 10, description: 'Public complainants: the code sent to that phone' })),
}, { additionalProperties: false });
const Filed = Type.Object({ id: Uuid(), ref: Type.String(), status: Type.Literal('received'), caseId: Nullable(Type.String()), dueOn: Type.String(), token: Type.Optional(Type.String({ description: 'Public complainants: keep it to read your complaints (header x-complaint-token)' })) });
const Item = Type.Object({
  id: Uuid(), ref: Type.String(), projectId: Uuid(), projectName: Type.String(), countyCode: Type.String(), countyName: Type.String(),
  employerName: Nullable(Type.String()), employerId: Nullable(Type.String()), months: Type.Array(Type.String()), amountClaimedFen: Fen(), workersAffected: Type.Integer(),
  description: Type.String(), channel: Type.String(), severity: Type.String(), status: Type.String(), caseId: Nullable(Type.String()), receivedOn: Type.String(), dueOn: Type.String(),
  overdue: Type.Boolean(), answeredAt: Nullable(Type.String()), complainantName: Nullable(Type.String()), complainantPhoneMasked: Nullable(Type.String()),
});
const MyItem = Type.Object({
  id: Uuid(), ref: Type.String(), projectId: Uuid(), projectName: Type.String(), months: Type.Array(Type.String()), amountClaimedFen: Fen(), workersAffected: Type.Integer(),
  status: Type.String(), receivedOn: Type.String(), dueOn: Type.String(), replies: Type.Array(Type.Object({ action: Type.String(), reply: Type.String(), at: Type.String() })),
});
const DecisionBody = Type.Object({ action: lit(DECISIONS), caseId: Type.Optional(Uuid()), reply: Str(2000, 'What the complainant reads (page and SMS)') }, { additionalProperties: false });

/** Arrears complaints (欠薪线索): intake from the public, workers and inspectors; inspectors' queue and decisions. */
export default async function complaintsRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  // This plugin's own parsers (encapsulated): complaint files are small, read whole.
  app.addContentTypeParser(['text/csv', 'application/csv', XLSX], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.post('/v1/complaints/import', {
    schema: {
      operationId: 'importComplaints', tags, summary: 'Inspectors: register many complaints from a CSV or xlsx file (12333, walk-in, national platform)',
      description: 'Columns: 项目编号, 欠薪单位, 欠薪月份 (2026-09;2026-10), 欠薪金额(元), 涉及人数, 情况说明, 投诉人, 投诉人电话, 来源 (12333 | 来访 | 全国平台). Each row is filed on its own; bad rows are listed.',
      consumes: ['text/csv', XLSX],
      response: { 200: Type.Object({ accepted: Type.Integer(), rejected: Type.Array(Type.Object({ row: Type.Integer(), errors: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })) })), items: Type.Array(Type.Object({ row: Type.Integer(), id: Uuid(), ref: Type.String(), caseId: Nullable(Type.String()) })) }), ...problems(400, 401, 403, 415) },
    },
  }, async (req) => {
    const p = requireRole(req, 'inspector', 'admin');
    const ct = String(req.headers['content-type'] ?? '');
    if (!Buffer.isBuffer(req.body)) throw new BadRequestError('Send text/csv or an xlsx file');
    return importComplaints(deps, p, ct.startsWith(XLSX) ? 'xlsx' : 'csv', req.body, deps.now());
  });
  app.get('/v1/projects/search', {
    schema: { operationId: 'searchProjects', tags, summary: 'Public: find a project by name within a county (names only)', security: [], querystring: Type.Object({ countyCode: Type.Optional(CountyCode()), q: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }), response: { 200: Type.Object({ items: Type.Array(Type.Object({ projectId: Uuid(), projectName: Type.String(), countyCode: Type.String(), countyName: Type.String() })) }), ...problems(400, 422) } },
  }, async (req) => searchProjects(deps.db, req.query as { countyCode?: string; q?: string }));

  app.post('/v1/complaint-codes', {
    schema: { operationId: 'requestComplaintCode', tags, summary: 'Public: an SMS code to verify the complainant\'s phone', security: [], body: Type.Object({ phone: Str(30) }, { additionalProperties: false }), response: { 202: Type.Object({ status: Type.Literal('accepted') }), ...problems(400, 422, 429) } },
  }, async (req, reply) => {
    await requestComplaintCode(deps, (req.body as { phone: string }).phone, deps.now());
    return reply.code(202).send({ status: 'accepted' as const });
  });

  app.post('/v1/complaints', {
    schema: { operationId: 'fileComplaint', tags, summary: 'File an arrears complaint (public with phone + code; worker; inspector with channel)', security: [{}, { bearer: [] }], body: ComplaintBody, response: { 201: Filed, ...problems(400, 401, 403, 404, 422) } },
  }, async (req, reply) => reply.code(201).send(await fileComplaint(deps, req.principal, req.body as ComplaintInput, deps.now())));

  app.get('/v1/complaints', {
    schema: { operationId: 'listComplaints', tags, summary: 'Inspectors\' queue, overdue first, with the complainant\'s identity', querystring: Type.Object({ countyCode: Type.Optional(CountyCode()), status: Type.Optional(lit(['received', 'accepted', 'merged', 'rejected', 'resolved'])), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), cursor: Type.Optional(Type.String({ maxLength: 20 })) }, { additionalProperties: false }), response: { 200: Type.Object({ items: Type.Array(Item), nextCursor: Nullable(Type.String()) }), ...problems(400, 401, 403) } },
  }, async (req) => listComplaints(deps.db, deps, requireRole(req, 'inspector', 'admin'), req.query as { countyCode?: string; status?: string }, deps.now()));

  app.post('/v1/complaints/:id/decisions', {
    schema: { operationId: 'decideComplaint', tags, summary: 'Accept, merge, reject or resolve, with a reply the complainant sees', params: Type.Object({ id: Uuid() }), body: DecisionBody, response: { 201: Type.Object({ id: Uuid(), complaintId: Uuid(), action: Type.String(), status: Type.String(), caseId: Nullable(Type.String()) }), ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (req, reply) => {
    const p = requireRole(req, 'inspector', 'admin');
    return reply.code(201).send(await decideComplaint(deps, p, (req.params as { id: string }).id, req.body as { action: Decision; caseId?: string; reply: string }, deps.now()));
  });

  app.get('/v1/me/complaints', {
    schema: { operationId: 'listMyComplaints', tags, summary: 'My complaints with status and replies (worker, or the x-complaint-token header)', security: [{}, { bearer: [] }], response: { 200: Type.Object({ items: Type.Array(MyItem) }), ...problems(401, 403) } },
  }, async (req) => {
    const token = req.headers['x-complaint-token'];
    if (req.principal?.role === 'worker') return myComplaints(deps.db, { workerId: req.principal.workerId!, phoneBidx: req.principal.phoneBidx! });
    return myComplaints(deps.db, { token: typeof token === 'string' ? token : undefined });
  });
}
