// One schema file per bounded context; drizzle-kit reads them all through this index.
export * from './platform.js';
export * from './registry.js';
export * from './roster.js';
export * from './escrow.js';
export * from './payroll.js';
export * from './disbursement.js';
export * from './alerts.js';
export * from './reconciliation.js';
export * from './console.js';
export * from './credit.js';
export * from './enforcement.js';
export * from './liveness.js';
export * from './lifecycle.js';
export * from './notify.js';
export * from './workers-door.js';
export * from './complaints.js';
