import { sql } from 'drizzle-orm';
import type { TestContext } from '../helpers/context.js';
import { rawBank, rawCompany } from '../helpers/fixtures.js';
import { newId } from '../../src/lib/ids.js';
import { EVENTS } from '../../src/jobs/event-types.js';
import { emit } from '../../src/modules/alerts/outbox.service.js';
import { relayOnce } from '../../workers/relay.js';

/** A project row written directly (alerts tests must not depend on the registry routes). */
export async function rawProject(ctx: TestContext, countyCode: string, industry = 'housing', name = 'P ' + countyCode): Promise<{ projectId: string; gcId: string }> {
  const gcId = await rawCompany(ctx, 'GC ' + name);
  const cuId = await rawCompany(ctx, 'CU ' + name);
  const bankId = await rawBank(ctx);
  const projectId = newId();
  await ctx.deps.db.execute(sql`
    INSERT INTO projects (id, name, county_code, industry, construction_unit_id, general_contractor_id, contract_price_fen, start_date, planned_end_date, payday, wage_bank_id, wage_account_number, deposit_required_fen)
    VALUES (${projectId}, ${name}, ${countyCode}, ${industry}, ${cuId}, ${gcId}, 1000000000, '2026-01-01', '2027-12-31', 15, ${bankId}, ${'62' + projectId.replace(/\D/g, '').slice(0, 14)}, 20000000)`);
  return { projectId, gcId };
}

/** Emit `n` alert-worthy events (line missing) for a project in one transaction. */
export async function emitAlerts(ctx: TestContext, projectId: string, countyCode: string, n: number, tag = ''): Promise<string[]> {
  const ids = Array.from({ length: n }, () => newId());
  await ctx.deps.db.transaction(async (tx) => {
    await emit(tx, ...ids.map((id, i) => ({ id, type: EVENTS.lineStatusChanged, projectId, countyCode, payload: { lineId: newId(), from: 'pending', to: 'missing', month: '2026-10', tag, i } })));
  });
  return ids;
}

/** Relay until the outbox is empty (alerts materialise in the relay transaction). */
export async function relayAll(ctx: TestContext): Promise<number> {
  let total = 0;
  for (let n = -1; n !== 0; ) total += n = await relayOnce(ctx.deps);
  return total;
}
