import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';

/** Routes of the disbursement context (being built). */
export default async function disbursementRoutes(_app: FastifyInstance, _opts: { deps: Deps }) {}
