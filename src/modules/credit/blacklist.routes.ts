import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../lib/errors.js';
import { requireRole } from '../auth/auth.plugin.js';
import { IdParams, Page, PageQuery, Uuid, problems } from '../platform/common.schemas.js';
import { OFFICIAL_LIST_NAME, allCurrentListings, companyProposals, currentListings, entryDetail, toCsv } from './blacklist.query.js';
import { actorOf, assertInspectorScope, decideObjection, fileObjection, listEntry, loadEntry, proposeManually, type ObjectionDecision, type ObjectionInput, type ProposeInput } from './blacklist.service.js';
import {
  DecisionBody, Entry, ListBody, ObjectionBody, ObjectionFiled, ProposeBody, PublishedEntry, RemovalBody, RemovalDecisionBody, RemovalRequest, ResponsiblePersonsBody,
} from './credit.schemas.js';
import { setResponsiblePersons } from './blacklist-persons.service.js';
import type { ResponsiblePerson } from './blacklist.service.js';
import { decideRemoval, requestRemoval } from './removal.service.js';
import { chinaToday } from '../../lib/calendar.js';

const RemovalParams = Type.Object({ id: Uuid('Blacklist entry id'), rid: Uuid('Removal request id') });

/** Proposals, objections, decisions, listing, removal and publication of the wage-arrears blacklist. */
export default async function blacklistRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const { db } = deps;
  const asOf = () => chinaToday(deps.now());
  const idOf = (req: { params: unknown }) => (req.params as { id: string }).id;

  app.post('/v1/blacklist/proposals', {
    schema: { operationId: 'proposeBlacklist', tags: ['credit'], summary: 'Propose a company for the blacklist (inspector of the county, admin)', body: ProposeBody, response: { 201: Entry, ...problems(400, 401, 403, 409, 422) } },
  }, async (req, reply) => {
    const p = requireRole(req, 'inspector', 'admin');
    const body = req.body as ProposeInput;
    const e = await db.transaction((tx) => proposeManually(tx, p, { ...body, note: body.reasonDetail }, asOf()));
    return reply.code(201).send(await entryDetail(db, e.id));
  });

  app.put('/v1/blacklist/proposals/:id/responsible-persons', {
    schema: { operationId: 'setBlacklistResponsiblePersons', tags: ['credit'], summary: 'Name the directly responsible persons listed with the company (人社部令45号 Art. 5; inspector of the county, admin)',
      params: IdParams, body: ResponsiblePersonsBody, response: { 200: Entry, ...problems(400, 401, 403, 404, 409) } },
  }, async (req) => {
    const p = requireRole(req, 'inspector', 'admin');
    await db.transaction((tx) => setResponsiblePersons(tx, p, idOf(req), (req.body as { persons: ResponsiblePerson[] }).persons));
    return entryDetail(db, idOf(req));
  });

  app.get('/v1/blacklist/proposals/:id', {
    schema: { operationId: 'getBlacklistEntry', tags: ['credit'], summary: 'A proposal or entry with its objection and removal requests (the company, inspector of the county, admin)', params: IdParams, response: { 200: Entry, ...problems(401, 404) } },
  }, async (req) => {
    const p = requireRole(req);
    const e = await loadEntry(db, idOf(req));
    const visible = p.role === 'admin' || (p.role === 'contractor' && p.companyId === e.company_id) || (p.role === 'inspector' && p.countyCodes.includes(e.county_code));
    if (!visible) throw new NotFoundError('Blacklist entry');
    return entryDetail(db, e.id);
  });

  app.get('/v1/companies/:id/blacklist-proposals', {
    schema: { operationId: 'listCompanyBlacklistProposals', tags: ['credit'], summary: 'Blacklist proposals and entries of a company (the company itself, inspectors for their counties, admin)', params: IdParams, response: { 200: Type.Object({ items: Type.Array(Entry) }), ...problems(401, 403, 404) } },
  }, async (req) => {
    const p = requireRole(req, 'contractor', 'inspector', 'admin');
    const companyId = idOf(req);
    if (p.role === 'contractor' && p.companyId !== companyId) throw new NotFoundError('Company');
    return { items: await companyProposals(db, companyId, p.role === 'inspector' ? p.countyCodes : null) };
  });

  app.post('/v1/blacklist/proposals/:id/objections', {
    schema: { operationId: 'objectToBlacklistProposal', tags: ['credit'], summary: 'File the company’s objection with evidence within the objection period (the company); late → 422', params: IdParams, body: ObjectionBody, response: { 201: ObjectionFiled, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (req, reply) => {
    const p = requireRole(req, 'contractor', 'admin');
    const out = await db.transaction((tx) => fileObjection(tx, p, idOf(req), req.body as ObjectionInput, asOf()));
    return reply.code(201).send(out);
  });

  app.post('/v1/blacklist/proposals/:id/decision', {
    schema: { operationId: 'decideBlacklistObjection', tags: ['credit'], summary: 'Uphold or dismiss the objection (inspector of the county, admin)', params: IdParams, body: DecisionBody, response: { 200: Entry, ...problems(400, 401, 403, 404, 409) } },
  }, async (req) => {
    const p = requireRole(req, 'inspector', 'admin');
    const b = req.body as { decision: ObjectionDecision; reason: string };
    await db.transaction((tx) => decideObjection(tx, p, idOf(req), b.decision, b.reason, asOf()));
    return entryDetail(db, idOf(req));
  });

  app.post('/v1/blacklist/proposals/:id/list', {
    schema: { operationId: 'listBlacklistEntry', tags: ['credit'], summary: 'List a proposal after the objection period, or after a dismissed objection (inspector of the county, admin)', params: IdParams, body: Type.Optional(ListBody), response: { 200: Entry, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (req) => {
    const p = requireRole(req, 'inspector', 'admin');
    const reason = (req.body as { reason?: string } | undefined)?.reason ?? 'listed by inspector decision';
    await db.transaction(async (tx) => {
      const e = await loadEntry(tx, idOf(req));
      assertInspectorScope(p, e);
      return listEntry(tx, actorOf(p), e.id, reason, asOf());
    });
    return entryDetail(db, idOf(req));
  });

  app.post('/v1/blacklist/entries/:id/removal-requests', {
    schema: { operationId: 'requestBlacklistRemoval', tags: ['credit'], summary: 'Apply for early removal with a credit commitment once the arrears are paid and 6 months have passed (the company)', params: IdParams, body: RemovalBody, response: { 201: RemovalRequest, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (req, reply) => {
    const p = requireRole(req, 'contractor', 'admin');
    const out = await db.transaction((tx) => requestRemoval(tx, p, idOf(req), req.body as { commitment: string; correctedOn?: string }, asOf()));
    return reply.code(201).send(out);
  });

  app.post('/v1/blacklist/entries/:id/removal-requests/:rid/decision', {
    schema: { operationId: 'decideBlacklistRemoval', tags: ['credit'], summary: 'Approve or reject an early-removal request (inspector of the county, admin)', params: RemovalParams, body: RemovalDecisionBody, response: { 200: RemovalRequest, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (req) => {
    const p = requireRole(req, 'inspector', 'admin');
    const { id, rid } = req.params as { id: string; rid: string };
    const b = req.body as { decision: 'approve' | 'reject'; reason: string };
    return db.transaction((tx) => decideRemoval(tx, p, id, rid, b.decision, b.reason, asOf()));
  });

  app.get('/v1/blacklist', {
    schema: { operationId: 'listBlacklist', tags: ['credit'], summary: 'Current blacklist entries with legal representatives (any role)', querystring: Type.Object(PageQuery), response: { 200: Page(PublishedEntry), ...problems(400, 401) } },
  }, async (req) => {
    requireRole(req);
    const q = req.query as { limit?: number; cursor?: string };
    return currentListings(db, asOf(), q.limit ?? 100, q.cursor);
  });

  app.get('/v1/blacklist/export', {
    schema: {
      operationId: 'exportBlacklist', tags: ['credit'], summary: 'Export of the current blacklist for industry regulators (regulator, bank, admin); CSV is UTF-8 with BOM',
      querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('json')], { default: 'json' })) }),
      response: { 200: Type.Union([Type.Object({ asOf: Type.String(), items: Type.Array(PublishedEntry) }), Type.String({ description: 'text/csv' })]), ...problems(400, 401, 403) },
    },
  }, async (req, reply) => {
    requireRole(req, 'regulator', 'bank', 'admin');
    const day = asOf();
    const items = await allCurrentListings(db, day);
    if ((req.query as { format?: string }).format === 'csv') {
      // The official name of the list (人社部令45号) in the file name, RFC 5987-encoded; an ASCII fallback first.
      const name = encodeURIComponent(`${OFFICIAL_LIST_NAME}-${day}.csv`);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="blacklist-${day}.csv"; filename*=UTF-8''${name}`).send(toCsv(items));
    }
    return { asOf: day, items };
  });
}
