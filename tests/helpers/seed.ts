/**
 * A complete project built THROUGH HTTP (app.inject): bank, companies, project, subcontracts,
 * workers and a month of attendance, plus an Authorization header for every role.
 */
import { randomInt } from 'node:crypto';
import type { TestContext } from './context.js';
import { mintKey } from './fixtures.js';

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const USCC = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** A valid resident ID; distinct seeds (< 7,000,000) give distinct numbers. Born 1976–1995. */
export function makeResidentId(seed: number, region = '220702'): string {
  const n = Math.abs(Math.trunc(seed));
  const birth = new Date(Date.UTC(1976, 0, 1) + (n % 7000) * 86_400_000);
  const ymd = birth.toISOString().slice(0, 10).replace(/-/g, '');
  const body = region + ymd + String(Math.floor(n / 7000) % 1000).padStart(3, '0');
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(body[i]) * ID_WEIGHTS[i]!;
  return body + '10X98765432'[s % 11];
}

/** A resident ID for someone born on `birthDate` (YYYY-MM-DD), for age warnings. */
export function makeResidentIdBornOn(birthDate: string, seq = 1, region = '220702'): string {
  const body = region + birthDate.replace(/-/g, '') + String(seq % 1000).padStart(3, '0');
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(body[i]) * ID_WEIGHTS[i]!;
  return body + '10X98765432'[s % 11];
}

/** A valid unified social credit code (GB 32100); distinct seeds give distinct codes. */
export function makeCreditCode(seed: number): string {
  const body = '91220702' + String(Math.abs(Math.trunc(seed)) % 1e9).padStart(9, '0');
  let s = 0;
  for (let i = 0; i < 17; i++) s += USCC.indexOf(body[i]!) * USCC_W[i]!;
  return body + USCC[(31 - (s % 31)) % 31];
}

/** A 19-digit UnionPay card passing Luhn; `luhn: false` gives one that fails it. */
export function makeBankCard(seed: number, luhn = true): string {
  const body = '622202' + String(Math.abs(Math.trunc(seed)) % 1e12).padStart(12, '0');
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  const check = (10 - (sum % 10)) % 10;
  return body + (luhn ? check : (check + 1) % 10);
}

// Unique across calls in one process and (very likely) across test files sharing a DB template.
let counter = randomInt(0, 5_000) * 1_000;
export const nextSeed = () => ++counter;

export interface SeedOptions {
  workers?: number;
  month?: string;
  daysPresent?: number;
  countyCode?: string;
  payday?: number;
  contractPriceFen?: number;
  /** Second subcontractor (default true). */
  sub2?: boolean;
  attendance?: boolean;
}

export type Headers = { authorization: string };

export interface SeededProject {
  projectId: string;
  countyCode: string;
  month: string;
  bankId: string;
  bankCode: string;
  webhookSecret: string;
  wageAccountNumber: string;
  depositAccountNumber: string;
  constructionUnitId: string;
  gcId: string;
  subId: string;
  sub2Id: string | null;
  subcontractIds: string[];
  workerIds: string[];
  /** The registered plain values, for tests that must check a full value never leaks. */
  workers: { id: string; name: string; idNumber: string; bankCardNumber: string; phone: string; employerId: string }[];
  depositRequiredFen: number;
  headers: {
    admin: Headers; gc: Headers; constructionUnit: Headers; sub: Headers; sub2: Headers | null;
    inspector: Headers; otherInspector: Headers; bank: Headers;
  };
}

async function post<T>(ctx: TestContext, url: string, headers: Headers, payload: unknown, expect = 201): Promise<T> {
  const r = await ctx.app.inject({ method: 'POST', url, headers, payload: payload as object });
  if (r.statusCode !== expect) throw new Error(`seed POST ${url}: ${r.statusCode} ${r.body}`);
  return r.json() as T;
}

export async function createCompany(ctx: TestContext, name: string, seed = nextSeed()): Promise<string> {
  const c = await post<{ id: string }>(ctx, '/v1/companies', ctx.admin, { name, creditCode: makeCreditCode(seed), legalRepresentative: `${name} 法人`, contactPhone: '13900000000' });
  return c.id;
}

