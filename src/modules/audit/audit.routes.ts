import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { chinaToday } from '../../lib/calendar.js';
import { NotFoundError } from '../../lib/errors.js';
import { requireRole } from '../auth/auth.plugin.js';
import { IsoDate, problems } from '../platform/common.schemas.js';
import { auditPublicKey } from './audit-keys.js';
import { latestCheckpoint, verifyAudit, writeCheckpoint } from './audit.service.js';

const CheckpointSchema = Type.Object({
  day: IsoDate(), lastSeq: Type.Integer({ minimum: 0 }), headHash: Type.String({ maxLength: 128 }),
  keyId: Type.String({ maxLength: 64 }), signature: Type.String({ maxLength: 200 }),
}, { description: 'A signed checkpoint of the audit chain: verify offline with `npm run audit:verify-checkpoint` and the public key' });
const CheckpointRef = Type.Object({ day: IsoDate(), lastSeq: Type.Integer(), headHash: Type.String() });
const VerifyResult = Type.Object({
  ok: Type.Boolean(), rows: Type.Integer(), firstBrokenSeq: Type.Union([Type.Integer(), Type.Null()]), reason: Type.Optional(Type.String()),
  checkpoint: Type.Optional(Type.Union([CheckpointRef, Type.Null()])),
});
const PublicKey = Type.Object({ keyId: Type.String(), algorithm: Type.Literal('Ed25519'), publicKeyPem: Type.String() });

export default async function auditRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  app.get('/v1/audit/verify', {
    schema: {
      operationId: 'verifyAudit', tags: ['audit'], summary: 'Recompute the keyed audit chain, name the first broken row, and check the tail against the latest signed checkpoint (admin)',
      response: { 200: VerifyResult, ...problems(401, 403) },
    },
  }, async (req) => {
    requireRole(req, 'admin');
    return verifyAudit(deps.db);
  });

  app.post('/v1/audit/verify', {
    schema: {
      operationId: 'verifyAuditAgainstCheckpoint', tags: ['audit'], summary: 'Verify the chain against a checkpoint kept outside the platform (admin)',
      body: CheckpointSchema, response: { 200: VerifyResult, ...problems(400, 401, 403) },
    },
  }, async (req) => {
    requireRole(req, 'admin');
    return verifyAudit(deps.db, req.body as never);
  });

  app.post('/v1/audit/checkpoints', {
    schema: {
      operationId: 'createAuditCheckpoint', tags: ['audit'], summary: 'Sign today\'s checkpoint now (the scheduler does it daily); idempotent per day (admin)',
      response: { 200: CheckpointSchema, ...problems(401, 403) },
    },
  }, async (req) => {
    requireRole(req, 'admin');
    return writeCheckpoint(deps.db, chinaToday(deps.now()));
  });

  app.get('/v1/audit/checkpoints/latest', {
    schema: {
      operationId: 'getLatestAuditCheckpoint', tags: ['audit'], summary: 'The latest signed checkpoint, to export and keep outside (admin)',
      response: { 200: CheckpointSchema, ...problems(401, 403, 404) },
    },
  }, async (req) => {
    requireRole(req, 'admin');
    const c = await latestCheckpoint(deps.db);
    if (!c) throw new NotFoundError('Audit checkpoint');
    return c;
  });

  app.get('/v1/audit/public-key', {
    schema: {
      operationId: 'getAuditPublicKey', tags: ['audit'], summary: 'The Ed25519 public key checkpoints are signed with (admin)',
      response: { 200: PublicKey, ...problems(401, 403) },
    },
  }, async (req) => {
    requireRole(req, 'admin');
    const k = auditPublicKey();
    return { keyId: k.keyId, algorithm: 'Ed25519' as const, publicKeyPem: k.pem };
  });
}
