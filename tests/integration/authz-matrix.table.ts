/**
 * THE authorization table: one row per operationId of the live OpenAPI document. A route that is
 * not listed here fails `authz-matrix.test.ts`, so nobody can add an operation without a rule.
 *
 * The world: tenant A (project in 220702, bank A, GC A, subcontractor A) and tenant B (project in
 * 220721, bank B, GC B). Every request targets tenant A's resources, so:
 *   contractorOwn = GC of A        contractorOther = GC of B
 *   bankOwn       = bank of A      bankOther       = bank of B
 *   inspectorOwn  = 220702         inspectorOther  = 220721
 *   regulator     = industry 'housing' (both projects are housing)
 *   workerOwn     = a worker of A (signed in by SMS code)   workerOther = a worker of B
 * Expected answers:
 *   'ok'  – the caller may act: 2xx, or a validation/rule/conflict answer (400, 409, 422) about the body
 *   401   – no credentials          403 – a forbidden action         404 – another tenant's resource
 */
import { sql } from 'drizzle-orm';
import type { TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { fundWage, signedHeaders, submitAndApprove } from '../helpers/disbursement.js';
import { createWorkerSession } from '../../src/modules/workers-door/worker-session.service.js';
import { phoneIndex } from '../../src/modules/roster/worker.rules.js';
import { writeCheckpoint } from '../../src/modules/audit/audit.service.js';

export const ROLES = ['none', 'admin', 'contractorOwn', 'contractorOther', 'bankOwn', 'bankOther', 'inspectorOwn', 'inspectorOther', 'regulator', 'workerOwn', 'workerOther'] as const;
export type RoleName = (typeof ROLES)[number];
export type Expect = 'ok' | 401 | 403 | 404;

export interface World {
  a: SeededProject;
  b: SeededProject;
  headers: Record<RoleName, Record<string, string>>;
  ids: {
    payrollId: string; batchId: string; caseId: string; proposalId: string; subscriptionId: string;
    throwawayKeyId: string; exitWorkerId: string; lineId: string; complaintId: string;
  };
}

export interface Row {
  /** Expected answer per role; roles not named get `rest`. */
  expect: Partial<Record<RoleName, Expect>>;
  rest: Expect;
  /** Override the generated JSON body. */
  body?: (w: World) => unknown;
  query?: (w: World) => Record<string, string>;
  /** Extra headers (e.g. a signed webhook) computed from the body. */
  headers?: (w: World, body: string) => Record<string, string>;
  /** Re-create the targeted resource before each caller (for deletes). */
  fresh?: (ctx: TestContext, w: World) => Promise<void>;
}

async function freshSubscription(ctx: TestContext, w: World): Promise<void> {
  const r = await ctx.app.inject({ method: 'POST', url: '/v1/alert-subscriptions', headers: w.a.headers.inspector, payload: { url: 'http://127.0.0.1:9/hook' } });
  if (r.statusCode !== 201) throw new Error(`subscription: ${r.statusCode} ${r.body}`);
  w.ids.subscriptionId = (r.json() as { id: string }).id;
}

/** Worker sessions are made directly (the sign-in code route is rate limited per ID: 1 a minute). */
async function freshWorkerSessions(ctx: TestContext, w: World): Promise<void> {
  // As signing in would: each session carries the phone its employer registered (it sees that engagement).
  const own = await createWorkerSession(ctx.deps.db, w.a.workerIds[0]!, ctx.deps.now(), phoneIndex(ctx.deps.pii, w.a.workers[0]!.phone));
  const other = await createWorkerSession(ctx.deps.db, w.b.workerIds[0]!, ctx.deps.now(), phoneIndex(ctx.deps.pii, w.b.workers[0]!.phone));
  w.headers.workerOwn = { authorization: `Bearer ${own.token}` };
  w.headers.workerOther = { authorization: `Bearer ${other.token}` };
}

function complaintBody(w: World) {
  return { projectId: w.a.projectId, months: ['2026-10'], amountClaimedFen: 100_000, workersAffected: 1, description: 'matrix', channel: 'phone_12333' };
}
let complaintPhone = 0;

function projectBody(w: World) {
  return {
    name: '矩阵项目', countyCode: '220702', industry: 'housing', constructionUnitId: w.a.constructionUnitId, generalContractorId: w.a.gcId,
    contractPriceFen: 500_000_000, startDate: '2026-03-01', plannedEndDate: '2027-12-31', payday: 10, laborManager: { name: '王专管', phone: '13800000001' },
    wageAccount: { bankId: w.a.bankId, accountNumber: `62${Date.now()}${Math.floor(Math.random() * 1e6)}` },
  };
}

const ANY_ROLE: Partial<Record<RoleName, Expect>> = { admin: 'ok', contractorOwn: 'ok', contractorOther: 'ok', bankOwn: 'ok', bankOther: 'ok', inspectorOwn: 'ok', inspectorOther: 'ok', regulator: 'ok' };
const only = (...r: RoleName[]): Partial<Record<RoleName, Expect>> => Object.fromEntries(r.map((x) => [x, 'ok' as Expect]));
const noWorkers = (r: Row): Row => ({ ...r, expect: { ...r.expect, workerOwn: 403, workerOther: 403 } });
const PUBLIC: Row = { expect: { none: 'ok', ...ANY_ROLE }, rest: 'ok' };
const PUBLIC_ALL = (): Row => ({ expect: {}, rest: 'ok' });
/**
 * An operation on project A. `allowed` may act; `relationForbidden` are related to A but their
 * relation may not do this (403); `roleForbidden` roles may never do this anywhere (403 for own and
 * other tenant alike); every other caller is an outsider of tenant A (404).
 */
type Kind = 'contractor' | 'bank' | 'inspector' | 'regulator';
const KIND: Record<Kind, RoleName[]> = { contractor: ['contractorOwn', 'contractorOther'], bank: ['bankOwn', 'bankOther'], inspector: ['inspectorOwn', 'inspectorOther'], regulator: ['regulator'] };
const projectOp = (allowed: RoleName[], relationForbidden: RoleName[] = [], roleForbidden: Kind[] = []): Row => ({
  expect: {
    none: 401, ...only(...allowed),
    ...Object.fromEntries(relationForbidden.map((r) => [r, 403 as Expect])),
    ...Object.fromEntries(roleForbidden.flatMap((k) => KIND[k]).map((r) => [r, 403 as Expect])),
  },
  rest: 404,
});
/** Writes only the contractors related to A (and the admin) may do: banks, inspectors and regulators are refused by role. */
const contractorWrite = (): Row => projectOp(['admin', 'contractorOwn'], [], ['bank', 'inspector', 'regulator']);

/** A subscription owned by the inspector of A: other subscribers get 404, roles that cannot subscribe 403. */
// Contractors read their own alerts (issue 19 item 16): another key's subscription is a 404 to them.
const SUB_OWNER: Partial<Record<RoleName, Expect>> = { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 404, regulator: 404, contractorOwn: 404, contractorOther: 404 };
const ALERT_READERS: Partial<Record<RoleName, Expect>> = { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 'ok', regulator: 'ok', contractorOwn: 'ok', contractorOther: 'ok' };

export const TABLE: Record<string, Row> = {
  healthz: PUBLIC,
  readyz: PUBLIC,
  // admin-only platform operations: every other role is forbidden (403), never a 404
  createApiKey: { expect: { none: 401, admin: 'ok' }, rest: 403, body: () => ({ role: 'regulator', label: 'matrix', industries: ['housing'] }) },
  revokeApiKey: { expect: { none: 401, admin: 'ok' }, rest: 403 },
  verifyAudit: { expect: { none: 401, admin: 'ok' }, rest: 403 },
  verifyAuditAgainstCheckpoint: { expect: { none: 401, admin: 'ok' }, rest: 403,
    body: () => ({ day: '2026-01-01', lastSeq: 0, headHash: '0'.repeat(64), keyId: 'matrix', signature: 'AAAA' }) },
  createAuditCheckpoint: { expect: { none: 401, admin: 'ok' }, rest: 403 },
  getLatestAuditCheckpoint: { expect: { none: 401, admin: 'ok' }, rest: 403, fresh: async (ctx) => void (await writeCheckpoint(ctx.deps.db, '2026-01-01')) },
  getAuditPublicKey: { expect: { none: 401, admin: 'ok' }, rest: 403 },
  createBank: { expect: { none: 401, admin: 'ok' }, rest: 403 },
  rotateBankSecret: { expect: { none: 401, admin: 'ok' }, rest: 403 },
  createCompany: { expect: { none: 401, admin: 'ok' }, rest: 403 },
  createProject: { expect: { none: 401, admin: 'ok', contractorOwn: 'ok', contractorOther: 403 }, rest: 403, body: (w) => projectBody(w) },
  getProject: projectOp(['admin', 'contractorOwn', 'bankOwn', 'inspectorOwn', 'regulator']),
  // only the project's GC changes its settings (the pay month): even the admin may not; another company learns nothing (404)
  updateProject: { expect: { none: 401, contractorOwn: 'ok', contractorOther: 404 }, rest: 403, body: () => ({ payMonth: 'previous' }) },
  createSubcontract: contractorWrite(),
  getNoticeBoard: PUBLIC,
  getNoticeBoardHtml: PUBLIC,
  registerWorker: contractorWrite(),
  listWorkers: projectOp(['admin', 'contractorOwn', 'inspectorOwn'], [], ['bank', 'regulator']),
  exitWorker: contractorWrite(),
  revealWorkerPii: { expect: { none: 401, admin: 'ok' }, rest: 403 },
  recordAttendance: contractorWrite(),
  getAttendance: projectOp(['admin', 'contractorOwn', 'inspectorOwn'], [], ['bank', 'regulator']),
  importWorkers: contractorWrite(),
  // card custody (issue 17): a contractor of another tenant reaching for A's worker is a 404 (and a red alert)
  // A signed-in worker's role may never act on a project's card routes (their door is /v1/me/*).
  proposeWorkerCard: noWorkers(contractorWrite()),
  listWorkerCards: noWorkers(projectOp(['admin', 'contractorOwn', 'inspectorOwn'], [], ['bank', 'regulator'])),
  listCardFixes: noWorkers(projectOp(['admin', 'contractorOwn', 'inspectorOwn'], [], ['bank', 'regulator'])),
  listCardVerifications: { expect: { none: 401, admin: 'ok', bankOwn: 'ok', bankOther: 'ok' }, rest: 403 },
  projectRosterCompliance: projectOp(['admin', 'contractorOwn', 'inspectorOwn', 'regulator'], ['bankOwn']),
  getDeposit: projectOp(['admin', 'contractorOwn', 'inspectorOwn', 'bankOwn'], ['regulator']),
  addDepositGuarantee: projectOp(['admin', 'contractorOwn'], ['bankOwn', 'inspectorOwn', 'regulator']),
  drawDeposit: projectOp(['admin', 'inspectorOwn'], ['contractorOwn', 'bankOwn', 'regulator']),
  recordDepositReplenishment: projectOp(['admin', 'bankOwn'], ['contractorOwn', 'inspectorOwn', 'regulator']),
  requestDepositReturn: projectOp(['admin', 'contractorOwn'], ['bankOwn', 'inspectorOwn', 'regulator']),
  setAllocationSchedule: { ...projectOp(['admin', 'contractorOwn'], ['bankOwn', 'inspectorOwn', 'regulator']), body: () => ({ cycleMonths: 1, dueDay: 5, amountFen: 50_000_000, startMonth: '2026-10' }) },
  getAllocationSchedule: projectOp(['admin', 'contractorOwn', 'bankOwn', 'inspectorOwn', 'regulator']),
  recordAllocation: projectOp(['admin', 'contractorOwn'], ['bankOwn', 'inspectorOwn', 'regulator']),
  getWageAccount: projectOp(['admin', 'contractorOwn', 'bankOwn', 'inspectorOwn'], ['regulator']),
  setPolicySetting: { expect: { none: 401, admin: 'ok' }, rest: 403, body: () => ({}) },
  setMinimumWage: { expect: { none: 401, admin: 'ok' }, rest: 403, body: () => ({ scope: '220702', effectiveFrom: '2030-01-01', monthlyFen: 200_000, hourlyFen: 2_000, source: 'matrix' }) },
  getMinimumWage: { expect: { none: 401, ...ANY_ROLE }, rest: 'ok' },
  getEffectivePolicy: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 'ok' }, rest: 403 },
  setCalendarDays: { expect: { none: 401, admin: 'ok' }, rest: 403 },
  submitPayroll: contractorWrite(),
  listPayrolls: projectOp(['admin', 'contractorOwn', 'bankOwn', 'inspectorOwn', 'regulator']),
  // the contract lists GC, employer, inspector, admin: the project's bank is not told the sheet exists (404), although listPayrolls shows it (reported)
  getPayroll: projectOp(['admin', 'contractorOwn', 'inspectorOwn', 'regulator']),
  // only the GC's labour-wage officer approves: even the admin may not
  approvePayroll: projectOp(['contractorOwn'], ['admin'], ['bank', 'inspector', 'regulator']),
  listBankBatches: { expect: { none: 401, admin: 'ok', bankOwn: 'ok', bankOther: 'ok' }, rest: 403 },
  getBankBatch: { expect: { none: 401, admin: 'ok', bankOwn: 'ok', bankOther: 404 }, rest: 403 },
  acknowledgeBankBatch: { expect: { none: 401, bankOwn: 'ok', bankOther: 404 }, rest: 403 },
  importBankStatement: { expect: { none: 401, bankOwn: 'ok', bankOther: 'ok' }, rest: 403 },
  // signed, not bearer: a bad signature is 401 for everyone, whatever key rides along
  receiveBankWebhook: { expect: {}, rest: 401 },
  getProjectReconciliation: projectOp(['admin', 'contractorOwn', 'bankOwn', 'inspectorOwn', 'regulator']),
  // As getPayroll: per-worker pay only to the employer, the GC, inspectors, regulators (issue 21, item 13).
  getPayrollReconciliation: projectOp(['admin', 'contractorOwn', 'inspectorOwn', 'regulator']),
  runSweep: { expect: { none: 401, admin: 'ok' }, rest: 403, body: () => ({ asOf: '2026-10-01' }) },
  listCases: { expect: { none: 401, admin: 'ok', contractorOwn: 'ok', contractorOther: 'ok', inspectorOwn: 'ok', inspectorOther: 'ok', regulator: 'ok' }, rest: 403 },
  getCase: { expect: { none: 401, admin: 'ok', contractorOwn: 'ok', contractorOther: 404, inspectorOwn: 'ok', inspectorOther: 404, regulator: 'ok' }, rest: 403 },
  issueGcOrder: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 404 }, rest: 403 },
  issueDepositNotice: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 404 }, rest: 403 },
  flagMassIncident: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 404 }, rest: 403 },
  payCaseAsGc: { expect: { none: 401, admin: 'ok', contractorOwn: 'ok', contractorOther: 404 }, rest: 403 },
  getClearance: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 'ok' }, rest: 403 },
  getCompanyCredit: { expect: { none: 401, ...ANY_ROLE }, rest: 'ok' },
  recomputeCredit: { expect: { none: 401, admin: 'ok' }, rest: 403, body: () => ({ asOf: '2026-10-01' }) },
  evaluateBlacklist: { expect: { none: 401, admin: 'ok' }, rest: 403, body: () => ({ asOf: '2026-10-01' }) },
  setBlacklistResponsiblePersons: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 404 }, rest: 403, body: () => ({ persons: [{ name: '吴工长', role: 'directly_responsible' }] }) },
  proposeBlacklist: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 403 }, rest: 403 },
  getBlacklistEntry: { expect: { none: 401, admin: 'ok', contractorOwn: 'ok', inspectorOwn: 'ok' }, rest: 404 },
  // inspectors of other counties see the company, with only their counties' proposals (an empty list)
  listCompanyBlacklistProposals: { expect: { none: 401, admin: 'ok', contractorOwn: 'ok', contractorOther: 404, inspectorOwn: 'ok', inspectorOther: 'ok' }, rest: 403 },
  objectToBlacklistProposal: { expect: { none: 401, admin: 'ok', contractorOwn: 'ok', contractorOther: 404 }, rest: 403 },
  decideBlacklistObjection: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 404 }, rest: 403 },
  listBlacklistEntry: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 404 }, rest: 403 },
  requestBlacklistRemoval: { expect: { none: 401, admin: 'ok', contractorOwn: 'ok', contractorOther: 404 }, rest: 403 },
  // no removal request exists under the proposal: callers allowed to decide learn that (404), outsiders are told nothing (404)
  decideBlacklistRemoval: { expect: { none: 401, admin: 404, inspectorOwn: 404, inspectorOther: 404 }, rest: 403 },
  listBlacklist: { expect: { none: 401, ...ANY_ROLE }, rest: 'ok' },
  exportBlacklist: { expect: { none: 401, admin: 'ok', bankOwn: 'ok', bankOther: 'ok', regulator: 'ok' }, rest: 403 },
  pickProjects: { expect: { none: 401, ...ANY_ROLE, workerOwn: 403, workerOther: 403 }, rest: 'ok' },
  searchCompanies: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 'ok', regulator: 'ok' }, rest: 403 },
  listAlerts: { expect: { ...ALERT_READERS }, rest: 403 },
  streamAlerts: { expect: { ...ALERT_READERS }, rest: 403 },
  createAlertSubscription: { expect: { ...ALERT_READERS }, rest: 403 },
  listAlertSubscriptions: { expect: { ...ALERT_READERS }, rest: 403 },
  getAlertSubscription: { expect: { ...SUB_OWNER } , rest: 403 },
  deleteAlertSubscription: { expect: { ...SUB_OWNER }, rest: 403, fresh: freshSubscription },
  listAlertDeliveries: { expect: { ...SUB_OWNER } , rest: 403 },
  replayAlertSubscription: { expect: { ...SUB_OWNER } , rest: 403 },
  // the worker's own door (#18): `workerOwn` is a worker of A, `workerOther` of B
  requestWorkerCode: PUBLIC_ALL(),
  createWorkerSession: PUBLIC_ALL(),
  deleteWorkerSession: { expect: { none: 401, workerOwn: 'ok', workerOther: 'ok' }, rest: 403, fresh: freshWorkerSessions },
  revokeWorkerSessions: { expect: { none: 401, admin: 'ok' }, rest: 403 },
  getMe: { expect: { none: 401, workerOwn: 'ok', workerOther: 'ok' }, rest: 403 },
  listMyEngagements: { expect: { none: 401, workerOwn: 'ok', workerOther: 'ok' }, rest: 403 },
  listMyPayslips: { expect: { none: 401, workerOwn: 'ok', workerOther: 'ok' }, rest: 403 },
  getMyPayslip: { expect: { none: 401, workerOwn: 'ok', workerOther: 404 }, rest: 403 },
  answerMyPayslip: { expect: { none: 401, workerOwn: 'ok', workerOther: 404 }, rest: 403 },
  // A made-up proposal id: not this worker's (nor anyone's), so 404 for both; the card-custody tests confirm a real one.
  confirmMyCardProposal: { expect: { none: 401, workerOwn: 404, workerOther: 404 }, rest: 403 },
  searchProjects: PUBLIC_ALL(),
  requestComplaintCode: { ...PUBLIC_ALL(), body: () => ({ phone: `137${String(++complaintPhone).padStart(8, '0')}` }) },
  fileComplaint: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 404, workerOwn: 'ok', workerOther: 'ok' }, rest: 403, body: (w) => complaintBody(w) },
  listComplaints: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 'ok' }, rest: 403 },
  decideComplaint: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 404 }, rest: 403, body: () => ({ action: 'accept', reply: 'matrix' }) },
  listMyComplaints: { expect: { workerOwn: 'ok', workerOther: 'ok' }, rest: 403 },
  // a file of another county's projects is accepted as a file, its rows rejected (404 per row): still a 200
  importComplaints: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 'ok' }, rest: 403 },
  // the line of worker A has no open dispute in the world: 409 for the inspector of A (a rule answer), 404 for others
  clearLineDispute: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 404 }, rest: 403, body: () => ({ reason: 'matrix' }) },
  getComplianceMetrics: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 404 }, rest: 403, query: () => ({ countyCode: '220702', month: '2026-10' }) },
  // project life: the GC declares and closes; inspectors excuse lines and hold data; a future date changes nothing
  getCompletion: projectOp(['admin', 'contractorOwn', 'inspectorOwn'], ['bankOwn', 'regulator']),
  declareCompletion: { ...projectOp(['contractorOwn'], ['admin', 'bankOwn', 'inspectorOwn', 'regulator']), body: () => ({ completedOn: '2099-01-01' }) },
  closeProject: projectOp(['contractorOwn'], ['admin', 'bankOwn', 'inspectorOwn', 'regulator']),
  excuseWageLine: projectOp(['inspectorOwn'], ['admin', 'contractorOwn', 'bankOwn', 'regulator']),
  addLegalHold: projectOp(['inspectorOwn'], ['admin', 'contractorOwn', 'bankOwn', 'regulator']),
  listLegalHolds: projectOp(['admin', 'contractorOwn', 'inspectorOwn'], ['bankOwn', 'regulator']),
  // no such hold: the inspector of A learns that (404), the others are refused by relation or told nothing
  releaseLegalHold: projectOp([], ['admin', 'contractorOwn', 'bankOwn', 'regulator']),
  runRetention: { expect: { none: 401, admin: 'ok' }, rest: 403, body: () => ({ asOf: '2026-10-01' }) },
  getWageLedger: { ...projectOp(['admin', 'contractorOwn', 'inspectorOwn'], ['bankOwn', 'regulator']), query: () => ({}) },
  getCountyMonthlyReport: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 404 }, rest: 403, query: () => ({ countyCode: '220702', month: '2026-10' }) },
  listCountyMonthlyReports: { expect: { none: 401, admin: 'ok', inspectorOwn: 'ok', inspectorOther: 404 }, rest: 403, query: () => ({ countyCode: '220702' }) },
};

