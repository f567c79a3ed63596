import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';

/** (being built) */
export default async function importRoutes(_app: FastifyInstance, _opts: { deps: Deps }) {}
