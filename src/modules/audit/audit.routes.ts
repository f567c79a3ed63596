import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { requireRole } from '../auth/auth.plugin.js';
import { problems } from '../platform/common.schemas.js';
import { verifyAudit } from './audit.service.js';

export default async function auditRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  app.get('/v1/audit/verify', {
    schema: {
      operationId: 'verifyAudit', tags: ['audit'], summary: 'Recompute the audit hash chain and name the first broken row (admin)',
      response: { 200: Type.Object({ ok: Type.Boolean(), rows: Type.Integer(), firstBrokenSeq: Type.Union([Type.Integer(), Type.Null()]), reason: Type.Optional(Type.String()) }), ...problems(401, 403) },
    },
  }, async (req) => {
    requireRole(req, 'admin');
    return verifyAudit(deps.db);
  });
}
