import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { IdParams, Str, Uuid, problems } from '../platform/common.schemas.js';
import { requireRole } from './auth.plugin.js';
import { ROLES } from './auth.types.js';
import { createApiKey, revokeApiKey } from './auth.service.js';

const CreateKey = Type.Object({
  role: Type.Union(ROLES.map((r) => Type.Literal(r)), { description: 'admin | contractor | bank | inspector | regulator' }),
  companyId: Type.Optional(Uuid('Required for contractor keys')),
  bankId: Type.Optional(Uuid('Required for bank keys')),
  countyCodes: Type.Optional(Type.Array(Type.String({ pattern: '^(\\d{4}|\\d{6})$' }), { maxItems: 200, description: 'Required for inspector keys: counties (6 digits) or cities (4 digits: every county of the city, e.g. 2207 = Songyuan)' })),
  industries: Type.Optional(Type.Array(Type.String({ maxLength: 20 }), { maxItems: 10, description: 'Required for regulator keys' })),
  label: Str(200, 'Who holds the key'),
}, { additionalProperties: false });
const KeyCreated = Type.Object({ id: Uuid(), key: Type.String({ description: 'Shown once; only a hash is stored' }), role: Type.String(), label: Type.String() });

export default async function authRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  app.post('/v1/api-keys', {
    schema: { operationId: 'createApiKey', tags: ['auth'], summary: 'Issue an API key (admin)', body: CreateKey, response: { 201: KeyCreated, ...problems(400, 401, 403, 409, 422) } },
  }, async (req, reply) => {
    const p = requireRole(req, 'admin');
    const out = await createApiKey(deps, p, req.body as never);
    return reply.code(201).send(out);
  });
  app.post('/v1/api-keys/:id/revoke', {
    schema: { operationId: 'revokeApiKey', tags: ['auth'], summary: 'Revoke an API key (admin)', params: IdParams, response: { 200: Type.Object({ id: Uuid(), revoked: Type.Boolean() }), ...problems(401, 403, 404) } },
  }, async (req) => {
    const p = requireRole(req, 'admin');
    return revokeApiKey(deps, p, (req.params as { id: string }).id);
  });
}