/**
 * Operations that refuse the worker role before looking at the project (403, as for banks): the
 * contractors' roster and payroll writes and reads. Everywhere else a worker is an outsider (404).
 */
for (const id of ['createSubcontract', 'registerWorker', 'listWorkers', 'exitWorker', 'recordAttendance', 'getAttendance', 'importWorkers', 'submitPayroll', 'approvePayroll']) {
  TABLE[id]!.expect = { ...TABLE[id]!.expect, workerOwn: 403, workerOther: 403 };
}

/** Path parameter values: every one names a resource of tenant A. */
export function pathFor(path: string, w: World): string {
  const id = (() => {
    if (path.startsWith('/v1/projects/')) return w.a.projectId;
    if (path.startsWith('/v1/payrolls/')) return w.ids.payrollId;
    if (path.startsWith('/v1/bank/batches/')) return w.ids.batchId;
    if (path.startsWith('/v1/cases/')) return w.ids.caseId;
    if (path.startsWith('/v1/companies/')) return w.a.gcId;
    if (path.startsWith('/v1/blacklist/')) return w.ids.proposalId;
    if (path.startsWith('/v1/alert-subscriptions/')) return w.ids.subscriptionId;
    if (path.startsWith('/v1/api-keys/')) return w.ids.throwawayKeyId;
    if (path.startsWith('/v1/banks/')) return w.a.bankId;
    if (path.startsWith('/v1/workers/')) return w.a.workerIds[0]!;
    if (path.startsWith('/v1/complaints/')) return w.ids.complaintId;
    return '01900000-0000-7000-8000-000000000000';
  })();
  return path
    .replace('{id}', id)
    .replace('{workerId}', w.ids.exitWorkerId)
    .replace('{lineId}', w.ids.lineId)
    .replace('{holdId}', '01900000-0000-7000-8000-000000000002')
    .replace('{proposalId}', '01900000-0000-7000-8000-000000000002')
    .replace('{rid}', '01900000-0000-7000-8000-000000000001')
    .replace('{scope}', '220702')
    .replace('{key}', 'payday')
    .replace('{countyCode}', '220702')
    .replace('{bankCode}', w.a.bankCode);
}

