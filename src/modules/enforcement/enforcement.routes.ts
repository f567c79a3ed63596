import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';

/** Routes of the enforcement context (being built). */
export default async function enforcementRoutes(_app: FastifyInstance, _opts: { deps: Deps }) {}
