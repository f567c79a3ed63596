import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import alertsRoutes from './alerts/alerts.routes.js';
import auditRoutes from './audit/audit.routes.js';
import authRoutes from './auth/auth.routes.js';
import consoleRoutes from './console/console.routes.js';
import creditRoutes from './credit/credit.routes.js';
import disbursementRoutes from './disbursement/disbursement.routes.js';
import enforcementRoutes from './enforcement/enforcement.routes.js';
import escrowRoutes from './escrow/escrow.routes.js';
import lifecycleRoutes from './lifecycle/lifecycle.routes.js';
import reportsRoutes from './reports/reports.routes.js';
import payrollRoutes from './payroll/payroll.routes.js';
import reconciliationRoutes from './reconciliation/reconciliation.routes.js';
import directoryRoutes from './registry/directory.routes.js';
import registryRoutes from './registry/registry.routes.js';
import rosterRoutes from './roster/roster.routes.js';
import workersDoorRoutes from './workers-door/workers-door.routes.js';
import complaintsRoutes from './complaints/complaints.routes.js';

type RoutePlugin = (app: FastifyInstance, opts: { deps: Deps }) => Promise<void>;

/** Every bounded context's routes, each an encapsulated plugin (own content-type parsers allowed). */
export const MODULE_ROUTES: RoutePlugin[] = [
  authRoutes, auditRoutes, registryRoutes, rosterRoutes, escrowRoutes, payrollRoutes,
  disbursementRoutes, reconciliationRoutes, enforcementRoutes, creditRoutes, alertsRoutes,
  consoleRoutes, directoryRoutes, lifecycleRoutes, reportsRoutes, workersDoorRoutes, complaintsRoutes,
];
