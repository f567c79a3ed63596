import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';

/** Public notice board (filled in below the priority routes). */
export default async function noticeBoardRoutes(_app: FastifyInstance, _opts: { deps: Deps }) {}
