import { createHash } from 'node:crypto';
import { makeBankCard, makeCreditCode, makeResidentId } from '../../tests/helpers/seed.js';
import { signWebhook } from '../../src/lib/crypto.js';
import type { Client } from './client.js';
import { between, pick } from './rng.js';

/** The five Songyuan county-level divisions (松原市). */
export const COUNTIES = [
  { code: '220702', name: '宁江区' }, { code: '220721', name: '前郭尔罗斯蒙古族自治县' }, { code: '220722', name: '长岭县' },
  { code: '220723', name: '乾安县' }, { code: '220781', name: '扶余市' },
] as const;
const INDUSTRIES = ['housing', 'transport', 'water', 'power', 'utilities', 'land'] as const;
const TRADES = ['木工', '钢筋工', '瓦工', '架子工', '电工', '焊工', '混凝土工', '普工'];
const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗';

export interface ScenarioSize { projects: number; workersPerProject: number; months: string[]; /** Days between sweeps (default 2). */ stepDays?: number }
export const FULL: ScenarioSize = { projects: 20, workersPerProject: 100, months: ['2026-07', '2026-08', '2026-09'] };
export const SMALL: ScenarioSize = { projects: 5, workersPerProject: 6, months: ['2026-08', '2026-09'], stepDays: 3 };

export interface Company { id: string; name: string; key: string }
export interface Project {
  index: number; id: string; name: string; county: string; industry: string; bank: Bank; gc: Company; cu: Company;
  subs: Company[]; workers: { id: string; name: string; employerId: string }[]; wageAccount: string; depositAccount: string; depositRequiredFen: number;
  /** The roles this project plays in the story. */
  role: 'normal' | 'defaulting_sub' | 'ignoring_gc';
}
export interface Bank { id: string; code: string; secret: string; key: string; name: string }
export interface World {
  tag: string; admin: string; banks: Bank[]; projects: Project[]; inspectors: Record<string, string>; regulator: string;
  /** Money sent into the platform's accounts by the scenario (fen). */
  moneyIn: { wage: number; deposit: number };
}

/**
 * A number unique to (tag, i), so identifiers rarely meet those of an earlier run on the same database: slots of
 * 3,500 (a full run draws ~2,100 numbers) inside the 7,000,000 resident IDs makeResidentId can tell apart.
 */
export function tagBase(tag: string): number {
  return (createHash('sha256').update(tag).digest().readUInt32BE(0) % 2_000) * 3_500;
}
/** Credit codes are unique platform-wide and have room for 10^9: a second, much wider slot for companies. */
export function companyBase(tag: string): number {
  return (createHash('sha256').update(tag).digest().readUInt32BE(4) % 999_000) * 1_000;
}

