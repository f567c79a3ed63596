import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../lib/errors.js';
import { requireRole } from '../auth/auth.plugin.js';
import { projectScope, requireRelation } from '../auth/scope.js';
import { IdParams, problems } from '../platform/common.schemas.js';
import { listCardFixes } from './card-fix.service.js';
import { CardFixes, CardFixQuery, CardHistory, CardProposed, CardVerificationQuery, CardVerifications, ProposeCard } from './cards.schemas.js';
import { cardHistory, pendingVerifications, proposeCard, recordRefusedChange } from './cards.service.js';
import { WorkerParams } from './roster.schemas.js';
import { employerFilter } from './roster.service.js';

/** Card custody routes (issue 17): proposals, card history, card fixes, the bank's account-holder checks. */
export default async function cardsRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const { db, pii } = deps;

  app.post('/v1/projects/:id/workers/:workerId/card', {
    schema: {
      operationId: 'proposeWorkerCard', tags: ['roster'],
      summary: "Propose a new payout card for a worker (the employer on that project, or its GC); it pays only once the bank's account-holder check matches or the worker confirms",
      params: WorkerParams, body: ProposeCard, response: { 202: CardProposed, ...problems(400, 401, 403, 404, 409, 422) },
    },
  }, async (req, reply) => {
    const p = requireRole(req, 'admin', 'contractor');
    const { id, workerId } = req.params as { id: string; workerId: string };
    const s = await projectScope(db, p, id).catch(async (e: unknown) => {
      // A company with no part in the project: still a 404, but a real worker's card is being reached for.
      if (e instanceof NotFoundError && p.role === 'contractor') await db.transaction((tx) => recordRefusedChange(tx, p, id, workerId));
      throw e;
    });
    if (!s.relations.some((r) => r === 'gc' || r === 'subcontractor' || r === 'admin')) {
      await db.transaction((tx) => recordRefusedChange(tx, p, id, workerId));
      throw new NotFoundError('Worker');
    }
    const out = await db.transaction((tx) => proposeCard(tx, pii, p, s, employerFilter(s, p), workerId, (req.body as { bankCardNumber: string }).bankCardNumber));
    if ('refused' in out) throw out.refused; // committed: the refusal's audit row and red alert stand
    return reply.code(202).send(out);
  });

  app.get('/v1/projects/:id/workers/:workerId/cards', {
    schema: {
      operationId: 'listWorkerCards', tags: ['roster'], summary: "A worker's card history on the project, masked (employer, GC, inspector, admin)",
      params: WorkerParams, response: { 200: CardHistory, ...problems(400, 401, 403, 404) },
    },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'contractor', 'inspector');
    const { id, workerId } = req.params as { id: string; workerId: string };
    const s = await projectScope(db, p, id);
    requireRelation(s, 'gc', 'subcontractor', 'inspector', 'admin');
    return cardHistory(db, s.projectId, workerId, employerFilter(s, p));
  });

  app.get('/v1/projects/:id/card-fixes', {
    schema: {
      operationId: 'listCardFixes', tags: ['roster'],
      summary: 'Card-fix tasks: lines the bank rejected for a card fault (AC01/AC04/BE01), re-paid once a new card is active (employer: its own; GC, inspector, admin: all)',
      params: IdParams, querystring: CardFixQuery, response: { 200: CardFixes, ...problems(400, 401, 403, 404) },
    },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'contractor', 'inspector');
    const s = await projectScope(db, p, (req.params as { id: string }).id);
    requireRelation(s, 'gc', 'subcontractor', 'inspector', 'admin');
    return listCardFixes(db, s.projectId, employerFilter(s, p), (req.query as { status?: 'open' | 'repaid' | 'cleared' }).status);
  });

  app.get('/v1/bank/card-verifications', {
    schema: {
      operationId: 'listCardVerifications', tags: ['bank'],
      summary: "Account-holder checks (三要素) the bank must run for proposed cards of projects whose wage account it holds: full values, each read audited; answer with the card.verified webhook event",
      querystring: CardVerificationQuery, response: { 200: CardVerifications, ...problems(400, 401, 403) },
    },
  }, async (req, reply) => {
    const p = requireRole(req, 'bank', 'admin');
    reply.header('cache-control', 'no-store');
    return db.transaction((tx) => pendingVerifications(tx, pii, p, (req.query as { limit?: number }).limit ?? 100));
  });
}
