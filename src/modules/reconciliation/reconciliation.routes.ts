import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';

/** Routes of the reconciliation context (being built). */
export default async function reconciliationRoutes(_app: FastifyInstance, _opts: { deps: Deps }) {}