export async function seedProject(ctx: TestContext, opts: SeedOptions = {}): Promise<SeededProject> {
  const countyCode = opts.countyCode ?? '220702';
  const month = opts.month ?? '2026-10';
  const n = opts.workers ?? 5;
  const withSub2 = opts.sub2 ?? true;
  const s = nextSeed();
  const admin = ctx.admin;

  const bankCode = `B${s}`;
  const bank = await post<{ id: string; webhookSecret: string }>(ctx, '/v1/banks', admin, { name: `测试银行 ${s}`, code: bankCode });
  const constructionUnitId = await createCompany(ctx, `建设单位 ${s}`);
  const gcId = await createCompany(ctx, `总包公司 ${s}`);
  const subId = await createCompany(ctx, `分包公司 ${s}`);
  const sub2Id = withSub2 ? await createCompany(ctx, `劳务公司 ${s}`) : null;
  const gc = await mintKey(ctx, 'contractor', { companyId: gcId });

  const wageAccountNumber = `62${String(s).padStart(10, '0')}01`;
  const depositAccountNumber = `62${String(s).padStart(10, '0')}02`;
  const project = await post<{ id: string; depositRequiredFen: number }>(ctx, '/v1/projects', gc, {
    name: `松原测试项目 ${s}`, countyCode, industry: 'housing', constructionUnitId, generalContractorId: gcId,
    contractPriceFen: opts.contractPriceFen ?? 1_000_000_000, startDate: '2026-03-01', plannedEndDate: '2027-12-31', payday: opts.payday ?? 10,
    laborManager: { name: '王专管', phone: '13800000001' },
    wageAccount: { bankId: bank.id, accountNumber: wageAccountNumber },
    depositAccount: { bankId: bank.id, accountNumber: depositAccountNumber },
  });
  const projectId = project.id;
  const subcontractIds = [(await post<{ id: string }>(ctx, `/v1/projects/${projectId}/subcontracts`, gc, { subcontractorId: subId, contractPriceFen: 300_000_000, laborManager: { name: '李劳资', phone: '13800000002' } })).id];
  if (sub2Id) subcontractIds.push((await post<{ id: string }>(ctx, `/v1/projects/${projectId}/subcontracts`, gc, { subcontractorId: sub2Id, parentCompanyId: subId, contractPriceFen: 100_000_000 })).id);

  const sub = await mintKey(ctx, 'contractor', { companyId: subId });
  const sub2 = sub2Id ? await mintKey(ctx, 'contractor', { companyId: sub2Id }) : null;
  const constructionUnit = await mintKey(ctx, 'contractor', { companyId: constructionUnitId });
  const otherCounty = countyCode === '220721' ? '220722' : '220721';
  const inspector = await mintKey(ctx, 'inspector', { countyCodes: [countyCode] });
  const otherInspector = await mintKey(ctx, 'inspector', { countyCodes: [otherCounty] });
  const bankKey = await mintKey(ctx, 'bank', { bankId: bank.id });

  const workers: SeededProject['workers'] = [];
  for (let i = 0; i < n; i++) {
    const ws = nextSeed();
    const w = { name: `工人${ws}`, idNumber: makeResidentId(ws), bankCardNumber: makeBankCard(ws), phone: `139${String(ws).padStart(8, '0').slice(-8)}`, employerId: subId };
    const r = await post<{ id: string }>(ctx, `/v1/projects/${projectId}/workers`, sub, {
      ...w, trade: i % 2 ? '钢筋工' : '木工', team: '一班', contractSigned: true, dispatched: false, entryDate: '2026-03-01',
    });
    workers.push({ id: r.id, ...w });
  }
  if (n > 0 && opts.attendance !== false) {
    await post(ctx, `/v1/projects/${projectId}/attendance`, sub, { month, entries: workers.map((w) => ({ workerId: w.id, daysPresent: opts.daysPresent ?? 22 })) }, 200);
  }
  return {
    projectId, countyCode, month, bankId: bank.id, bankCode, webhookSecret: bank.webhookSecret, wageAccountNumber, depositAccountNumber,
    constructionUnitId, gcId, subId, sub2Id, subcontractIds, workerIds: workers.map((w) => w.id), workers, depositRequiredFen: project.depositRequiredFen,
    headers: {
      admin, gc: { authorization: gc.authorization }, constructionUnit: { authorization: constructionUnit.authorization },
      sub: { authorization: sub.authorization }, sub2: sub2 ? { authorization: sub2.authorization } : null,
      inspector: { authorization: inspector.authorization }, otherInspector: { authorization: otherInspector.authorization }, bank: { authorization: bankKey.authorization },
    },
  };
}
