import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';

/** Routes of the alerts context (being built). */
export default async function alertsRoutes(_app: FastifyInstance, _opts: { deps: Deps }) {}
