import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';

/** Routes of the credit context (being built). */
export default async function creditRoutes(_app: FastifyInstance, _opts: { deps: Deps }) {}
