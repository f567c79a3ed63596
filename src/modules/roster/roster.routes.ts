import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';

/** Routes of the roster context (being built). */
export default async function rosterRoutes(_app: FastifyInstance, _opts: { deps: Deps }) {}
