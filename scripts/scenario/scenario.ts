/**
 * A Songyuan year in miniature, through the public API only: build the world, then walk the
 * calendar: each month the employers record attendance and submit wage sheets, the GC approves,
 * the bank (the disbursement module's simulator, in-process) settles and rejects lines; the admin's
 * `asOf` sweeps move the arrears cases along; GCs pay first, one GC ignores its order (the deposit
 * pays and is replenished late) and ends on the blacklist. Reused by `npm run demo`, `npm run chaos`
 * and the chaos CI test with a smaller size.
 */
import { runBankSimOnce } from '../../src/modules/disbursement/sim/bank-sim.js';
import { Client } from './client.js';
import { makeBankCard } from '../../tests/helpers/seed.js';
import { rng, seedOf } from './rng.js';
import { summarize, type Summary } from './summary.js';
import { allocate, buildWorld, deposit, type Project, type ScenarioSize, type World } from './world.js';

export interface ScenarioOptions {
  baseUrl: string;
  adminKey: string;
  seed: number;
  /** Makes names and codes unique on a database that already holds an earlier run. */
  tag: string;
  size: ScenarioSize;
  log?: (m: string) => void;
  /** How long a request keeps retrying through an outage (ms). */
  patienceMs?: number;
}

export interface ScenarioResult { world: World; summary: Summary; requests: number; retries: number; ms: number; /** The date of the final blacklist and credit step. */ finalDay: string }

