import { sql } from 'drizzle-orm';
import { newId } from '../../src/lib/ids.js';
import type { TestContext } from '../helpers/context.js';
import { rawBank, rawCompany } from '../helpers/fixtures.js';

/** Raw rows for escrow tests (independent of the registry/roster routes). */
export async function rawProject(ctx: TestContext, o: { requiredFen?: number; countyCode?: string; startDate?: string; plannedEndDate?: string } = {}) {
  const bankId = await rawBank(ctx);
  const gcId = await rawCompany(ctx, 'GC Co');
  const cuId = await rawCompany(ctx, 'Owner Co');
  const id = newId();
  await ctx.deps.db.execute(sql`
    INSERT INTO projects (id, name, county_code, industry, construction_unit_id, general_contractor_id, contract_price_fen, start_date, planned_end_date,
      payday, wage_bank_id, wage_account_number, deposit_bank_id, deposit_account_number, deposit_required_fen)
    VALUES (${id}, 'Escrow test project', ${o.countyCode ?? '220702'}, 'housing', ${cuId}, ${gcId}, 100000000, ${o.startDate ?? '2026-01-01'},
      ${o.plannedEndDate ?? '2026-12-31'}, 15, ${bankId}, ${'W' + id.slice(-12)}, ${bankId}, ${'D' + id.slice(-12)}, ${o.requiredFen ?? 2_000_000})`);
  return { projectId: id, bankId, gcId, cuId };
}

let seq = 0;
export async function rawWorkers(ctx: TestContext, projectId: string, employerId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = newId();
    const tag = `${Date.now().toString(36)}${++seq}${id.slice(-6)}`;
    await ctx.deps.db.execute(sql`
      INSERT INTO workers (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, bank_card_enc, bank_card_bidx, bank_card_masked)
      VALUES (${id}, ${'Worker ' + i}, 'enc', ${'bidx' + tag}, '1101**********002X', '1990-01-01', 'M', 'enc', ${'cbidx' + tag}, '6222 **** 1234')`);
    await ctx.deps.db.execute(sql`
      INSERT INTO engagements (id, project_id, worker_id, employer_id, trade, contract_signed, dispatched, entry_date)
      VALUES (${newId()}, ${projectId}, ${id}, ${employerId}, 'mason', true, false, '2026-01-05')`);
    ids.push(id);
  }
  return ids;
}