const rows = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

/** Two tenants, every kind of caller, and one of each resource in tenant A. */
export async function buildWorld(ctx: TestContext): Promise<World> {
  const a = await seedProject(ctx, { countyCode: '220702', workers: 3 });
  const b = await seedProject(ctx, { countyCode: '220721', workers: 2, sub2: false });
  const regulator = await mintKey(ctx, 'regulator', { industries: ['housing'] });
  const throwaway = await mintKey(ctx, 'regulator', { industries: ['mining'] });
  await fundWage(ctx, a, 100_000_000);
  const { payrollId, batchId } = await submitAndApprove(ctx, a, {
    month: a.month, employerId: a.subId, control: { lineCount: 2, totalNetFen: 1_200_000 },
    lines: a.workerIds.slice(0, 2).map((workerId) => ({ workerId, daysWorked: 20, grossFen: 650_000, deductionsFen: 50_000, netFen: 600_000 })),
  });
  // A case in tenant A: the lines are found missing (stand-in for reconciliation), the sweep opens it.
  await ctx.deps.db.execute(sql`UPDATE payroll_lines SET status = 'missing' WHERE payroll_id = ${payrollId}`);
  for (const asOf of ['2026-11-10', '2026-11-11', '2026-11-12', '2026-11-16', '2026-11-20']) {
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: ctx.admin, payload: { asOf } });
    if (r.statusCode !== 200) throw new Error(`sweep ${asOf}: ${r.statusCode} ${r.body}`);
  }
  const c = rows<{ id: string }>(await ctx.deps.db.execute(sql`SELECT id FROM arrears_cases WHERE project_id = ${a.projectId} LIMIT 1`))[0];
  if (!c) throw new Error('world: no case opened for tenant A');
  const prop = await ctx.app.inject({ method: 'POST', url: '/v1/blacklist/proposals', headers: ctx.admin, payload: { companyId: a.gcId, countyCode: '220702', reason: 'arrears_threshold', reasonDetail: 'matrix world' } });
  if (prop.statusCode !== 201) throw new Error(`proposal: ${prop.statusCode} ${prop.body}`);
  const w: World = {
    a, b,
    headers: {
      none: {}, admin: ctx.admin, contractorOwn: a.headers.gc, contractorOther: b.headers.gc, bankOwn: a.headers.bank, bankOther: b.headers.bank,
      inspectorOwn: a.headers.inspector, inspectorOther: a.headers.otherInspector, regulator: { authorization: regulator.authorization },
      workerOwn: {}, workerOther: {},
    },
    ids: {
      payrollId, batchId, caseId: c.id, proposalId: (prop.json() as { id: string }).id, subscriptionId: '', throwawayKeyId: throwaway.id, exitWorkerId: a.workerIds[2]!,
      lineId: rows<{ id: string }>(await ctx.deps.db.execute(sql`SELECT id FROM payroll_lines WHERE payroll_id = ${payrollId} AND worker_id = ${a.workerIds[0]!}`))[0]!.id,
      complaintId: '',
    },
  };
  await freshWorkerSessions(ctx, w);
  const complaint = await ctx.app.inject({ method: 'POST', url: '/v1/complaints', headers: a.headers.inspector, payload: complaintBody(w) });
  if (complaint.statusCode !== 201) throw new Error(`complaint: ${complaint.statusCode} ${complaint.body}`);
  w.ids.complaintId = (complaint.json() as { id: string }).id;
  await freshSubscription(ctx, w);
  return w;
}

export { signedHeaders };
