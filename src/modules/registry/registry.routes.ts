import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';

/** Routes of the registry context (being built). */
export default async function registryRoutes(_app: FastifyInstance, _opts: { deps: Deps }) {}