/** Banks, companies, keys, projects with subcontract trees, deposits and workers (bulk import). */
export async function buildWorld(api: Client, admin: string, tag: string, size: ScenarioSize, r: () => number, log: (m: string) => void): Promise<World> {
  const base = tagBase(tag);
  let seq = 0;
  const next = () => base + ++seq;
  const cbase = companyBase(tag);
  const banks: Bank[] = [];
  for (const [i, name] of ['吉林银行松原分行', '中国农业银行松原分行', '松原农商银行'].entries()) {
    const code = `SY${tag.replace(/[^0-9A-Za-z]/g, '').slice(-8).toUpperCase()}${i}`;
    const b = await api.post<{ id: string; webhookSecret: string }>('/v1/banks', admin, { name: `${name} ${tag}`, code });
    const k = await api.post<{ key: string }>('/v1/api-keys', admin, { role: 'bank', bankId: b.id, label: `${name} 接口` });
    banks.push({ id: b.id, code, secret: b.webhookSecret, key: k.key, name });
  }
  const company = async (name: string): Promise<Company> => {
    const c = await api.post<{ id: string }>('/v1/companies', admin, { name, creditCode: makeCreditCode(cbase + next() - base), legalRepresentative: `${pick(r, [...SURNAMES])}法人`, contactPhone: '13900000000' });
    const k = await api.post<{ key: string }>('/v1/api-keys', admin, { role: 'contractor', companyId: c.id, label: name });
    return { id: c.id, name, key: k.key };
  };
  const inspectors: Record<string, string> = {};
  for (const c of COUNTIES) inspectors[c.code] = (await api.post<{ key: string }>('/v1/api-keys', admin, { role: 'inspector', countyCodes: [c.code], label: `${c.name} 劳动监察大队` })).key;
  const regulator = (await api.post<{ key: string }>('/v1/api-keys', admin, { role: 'regulator', industries: [...INDUSTRIES], label: '住建局' })).key;

  // A few GCs run several projects; every project has its own subcontractors (a tree of depth 2).
  const gcCount = Math.max(2, Math.ceil(size.projects / 3));
  const gcs: Company[] = [];
  for (let i = 0; i < gcCount; i++) gcs.push(await company(`松原建工集团第${i + 1}公司 ${tag}`));
  const moneyIn = { wage: 0, deposit: 0 };
  const projects: Project[] = [];
  for (let i = 0; i < size.projects; i++) {
    const county = COUNTIES[i % COUNTIES.length]!.code;
    const industry = INDUSTRIES[i % INDUSTRIES.length]!;
    const gc = gcs[i % gcCount]!;
    const cu = await company(`建设单位${i + 1} ${tag}`);
    const bank = banks[i % banks.length]!;
    const n = String(next());
    const wageAccount = `62${n.padStart(10, '0')}01`;
    const depositAccount = `62${n.padStart(10, '0')}02`;
    const name = `松原${COUNTIES[i % COUNTIES.length]!.name}${['住宅', '道路', '水利', '电网', '管网', '土地整理'][i % 6]}项目${i + 1} ${tag}`;
    const p = await api.post<{ id: string; depositRequiredFen: number }>('/v1/projects', gc.key, {
      name, countyCode: county, industry, constructionUnitId: cu.id, generalContractorId: gc.id, contractPriceFen: between(r, 5, 80) * 10_000_000_00,
      startDate: '2026-06-01', plannedEndDate: '2027-10-31', payday: 10, laborManager: { name: `${pick(r, [...SURNAMES])}专管`, phone: '13800000001' },
      wageAccount: { bankId: bank.id, accountNumber: wageAccount }, depositAccount: { bankId: bank.id, accountNumber: depositAccount },
    });
    const subs: Company[] = [];
    const nSubs = size.workersPerProject >= 30 ? 3 : 2;
    for (let s = 0; s < nSubs; s++) {
      const sub = await company(`${['劳务', '钢结构', '装饰', '机电'][s % 4]}分包${i + 1}-${s + 1} ${tag}`);
      // The second subcontractor works under the first (a labour subcontract inside a specialist one).
      await api.post(`/v1/projects/${p.id}/subcontracts`, gc.key, { subcontractorId: sub.id, ...(s === 1 ? { parentCompanyId: subs[0]!.id } : {}), contractPriceFen: between(r, 1, 9) * 10_000_000_0, laborManager: { name: '李劳资', phone: '13800000002' } });
      subs.push(sub);
    }
    projects.push({ index: i, id: p.id, name, county, industry, bank, gc, cu, subs, workers: [], wageAccount, depositAccount, depositRequiredFen: p.depositRequiredFen, role: 'normal' });
  }
  // The story's two troublemakers, in different counties.
  projects[1 % projects.length]!.role = 'defaulting_sub';
  projects[2 % projects.length]!.role = 'ignoring_gc';

  // Random choices first, in a fixed order; then the requests, four projects at a time.
  const rosters = projects.map((p) => {
    let w = 0;
    return p.subs.map((sub, s) => {
      const count = Math.floor(size.workersPerProject / p.subs.length) + (s < size.workersPerProject % p.subs.length ? 1 : 0);
      return { sub, rows: Array.from({ length: count }, () => {
        const ws = next();
        w++;
        return {
          name: `${pick(r, [...SURNAMES])}工${String(p.index).padStart(2, '0')}-${String(w).padStart(3, '0')}`, idNumber: makeResidentId(ws, p.county), phone: `139${String(ws).padStart(8, '0').slice(-8)}`,
          bankCardNumber: makeBankCard(ws), trade: pick(r, TRADES), team: `${1 + (w % 4)}班`, contractSigned: r() > 0.03, dispatched: r() < 0.05, entryDate: '2026-06-15',
        };
      }) };
    });
  });
  let next_ = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next_ < projects.length) {
      const i = next_++;
      const p = projects[i]!;
      // Deposit paid in cash at registration (the ignoring GC's too: the deposit is what pays for it).
      await deposit(api, p, p.depositRequiredFen, '2026-06-05', `DEP-${p.index}-INIT`);
      moneyIn.deposit += p.depositRequiredFen;
      // Workers: each subcontractor imports its roster in one bulk request.
      for (const { sub, rows } of rosters[i]!) {
        const res = await api.post<{ accepted: number; rejected: unknown[]; acceptedRows: { row: number; workerId: string }[] }>(`/v1/projects/${p.id}/workers/import?employerId=${sub.id}`, sub.key, rows);
        if (res.rejected.length) log(`import ${p.name}: ${res.rejected.length} rows rejected: ${JSON.stringify(res.rejected[0]).slice(0, 200)}`);
        for (const a of [...res.acceptedRows].sort((x, y) => x.row - y.row)) p.workers.push({ id: a.workerId, name: rows[a.row - 1]!.name, employerId: sub.id });
      }
    }
  }));
  return { tag, admin, banks, projects, inspectors, regulator, moneyIn };
}

export async function credit(api: Client, p: Project, account: string, amountFen: number, valueDate: string, reference: string): Promise<void> {
  const body = JSON.stringify({ type: 'account.credited', data: { accountNumber: account, amountFen, valueDate, reference, payerName: p.cu.name } });
  const id = `msg_${createHash('sha256').update(`${p.id}:${reference}`).digest('hex').slice(0, 32)}`;
  const http = api.http();
  for (let attempt = 0; ; attempt++) {
    const ts = Math.floor(Date.now() / 1000);
    const res = await http({ method: 'POST', path: `/v1/webhooks/bank/${p.bank.code}`, body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(p.bank.secret, id, ts, body) } });
    if (res.status === 200) return;
    if (attempt > 5) throw new Error(`credit ${reference}: ${res.status} ${res.body.slice(0, 200)}`);
  }
}
export const deposit = (api: Client, p: Project, amountFen: number, valueDate: string, ref: string) => credit(api, p, p.depositAccount, amountFen, valueDate, ref);
export const allocate = (api: Client, p: Project, amountFen: number, valueDate: string, ref: string) => credit(api, p, p.wageAccount, amountFen, valueDate, ref);
