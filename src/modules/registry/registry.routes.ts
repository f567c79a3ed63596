import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../lib/errors.js';
import { requireRole } from '../auth/auth.plugin.js';
import { projectScope, requireRelation } from '../auth/scope.js';
import { IdParams, problems } from '../platform/common.schemas.js';
import noticeBoardRoutes from './notice-board.routes.js';
import { createProject, getProject, type ProjectInput } from './project.service.js';
import {
  BankCreated, Company, CreateBank, CreateCompany, CreateProject, CreateSubcontract, Project, ProjectUpdated, RotateSecret, SecretRotated, Subcontract, UpdateProject,
} from './registry.schemas.js';
import { updateProject, type ProjectUpdate } from './project-update.service.js';
import { bankSecretsChanged } from './bank-secret-generation.js';
import { assertActsAsGc, createBank, createCompany, createSubcontract, rotateBankSecret, type CompanyInput, type SubcontractInput } from './registry.service.js';
import { chinaToday } from '../../lib/calendar.js';


/** Routes of the registry context: banks, companies, projects, subcontracts, notice boards. */
export default async function registryRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const { db, pii } = deps;

  app.post('/v1/banks', {
    schema: { operationId: 'createBank', tags: ['registry'], summary: 'Register a bank; returns its webhook secret once (admin)', body: CreateBank, response: { 201: BankCreated, ...problems(400, 401, 403, 409) } },
  }, async (req, reply) => {
    const p = requireRole(req, 'admin');
    const out = await db.transaction((tx) => createBank(tx, pii, p, req.body as { name: string; code: string }));
    return reply.code(201).send(out);
  });

  app.post('/v1/banks/:id/rotate-secret', {
    schema: { operationId: 'rotateBankSecret', tags: ['registry'], summary: 'Issue a new webhook secret; the old one stays valid for the overlap (admin)', params: IdParams, body: Type.Optional(RotateSecret), response: { 200: SecretRotated, ...problems(400, 401, 403, 404) } },
  }, async (req) => {
    const p = requireRole(req, 'admin');
    const body = (req.body ?? {}) as { overlapHours?: number };
    const out = await db.transaction((tx) => rotateBankSecret(tx, pii, p, (req.params as { id: string }).id, deps.now(), body.overlapHours));
    bankSecretsChanged(); // committed: this process's webhook secret cache re-reads now
    return out;
  });

  app.post('/v1/companies', {
    schema: { operationId: 'createCompany', tags: ['registry'], summary: 'Register a company (admin)', body: CreateCompany, response: { 201: Company, ...problems(400, 401, 403, 409, 422) } },
  }, async (req, reply) => {
    const p = requireRole(req, 'admin');
    const out = await db.transaction((tx) => createCompany(tx, pii, p, req.body as CompanyInput));
    return reply.code(201).send(out);
  });

  app.post('/v1/projects', {
    schema: { operationId: 'createProject', tags: ['registry'], summary: 'Register a project and compute its required deposit (admin, or a contractor as the GC)', body: CreateProject, response: { 201: Project, ...problems(400, 401, 403, 409, 422) } },
  }, async (req, reply) => {
    const p = requireRole(req, 'admin', 'contractor');
    const input = req.body as ProjectInput;
    assertActsAsGc(p, input.generalContractorId);
    const out = await db.transaction((tx) => createProject(tx, pii, p, input, chinaToday(deps.now())));
    return reply.code(201).send(out);
  });

  app.get('/v1/projects/:id', {
    schema: { operationId: 'getProject', tags: ['registry'], summary: 'A project visible to the caller', params: IdParams, response: { 200: Project, ...problems(401, 404) } },
  }, async (req) => {
    const p = requireRole(req);
    const id = (req.params as { id: string }).id;
    await projectScope(db, p, id);
    const out = await getProject(db, id);
    if (!out) throw new NotFoundError('Project');
    return out;
  });

  app.patch('/v1/projects/:id', {
    schema: { operationId: 'updateProject', tags: ['registry'], summary: "Change a project's settings (the GC): which month the pay day pays, from a wage month not yet begun", params: IdParams, body: UpdateProject, response: { 200: ProjectUpdated, ...problems(400, 401, 403, 404, 422) } },
  }, async (req) => {
    const p = requireRole(req, 'contractor');
    return db.transaction((tx) => updateProject(tx, p, (req.params as { id: string }).id, req.body as ProjectUpdate, chinaToday(deps.now())));
  });

  app.post('/v1/projects/:id/subcontracts', {
    schema: { operationId: 'createSubcontract', tags: ['registry'], summary: 'Add a subcontract under the GC or under a subcontractor (GC of the project)', params: IdParams, body: CreateSubcontract, response: { 201: Subcontract, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (req, reply) => {
    const p = requireRole(req, 'admin', 'contractor');
    const id = (req.params as { id: string }).id;
    const s = await projectScope(db, p, id);
    requireRelation(s, 'gc', 'admin');
    const out = await db.transaction((tx) => createSubcontract(tx, pii, p, id, s.generalContractorId, req.body as SubcontractInput));
    return reply.code(201).send(out);
  });

  await app.register(noticeBoardRoutes, { deps });
}
