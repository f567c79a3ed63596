/**
 * The worker's door in the demo, through the public API only: a worker who disputes a payment the bank
 * reported paid, and a team on no roster that complains by phone code; the case their complaint opens is
 * handled to the end (accepted, then resolved: the case closes). SMS codes are read from a small local
 * gateway, so the platform must run with SMS_PROVIDER=http and SMS_HTTP_URL pointing at it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { signWebhook } from '../../src/lib/crypto.js';
import { makeBankCard, makeCreditCode, makeResidentId } from '../../tests/helpers/seed.js';

interface Sms { phone: string; template: string; params: Record<string, string> }

/** A local SMS gateway (the `http` provider's target): keeps every message, dedupes by webhook-id. */
export async function startSmsGateway(port = 0) {
  const seen = new Set<string>();
  const messages: Sms[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      try {
        const b = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: Sms };
        if (!seen.has(id)) { seen.add(id); messages.push(b.data); }
        res.writeHead(200).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  return {
    url,
    messages,
    /** The newest code of a template sent to a phone, waiting for it up to `ms`. */
    async code(phone: string, template: string, after: number, ms = 20_000): Promise<string> {
      const end = Date.now() + ms;
      for (;;) {
        const m = messages.slice(after).reverse().find((x) => x.phone === phone && x.template === template);
        if (m) return m.params.code!;
        if (Date.now() > end) throw new Error(`no ${template} SMS to ${phone.slice(0, 3)}****: is the platform running with SMS_PROVIDER=http SMS_HTTP_URL=${url}?`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    close: () => new Promise((r) => server.close(r)),
  };
}
export type SmsGateway = Awaited<ReturnType<typeof startSmsGateway>>;

export interface WorkerDoorResult { lineStatus: string; disputeSeverity: string | null; complaintRef: string; caseId: string; caseStatus: string; replies: number }

export async function runWorkerDoorDemo(o: { baseUrl: string; adminKey: string; tag: string; seed: number; gateway: SmsGateway; log?: (m: string) => void }): Promise<WorkerDoorResult> {
  const log = o.log ?? (() => {});
  const call = async <T>(method: string, path: string, auth: string | null, body?: unknown, headers: Record<string, string> = {}, raw?: string): Promise<{ status: number; body: T }> => {
    const r = await fetch(o.baseUrl + path, {
      method, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(body !== undefined || raw ? { 'content-type': 'application/json' } : {}), ...headers },
    });
    const txt = await r.text();
    return { status: r.status, body: (txt ? JSON.parse(txt) : null) as T };
  };
  const ok = async <T>(method: string, path: string, auth: string | null, body?: unknown, headers?: Record<string, string>): Promise<T> => {
    const r = await call<T>(method, path, auth, body, headers);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const admin = o.adminKey;
  const s = 900_000 + (o.seed % 1000) * 100 + Math.floor(Math.random() * 99);
  const code = `W${o.tag}`.slice(0, 16);

  // A small project of its own, so the story does not depend on the rest of the demo.
  const bank = await ok<{ id: string; webhookSecret: string }>('POST', '/v1/banks', admin, { name: `工人之门演示银行 ${o.tag}`, code });
  const company = (name: string, n: number) => ok<{ id: string }>('POST', '/v1/companies', admin, { name, creditCode: makeCreditCode(s + n), legalRepresentative: '演示法人', contactPhone: '13900000000' });
  const cu = await company(`松原城投 ${o.tag}`, 1);
  const gc = await company(`松原建工 ${o.tag}`, 2);
  const sub = await company(`宁江劳务 ${o.tag}`, 3);
  const key = async (role: string, extra: object) => (await ok<{ key: string }>('POST', '/v1/api-keys', admin, { role, label: `demo ${role}`, ...extra })).key;
  const gcKey = await key('contractor', { companyId: gc.id });
  const subKey = await key('contractor', { companyId: sub.id });
  const inspector = await key('inspector', { countyCodes: ['220702'] });
  const wageAccount = `62${String(s).padStart(10, '0')}91`;
  const project = await ok<{ id: string }>('POST', '/v1/projects', gcKey, {
    name: `松原江北安置房项目 ${o.tag}`, countyCode: '220702', industry: 'housing', constructionUnitId: cu.id, generalContractorId: gc.id,
    contractPriceFen: 800_000_000, startDate: '2026-06-01', plannedEndDate: '2027-10-31', payday: 15,
    laborManager: { name: '王专管', phone: '13800000001' }, wageAccount: { bankId: bank.id, accountNumber: wageAccount },
  });
  await ok('POST', `/v1/projects/${project.id}/subcontracts`, gcKey, { subcontractorId: sub.id, contractPriceFen: 200_000_000 });
  const w = { name: '刘建国', idNumber: makeResidentId(s, '220702'), phone: `139${String(s).padStart(8, '0').slice(-8)}`, bankCardNumber: makeBankCard(s) };
  const reg = await ok<{ id: string }>('POST', `/v1/projects/${project.id}/workers`, subKey, { ...w, employerId: sub.id, trade: '钢筋工', team: '一班', contractSigned: true, dispatched: false, entryDate: '2026-09-01' });
  const month = '2026-10';
  const net = 520_000;
  await ok('POST', `/v1/projects/${project.id}/attendance`, subKey, { month, entries: [{ workerId: reg.id, daysPresent: 22 }] });
  const webhook = async (event: unknown) => {
    const body = JSON.stringify(event);
    const id = `msg_${randomUUID()}`;
    const ts = Math.floor(Date.now() / 1000);
    const r = await call('POST', `/v1/webhooks/bank/${code}`, null, undefined, { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(bank.webhookSecret, id, ts, body) }, body);
    if (r.status >= 300) throw new Error(`webhook: ${r.status}`);
  };
  await webhook({ type: 'account.credited', data: { accountNumber: wageAccount, amountFen: net, valueDate: '2026-11-03', reference: `ALLOC-${o.tag}`, payerName: '松原城投' } });
  const pr = await ok<{ id: string }>('POST', `/v1/projects/${project.id}/payrolls`, subKey, { month, employerId: sub.id, control: { lineCount: 1, totalNetFen: net }, lines: [{ workerId: reg.id, daysWorked: 22, grossFen: net + 30_000, deductionsFen: 30_000, netFen: net }] });
  const { batchId } = await ok<{ batchId: string }>('POST', `/v1/payrolls/${pr.id}/approve`, gcKey);
  const batch = await ok<{ lines: { endToEndId: string; amountFen: number; cardNumber: string }[] }>('GET', `/v1/bank/batches/${batchId}`, await key('bank', { bankId: bank.id }));
  const l0 = batch.lines[0]!;
  await webhook({ type: 'disbursement.result', data: { results: [{ endToEndId: l0.endToEndId, status: 'ACSC', amountFen: l0.amountFen, valueDate: '2026-11-13', creditorCardNumber: l0.cardNumber }] } });
  log('worker door: a worker is paid (the bank says so)');
  let lineStatus = 'pending';
  for (const end = Date.now() + 60_000; lineStatus === 'pending' && Date.now() < end; await new Promise((r) => setTimeout(r, 300))) {
    lineStatus = (await ok<{ lines: { status: string }[] }>('GET', `/v1/payrolls/${pr.id}`, gcKey)).lines[0]!.status;
  }

  // The worker signs in with an SMS code and says the money did not arrive.
  const n0 = o.gateway.messages.length;
  await ok('POST', '/v1/worker-auth/codes', null, { idNumber: w.idNumber, phone: w.phone });
  const session = await ok<{ token: string }>('POST', '/v1/worker-auth/sessions', null, { idNumber: w.idNumber, phone: w.phone, code: await o.gateway.code(w.phone, 'login_code', n0) });
  const slips = await ok<{ items: { lineId: string; status: string }[] }>('GET', '/v1/me/payslips', session.token);
  await ok('POST', `/v1/me/payslips/${slips.items[0]!.lineId}/answer`, session.token, { answer: 'not_received', note: '银行卡里没有这笔钱' });
  const after = (await ok<{ lines: { status: string }[] }>('GET', `/v1/payrolls/${pr.id}`, gcKey)).lines[0]!.status;
  log(`worker door: the worker disputes it; the GC's sheet now reads "${after}"`);
  let disputeSeverity: string | null = null;
  for (const end = Date.now() + 20_000; !disputeSeverity && Date.now() < end; await new Promise((r) => setTimeout(r, 300))) {
    const a = await ok<{ items: { type: string; severity: string; projectId: string | null }[] }>('GET', `/v1/alerts?countyCode=220702&type=line.disputed&limit=500`, inspector);
    disputeSeverity = a.items.find((x) => x.projectId === project.id)?.severity ?? null;
  }

  // A team on no roster complains through the notice board's form: phone code, 12 workers, two months.
  const phone = `137${String(s).padStart(8, '0').slice(-8)}`;
  const n1 = o.gateway.messages.length;
  await ok('POST', '/v1/complaint-codes', null, { phone });
  const filed = await ok<{ id: string; ref: string; caseId: string; token: string }>('POST', '/v1/complaints', null, {
    projectId: project.id, employerName: '张老板的班组', months: ['2026-09', '2026-10'], amountClaimedFen: 9_600_000, workersAffected: 12,
    description: '我们12个人在工地干了两个月，没有登记，也没有拿到工资。', complainantName: '张师傅', phone, code: await o.gateway.code(phone, 'complaint_code', n1),
  });
  log(`worker door: an unregistered team complains (${filed.ref}); case ${filed.caseId.slice(-8)} opened`);
  await ok('POST', `/v1/complaints/${filed.id}/decisions`, inspector, { action: 'accept', reply: '已受理。监察员将到现场核查并责令总包先行清偿。' });
  await ok('POST', `/v1/complaints/${filed.id}/decisions`, inspector, { action: 'resolve', reply: '总包已代发两个月工资，本案办结。如仍有问题请拨打12333。' });
  const kase = await ok<{ status: string }>('GET', `/v1/cases/${filed.caseId}`, inspector);
  const mine = await ok<{ items: { replies: unknown[] }[] }>('GET', '/v1/me/complaints', null, undefined, { 'x-complaint-token': filed.token });
  log(`worker door: the inspector accepts and resolves it; the case is ${kase.status}; the team read ${mine.items[0]!.replies.length} replies`);
  return { lineStatus: after, disputeSeverity, complaintRef: filed.ref, caseId: filed.caseId, caseStatus: kase.status, replies: mine.items[0]!.replies.length };
}
