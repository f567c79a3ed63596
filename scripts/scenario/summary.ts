import type { Client } from './client.js';
import { COUNTIES, type World } from './world.js';

export interface Summary {
  moneyIn: { wageAllocationsFen: number; depositsFen: number };
  moneyOut: { paidByBankFen: number; paidByGcFen: number; paidByDepositFen: number; otherFen: number; stillOwedFen: number };
  lines: Record<string, number>;
  cases: { total: number; open: number; byStage: Record<string, number>; clearedBy: Record<string, number> };
  clearanceByCounty: { countyCode: string; name: string; cases: number; owedFen: number; clearedFen: number; ratePct: number }[];
  alertsByType: Record<string, number>;
  blacklist: { companyName: string; reason: string; listedOn: string | null }[];
}

const yuan = (fen: number) => `¥${(fen / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** What the platform says happened, read back through the API (admin's view). */
export async function summarize(api: Client, world: World, sheets: { payrollId: string }[], log: (m: string) => void): Promise<Summary> {
  const admin = world.admin;
  const lines: Record<string, number> = {};
  let paidByBank = 0;
  let stillOwed = 0;
  const summaries: { status: string; count: number; netFen: number; paidFen: number }[][] = [];
  let at = 0;
  await Promise.all(Array.from({ length: 6 }, async () => {
    while (at < sheets.length) summaries.push((await api.get<{ summary: { status: string; count: number; netFen: number; paidFen: number }[] }>(`/v1/payrolls/${sheets[at++]!.payrollId}`, admin)).summary);
  }));
  for (const sm of summaries) {
    for (const x of sm) {
      lines[x.status] = (lines[x.status] ?? 0) + x.count;
      if (['missing', 'rejected', 'underpaid', 'wrong_account'].includes(x.status)) stillOwed += x.netFen - x.paidFen;
    }
  }
  const projectIds = new Set(world.projects.map((p) => p.id));
  const cases = (await api.all<{ id: string; projectId: string; stage: string; status: string; clearedBy: Record<string, number> | null }>('/v1/cases', admin)).filter((c) => projectIds.has(c.projectId));
  const byStage: Record<string, number> = {};
  const clearedBy: Record<string, number> = {};
  for (const c of cases) {
    byStage[c.stage] = (byStage[c.stage] ?? 0) + 1;
    for (const [k, v] of Object.entries(c.clearedBy ?? {})) clearedBy[k] = (clearedBy[k] ?? 0) + Number(v);
  }
  // Settled bank lines = every line's paid amount minus what GC and deposit paid on top.
  for (const sm of summaries) for (const x of sm) paidByBank += x.paidFen;
  const paidByGc = clearedBy.gc ?? 0;
  const paidByDeposit = clearedBy.deposit ?? 0;
  // 'employer' on a case is the employer's own money through the bank (a late payment, a card-fix re-pay): it
  // stays in paidByBank.
  const other = Object.entries(clearedBy).filter(([k]) => k !== 'gc' && k !== 'deposit' && k !== 'employer').reduce((s, [, v]) => s + v, 0);
  paidByBank -= paidByGc + paidByDeposit + other;

  const clearance = await api.get<{ items: { countyCode: string; cases: number; amountOwedFen: number; amountClearedFen: number; caseIds: string[] }[] }>('/v1/clearance', admin);
  const caseIds = new Set(cases.map((c) => c.id));
  const clearanceByCounty = COUNTIES.map((c) => {
    const items = clearance.items.filter((i) => i.countyCode === c.code && i.caseIds.some((id) => caseIds.has(id)));
    const owed = items.reduce((s, i) => s + i.amountOwedFen, 0);
    const cleared = items.reduce((s, i) => s + i.amountClearedFen, 0);
    return { countyCode: c.code, name: c.name, cases: items.reduce((s, i) => s + i.cases, 0), owedFen: owed, clearedFen: cleared, ratePct: owed ? Math.round((cleared / owed) * 10_000) / 100 : 100 };
  });

  // Alerts are written by the worker's relay: wait until the feed stops growing.
  const companyIds = new Set(world.projects.flatMap((p) => [p.gc.id, p.cu.id, ...p.subs.map((s) => s.id)]));
  let alerts: { type: string; projectId: string | null; companyId: string | null }[] = [];
  for (let prev = -1, stable = 0; stable < 3; ) {
    alerts = (await api.all<{ type: string; projectId: string | null; companyId: string | null }>('/v1/alerts', admin)).filter((a) => (a.projectId && projectIds.has(a.projectId)) || (a.companyId && companyIds.has(a.companyId)));
    stable = alerts.length === prev ? stable + 1 : 0;
    prev = alerts.length;
    if (stable < 3) await new Promise((r) => setTimeout(r, 300));
  }
  const alertsByType: Record<string, number> = {};
  for (const a of alerts) alertsByType[a.type] = (alertsByType[a.type] ?? 0) + 1;

  const names = new Map(world.projects.flatMap((p) => [[p.gc.id, p.gc.name], [p.cu.id, p.cu.name], ...p.subs.map((s) => [s.id, s.name] as [string, string])]));
  // Read per company (the public list is "current as of today", and the scenario's calendar may run ahead of the clock).
  const bl: { companyId: string; reason: string; listedOn: string | null }[] = [];
  for (const id of new Set(world.projects.map((p) => p.gc.id))) {
    const cr = await api.get<{ entries?: { status: string; reason: string; listedOn: string | null }[] }>(`/v1/companies/${id}/credit`, admin);
    for (const e of cr.entries ?? []) if (e.status === 'listed') bl.push({ companyId: id, reason: e.reason, listedOn: e.listedOn });
  }
  void log;
  return {
    moneyIn: { wageAllocationsFen: world.moneyIn.wage, depositsFen: world.moneyIn.deposit },
    moneyOut: { paidByBankFen: paidByBank, paidByGcFen: paidByGc, paidByDepositFen: paidByDeposit, otherFen: other, stillOwedFen: stillOwed },
    lines,
    cases: { total: cases.length, open: cases.filter((c) => c.status === 'open').length, byStage, clearedBy },
    clearanceByCounty, alertsByType,
    blacklist: bl.map((e) => ({ companyName: names.get(e.companyId)!, reason: e.reason, listedOn: e.listedOn })),
  };
}

export function printSummary(s: Summary, o: { ms: number; requests: number; workers: number; projects: number }): string {
  const out: string[] = [];
  out.push('', `WageGuard demo — Songyuan in miniature: ${o.projects} projects, ${o.workers} workers (${(o.ms / 1000).toFixed(1)} s, ${o.requests} API requests)`, '');
  out.push('Money in');
  out.push(`  labour-cost allocations into wage accounts  ${yuan(s.moneyIn.wageAllocationsFen)}`);
  out.push(`  cash deposits (incl. replenishment)         ${yuan(s.moneyIn.depositsFen)}`);
  out.push('Money out to workers');
  out.push(`  paid by the banks from wage accounts        ${yuan(s.moneyOut.paidByBankFen)}`);
  out.push(`  paid first by general contractors           ${yuan(s.moneyOut.paidByGcFen)}`);
  out.push(`  paid from wage-guarantee deposits           ${yuan(s.moneyOut.paidByDepositFen)}`);
  if (s.moneyOut.otherFen) out.push(`  paid by others                              ${yuan(s.moneyOut.otherFen)}`);
  out.push(`  still owed                                  ${yuan(s.moneyOut.stillOwedFen)}`);
  out.push('', `Wage lines by status: ${Object.entries(s.lines).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out.push('', `Arrears cases: ${s.cases.total} (${s.cases.open} open) — by stage: ${Object.entries(s.cases.byStage).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out.push(`  cleared by: ${Object.entries(s.cases.clearedBy).map(([k, v]) => `${k} ${yuan(v)}`).join(', ') || 'nobody'}`);
  out.push('', 'Clearance rate per county');
  for (const c of s.clearanceByCounty) out.push(`  ${c.countyCode} ${c.name.padEnd(12, '　')} ${String(c.cases).padStart(3)} cases  owed ${yuan(c.owedFen).padStart(14)}  cleared ${yuan(c.clearedFen).padStart(14)}  ${c.ratePct.toFixed(1)}%`);
  out.push('', 'Alerts by type');
  for (const [k, v] of Object.entries(s.alertsByType).sort((a, b) => b[1] - a[1])) out.push(`  ${k.padEnd(36)} ${v}`);
  out.push('', 'Blacklist');
  for (const b of s.blacklist) out.push(`  ${b.companyName} — ${b.reason}, listed ${b.listedOn ?? '(proposed)'}`);
  if (!s.blacklist.length) out.push('  (nobody listed)');
  return out.join('\n');
}
