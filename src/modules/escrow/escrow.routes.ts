import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';

/** Routes of the escrow context (being built). */
export default async function escrowRoutes(_app: FastifyInstance, _opts: { deps: Deps }) {}
