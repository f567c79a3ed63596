import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey, rawBank, rawCompany } from '../helpers/fixtures.js';
import { newId } from '../../src/lib/ids.js';
import { rawProject } from './alert-fixtures.js';

let ctx: TestContext;
let a: { projectId: string; gcId: string };
let b: { projectId: string; gcId: string };
const C = '220702';

async function worker(i: number): Promise<string> {
  const id = newId();
  await ctx.deps.db.execute(sql`
    INSERT INTO workers (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, bank_card_enc, bank_card_bidx, bank_card_masked)
    VALUES (${id}, ${'W' + i}, 'x', ${'bidx' + id}, 'x', '1990-01-01', 'M', 'x', ${'card' + id}, 'x')`);
  return id;
}

beforeAll(async () => {
  ctx = await createTestContext();
  a = await rawProject(ctx, C, 'housing', 'A');
  b = await rawProject(ctx, C, 'housing', 'B');
  const other = await rawProject(ctx, '220721', 'housing', 'Other');
  const db = ctx.deps.db;
  // Workforce on A: 10 current engagements (8 signed, 2 dispatched) + 1 that left before October.
  for (let i = 0; i < 11; i++) {
    const w = await worker(i);
    await db.execute(sql`
      INSERT INTO engagements (id, project_id, worker_id, employer_id, trade, contract_signed, dispatched, entry_date, exit_date)
      VALUES (${newId()}, ${a.projectId}, ${w}, ${a.gcId}, 'mason', ${i < 8}, ${i >= 8 && i < 10}, '2026-03-01', ${i === 10 ? '2026-09-15' : null})`);
  }
  // Another county's workforce must not count.
  await db.execute(sql`
    INSERT INTO engagements (id, project_id, worker_id, employer_id, trade, contract_signed, dispatched, entry_date)
    VALUES (${newId()}, ${other.projectId}, ${await worker(99)}, ${other.gcId}, 'mason', false, true, '2026-03-01')`);
  // October payroll on A: 6 paid, 1 late, 2 missing, 1 pending; a superseded sheet is ignored.
  const live = newId();
  const old = newId();
  await db.execute(sql`INSERT INTO payrolls (id, project_id, employer_id, month, status, line_count, total_net_fen) VALUES
    (${live}, ${a.projectId}, ${a.gcId}, '2026-10', 'approved', 10, 1000000), (${old}, ${a.projectId}, ${a.gcId}, '2026-10', 'superseded', 1, 1)`);
  const statuses = ['paid', 'paid', 'paid', 'paid', 'paid', 'paid', 'paid_late', 'missing', 'missing', 'pending'];
  for (const [i, st] of [...statuses.map((s) => [live, s] as const), [old, 'missing'] as const].entries()) {
    const id = newId();
    await db.execute(sql`
      INSERT INTO payroll_lines (id, project_id, payroll_id, worker_id, employer_id, month, days_worked, gross_fen, deductions_fen, net_fen, end_to_end_id, status)
      VALUES (${id}, ${a.projectId}, ${st[0]}, ${newId()}, ${a.gcId}, '2026-10', 20, 100000, 0, 100000, ${'E' + i + id.replace(/-/g, '').slice(0, 20)}, ${st[1]})`);
  }
  // Deposit: A covered by a guarantee letter, B not at all (both require 200,000.00).
  const bank = await rawBank(ctx);
  await db.execute(sql`
    INSERT INTO deposit_guarantees (id, project_id, issuing_bank_id, amount_fen, valid_from, valid_to, reminder_date, reference, status)
    VALUES (${newId()}, ${a.projectId}, ${bank}, 20000000, '2026-01-01', '2027-12-31', '2027-11-30', 'G-1', 'active')`);
  // Arrears cases (enforcement's table): one open in gc_order stage, one closed.
  const emp = await rawCompany(ctx);
  for (const [stage, status, owed, cleared, proj] of [['gc_order', 'open', 100000, 99500, a.projectId], ['closed', 'closed', 50000, 50000, b.projectId]] as const) {
    await db.execute(sql`
      INSERT INTO arrears_cases (id, project_id, employer_id, general_contractor_id, construction_unit_id, county_code, industry, month, stage, status, amount_owed_fen, amount_cleared_fen, pay_date, opened_on)
      VALUES (${newId()}, ${proj}, ${emp}, ${a.gcId}, ${a.gcId}, ${C}, 'housing', '2026-10', ${stage}, ${status}, ${owed}, ${cleared}, '2026-10-15', '2026-10-20')`);
  }
});
afterAll(() => ctx.close());

describe('GET /v1/metrics/compliance', () => {
  it('reports each rate with the counts behind it and a month-by-month series', async () => {
    const insp = await mintKey(ctx, 'inspector', { countyCodes: [C] });
    const r = await ctx.app.inject({ url: `/v1/metrics/compliance?countyCode=${C}&month=2026-10&months=3`, headers: insp });
    expect(r.statusCode, r.body).toBe(200);
    const m = r.json();
    expect(m.month).toBe('2026-10');
    expect(m.onTimePayment).toMatchObject({ numerator: 6, denominator: 9, rate: 0.6667, linesByStatus: { paid: 6, paid_late: 1, missing: 2, pending: 1 } });
    expect(m.contractSigning).toMatchObject({ numerator: 8, denominator: 10, rate: 0.8 });
    expect(m.dispatchedShare).toMatchObject({ numerator: 2, denominator: 10, rate: 0.2, capRate: 0.1, overCap: true });
    expect(m.depositCoverage).toMatchObject({ requiredFen: 40000000, guaranteeFen: 20000000, coveredFen: 20000000, projectsCovered: 1, projectsRequiring: 2, rate: 0.5 });
    expect(m.clearance).toMatchObject({ available: true, amountOwedFen: 150000, amountClearedFen: 149500, rate: 0.9967, targetRate: 0.99, meetsTarget: true });
    expect(m.openCasesByStage).toEqual({ gc_order: 1 });
    expect(m.series.map((x: { month: string }) => x.month)).toEqual(['2026-08', '2026-09', '2026-10']);
    expect(m.series[0].onTimePayment).toMatchObject({ numerator: 0, denominator: 0, rate: null });
    expect(m.series[1].contractSigning.denominator).toBe(11); // the leaver still worked in September
  });

  it('scopes: another county is 404 for an inspector; contractors are 403; bad month is 400', async () => {
    const other = await mintKey(ctx, 'inspector', { countyCodes: ['220721'] });
    expect((await ctx.app.inject({ url: `/v1/metrics/compliance?countyCode=${C}&month=2026-10`, headers: other })).statusCode).toBe(404);
    const contractor = await mintKey(ctx, 'contractor', { companyId: a.gcId });
    expect((await ctx.app.inject({ url: `/v1/metrics/compliance?countyCode=${C}&month=2026-10`, headers: contractor })).statusCode).toBe(403);
    expect((await ctx.app.inject({ url: `/v1/metrics/compliance?countyCode=${C}&month=2026-13`, headers: ctx.admin })).statusCode).toBe(400);
    expect((await ctx.app.inject({ url: `/v1/metrics/compliance?countyCode=${C}&month=2026-10&months=25`, headers: ctx.admin })).statusCode).toBe(400);
  });
});
