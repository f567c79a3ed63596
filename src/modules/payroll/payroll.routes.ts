import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';

/** Routes of the payroll context (being built). */
export default async function payrollRoutes(_app: FastifyInstance, _opts: { deps: Deps }) {}