const OWED = new Set(['missing', 'rejected', 'underpaid', 'wrong_account']);
async function inParallel<T>(xs: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, async () => { while (i < xs.length) await fn(xs[i++]!); }));
}
const addDays = (d: string, n: number) => new Date(Date.parse(d + 'T00:00:00Z') + n * 86_400_000).toISOString().slice(0, 10);
const nextMonth = (m: string) => { const [y, mo] = m.split('-').map(Number) as [number, number]; return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`; };

interface Sheet { projectId: string; payrollId: string; month: string; employerId: string }
interface CaseView { id: string; projectId: string; employerId: string; month: string; stage: string; status: string; clearedBy: Record<string, number>; amountOwedFen: number; countyCode: string }

export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const t0 = Date.now();
  const log = o.log ?? (() => {});
  const api = new Client({ baseUrl: o.baseUrl, patienceMs: o.patienceMs ?? 180_000, log, keyPrefix: o.tag });
  const r = rng(o.seed);
  const admin = o.adminKey;
  const world = await buildWorld(api, admin, o.tag, o.size, r, log);
  const workers = world.projects.reduce((s, p) => s + p.workers.length, 0);
  log(`world: ${world.projects.length} projects, ${workers} workers, ${world.banks.length} banks (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const byId = new Map(world.projects.map((p) => [p.id, p]));
  const sheets: Sheet[] = [];
  const lastMonth = o.size.months[o.size.months.length - 1]!;
  const netOf = new Map<string, number>(); // worker id → monthly net (fen), fixed per worker

  // ---- the bank: settle whatever is ready at each of the three banks ----
  const bankRound = async (valueDate: string, settleRate: (p: Project | undefined) => number, project?: Project) => {
    const banks = project ? [project.bank] : world.banks;
    for (const b of banks) {
      await runBankSimOnce(api.http(), {
        bankKey: b.key, bankCode: b.code, secret: b.secret, settleRate: settleRate(project), valueDate,
        // The bank decides each line from the seed and the line's identity (the worker's card, the amount,
        // the value date), never from the shared stream `r`: how many lines it happens to see in a round
        // depends on timing (kills, reconciliation lag), and drawing them from `r` shifted every later
        // draw — next month's days and net amounts, and which lines are rejected.
        randomFor: (l, vd) => rng(seedOf(`${o.seed}|${l.cardNumber}|${l.amountFen}|${vd}`)),
        reasonCodes: ['AC04', 'AC06', 'BE01'], chunk: 500,
      });
    }
  };
  /** Reconciliation runs in the worker: wait until the sheets have no line left pending (and, if asked, none owed). */
  const settled = async (list: Sheet[], noOwed = false, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    for (const s of list) {
      for (;;) {
        const pr = await api.get<{ lines: { status: string }[] }>(`/v1/payrolls/${s.payrollId}`, admin);
        if (!pr.lines.some((l) => l.status === 'pending' || (noOwed && OWED.has(l.status)))) break;
        if (Date.now() > deadline) { log(`timeout waiting for payroll ${s.payrollId} to reconcile`); return false; }
        await new Promise((res) => setTimeout(res, 250));
      }
    }
    return true;
  };

  // ---- one month of work: attendance, wage sheets, approval, the bank ----
  const runMonth = async (month: string) => {
    const pay = nextMonth(month);
    const tMonth = Date.now();
    // Decide everything random first, in a fixed order, so concurrency cannot change the story.
    const plans = world.projects.map((p) => {
      const days = new Map(p.workers.map((w) => [w.id, 18 + Math.floor(r() * 8)]));
      const sheetsOf = p.subs.map((sub) => {
        const lines = p.workers.filter((w) => w.employerId === sub.id).map((w) => {
          if (!netOf.has(w.id)) netOf.set(w.id, 30_000 * (20 + Math.floor(r() * 15)));
          const net = Math.round(((netOf.get(w.id)! / 22) * days.get(w.id)!) / 100) * 100;
          return { workerId: w.id, daysWorked: days.get(w.id)!, grossFen: net + 20_000, deductionsFen: 20_000, netFen: net };
        });
        return { sub, lines };
      }).filter((x) => x.lines.length > 0);
      return { p, days, sheetsOf };
    });
    const monthSheets: Sheet[] = [];
    await inParallel(plans, 4, async ({ p, days, sheetsOf }) => {
      // attendance by the GC for everyone on site, then each employer's wage sheet
      await api.post(`/v1/projects/${p.id}/attendance`, p.gc.key, { month, entries: p.workers.map((w) => ({ workerId: w.id, daysPresent: days.get(w.id)! })) });
      let total = 0;
      for (const { sub, lines } of sheetsOf) {
        const sum = lines.reduce((s, l) => s + l.netFen, 0);
        total += sum;
        const pr = await api.post<{ id: string }>(`/v1/projects/${p.id}/payrolls`, sub.key, { month, employerId: sub.id, control: { lineCount: lines.length, totalNetFen: sum }, lines });
        monthSheets.push({ projectId: p.id, payrollId: pr.id, month, employerId: sub.id });
      }
      // the construction unit's labour-cost allocation arrives first, covering the month
      await allocate(api, p, total, `${pay}-03`, `ALLOC-${p.index}-${month}`);
      world.moneyIn.wage += total;
    });
    const rank = (x: Sheet) => { const p = byId.get(x.projectId)!; return p.index * 10 + p.subs.findIndex((c) => c.id === x.employerId); };
    const tSubmit = Date.now();
    monthSheets.sort((a, b) => rank(a) - rank(b));
    // In the last month the defaulting subcontractor's account details are all bad (every line
    // rejected), and so are those of the ignoring GC's project. The good sheets go first; approvals
    // stay sequential so the bank meets the batches in the same order on every run.
    const isBad = (s: Sheet) => {
      const p = byId.get(s.projectId)!;
      return month === lastMonth && ((p.role === 'defaulting_sub' && s.employerId === p.subs[0]!.id) || p.role === 'ignoring_gc');
    };
    for (const group of [monthSheets.filter((s) => !isBad(s)), monthSheets.filter(isBad)]) {
      if (!group.length) continue;
      for (const s of group) await api.post(`/v1/payrolls/${s.payrollId}/approve`, byId.get(s.projectId)!.gc.key);
      await bankRound(`${pay}-08`, () => (isBad(group[0]!) ? 0 : 0.99));
    }
    const tBank = Date.now();
    await settled(monthSheets);
    sheets.push(...monthSheets);
    log(`month ${month}: ${monthSheets.length} wage sheets approved and paid by the bank (${((Date.now() - t0) / 1000).toFixed(1)} s; submit ${((tSubmit - tMonth) / 1000).toFixed(1)} s, approve+bank ${((tBank - tSubmit) / 1000).toFixed(1)} s, reconcile wait ${((Date.now() - tBank) / 1000).toFixed(1)} s)`);
  };

  // ---- the calendar ----
  const paid = new Set<string>();
  const proposed = new Set<string>();
  const cardFixed = new Set<string>(); // project:worker whose rejected card the employer replaced
  const replenished = new Set<string>();
  const monthAt = new Map(o.size.months.map((m) => [`${nextMonth(m)}-03`, m]));
  const start = `${nextMonth(o.size.months[0]!)}-03`;
  const end = addDays(`${nextMonth(lastMonth)}-10`, 48);
  let sweeps = 0;
  const ownCompanies = [...new Set(world.projects.flatMap((p) => [p.gc.id, p.cu.id, ...p.subs.map((s) => s.id)]))];
  for (let d = start; d <= end; d = addDays(d, o.size.stepDays ?? 2)) {
    for (const [at, m] of monthAt) if (at <= d) { monthAt.delete(at); await runMonth(m); }
    // Credit steps for this run's companies only: the calendar replays past dates, and regrading every company
    // on the database as of them would overwrite their current grades.
    await api.post('/v1/admin/sweeps', admin, { asOf: d, companyIds: ownCompanies });
    sweeps++;
    // Only this run's cases: the database may hold other projects' (an earlier demo, real data), and the demo
    // acts on its own projects only.
    const open = (await api.all<CaseView>('/v1/cases?status=open', admin)).filter((c) => byId.has(c.projectId));
    let acted = false;
    for (const c of open) {
      const p = byId.get(c.projectId)!;
      if (c.stage === 'gc_order' && p.role !== 'ignoring_gc' && !paid.has(c.id)) {
        // The GC pays first from its own account.
        await api.post(`/v1/cases/${c.id}/gc-payments`, p.gc.key, { debtorAccount: `GC-${p.gc.id.slice(0, 8)}`, asOf: d }, { expect: [201, 409] });
        paid.add(c.id);
        acted = true;
      }
      if (p.role === 'ignoring_gc' && ['deposit_notice', 'replenishment_due', 'replenishment_overdue'].includes(c.stage) && !proposed.has(p.gc.id)) {
        await api.post('/v1/blacklist/proposals', world.inspectors[p.county]!, {
          companyId: p.gc.id, countyCode: p.county, reason: 'arrears_threshold', caseIds: [c.id],
          reasonDetail: `总包单位拒不执行先行清偿令，项目 ${p.name} 欠薪由保证金支付`,
        }, { expect: [201, 409] });
        proposed.add(p.gc.id);
      }
      if (c.stage === 'replenishment_overdue' && !replenished.has(c.id)) {
        // The GC tops the deposit up, late, by what the deposit paid (not what the employer or the GC
        // paid on the same case: the case's clearedBy also counts those).
        const amount = Number(c.clearedBy?.deposit ?? 0);
        await deposit(api, p, amount, d, `DEP-${p.index}-REPL-${c.id.slice(-12)}`);
        world.moneyIn.deposit += amount;
        replenished.add(c.id);
      }
      if (['deposit_notice', 'gc_order'].includes(c.stage)) acted = true;
    }
    // Card custody (issue 17): a card the bank rejected (AC04 closed, BE01 not the holder) is fixed by
    // the employer with the worker's new card; the bank's holder check (in bankRound) activates it and
    // the held-back wages are re-paid to it.
    for (const p of world.projects) {
      const fixes = await api.get<{ items: { workerId: string }[] }>(`/v1/projects/${p.id}/card-fixes?status=open`, p.gc.key);
      for (const workerId of new Set(fixes.items.map((f) => f.workerId))) {
        if (cardFixed.has(`${p.id}:${workerId}`)) continue;
        cardFixed.add(`${p.id}:${workerId}`);
        await api.post(`/v1/projects/${p.id}/workers/${workerId}/card`, p.gc.key, { bankCardNumber: makeBankCard(7_000_000 + cardFixed.size * 7919 + p.index) }, { expect: [202, 409] });
        acted = true;
      }
    }
    if (acted) {
      await bankRound(d, () => 1);
      // Wait for the state, not for a time: with a short cap (it was 5 s) a slow run (a loaded CI box,
      // many worker kills) went on to the next sweep before the payments were reconciled, and the
      // story diverged from the clean run's. A clean run never waits long here (no timeout is logged).
      await settled(sheets.filter((s) => open.some((c) => c.projectId === s.projectId && c.month === s.month && c.employerId === s.employerId && c.stage !== 'gc_order')), true, 60_000);
    }
  }
  log(`${sweeps} sweeps from ${start} to ${end} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  // The blacklist sweep after the objection period, then the credit grades.
  const finalDay = addDays(end, 40);
  // Only this run's companies: finalDay may lie ahead of the wall clock, and other companies on the database
  // must not be listed or graded as of the demo's calendar.
  await api.post('/v1/admin/blacklist/evaluate', admin, { asOf: finalDay, companyIds: ownCompanies });
  for (const companyId of ownCompanies) await api.post('/v1/admin/credit/recompute', admin, { asOf: finalDay, companyId });
  const summary = await summarize(api, world, sheets, log);
  return { world, summary, requests: api.requests, retries: api.retries, ms: Date.now() - t0, finalDay };
}
