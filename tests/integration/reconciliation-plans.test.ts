/**
 * The two plans of the classifying statement must agree. A chunk of 20,000 lines or more is joined
 * with the bank records through a fenced FULL join under hash-only planner settings; a smaller
 * chunk (one batch) through a LEFT join with index probes. The benchmark is the only place that
 * naturally reaches the big plan, with few kinds of case; here the same every-case fixture is built
 * in two databases and reconciled once with each plan, at two dates, and everything the run writes
 * must be the same: line states, history, events, orphans.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { reconcileBatch, reconcileProjectMonth, type ReconcileOptions } from '../../src/modules/reconciliation/reconciliation.service.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { allCasesScenario, lineState, type Scenario } from './reconciliation.fixtures.js';

interface Side { ctx: TestContext; s: Scenario; rec: Record<string, string>; opts: ReconcileOptions }
let small: Side;
let big: Side;

beforeAll(async () => {
  const side = async (opts: ReconcileOptions): Promise<Side> => {
    const ctx = await createTestContext();
    return { ctx, ...(await allCasesScenario(ctx)), opts };
  };
  small = await side({});
  big = await side({ bigFrom: 1 });
});
afterAll(async () => {
  await small?.ctx.close();
  await big?.ctx.close();
});

type Rows = { rows: Record<string, unknown>[] };
/** Everything a run writes, with ids replaced by the fixture's keys so two databases compare. */
async function written(x: Side) {
  const keyOf = new Map<string, string>([...Object.entries(x.s.lines).map(([k, id]) => [id, `line:${k}`] as const), ...Object.entries(x.rec).map(([k, id]) => [id, `rec:${k}`] as const)]);
  const key = (id: unknown) => keyOf.get(String(id)) ?? `unknown:${String(id)}`;
  const q = async (query: ReturnType<typeof sql>) => ((await x.ctx.deps.db.execute(query)) as unknown as Rows).rows;
  const history: Record<string, unknown>[] = (await q(sql`SELECT line_id, version, from_status, to_status, reason, reason_code, paid_fen::int AS paid_fen, paid_on::text AS paid_on,
      inferred, paid_by, bank_record_ids::text[] AS ids FROM recon_line_history_all`))
    .map((h): Record<string, unknown> => ({ ...h, line_id: key(h.line_id), ids: (h.ids as string[]).map(key).sort() }))
    .sort((a, b) => `${a.line_id}:${String(a.version)}`.localeCompare(`${b.line_id}:${String(b.version)}`));
  const events = (await q(sql`SELECT type, payload FROM outbox WHERE type IN ('line.status_changed', 'bank_record.orphan')`))
    .map((e) => {
      const p = e.payload as Record<string, unknown>;
      return `${String(e.type)} ${key(p.lineId ?? p.bankRecordId)} ${String(p.from ?? '')}→${String(p.to ?? '')} ${String(p.reasonCode ?? '')}`;
    })
    .sort();
  const orphans = (await q(sql`SELECT bank_record_id FROM recon_orphans`)).map((o) => key(o.bank_record_id)).sort();
  return { lines: await lineState(x.ctx, x.s.lines), history, events, orphans };
}

describe('reconciliation: the big-chunk plan classifies exactly as the small-chunk plan', () => {
  it('first run, every case: same states, history, events and orphans', async () => {
    const a = await reconcileBatch(small.ctx.deps, small.s.batchId, '2026-10-19', small.opts);
    const b = await reconcileBatch(big.ctx.deps, big.s.batchId, '2026-10-19', big.opts);
    expect(b).toMatchObject({ lines: a.lines, changed: a.changed, events: a.events, orphans: a.orphans });
    expect(a).toMatchObject({ lines: 15, changed: 13, orphans: 3 });
    const [wa, wb] = [await written(small), await written(big)];
    expect(wb).toEqual(wa);
    // the comparison is not vacuous: the fixture's classifications are all there
    expect(new Set(Object.values(wa.lines).map((l) => l.status))).toEqual(new Set(['paid', 'paid_late', 'underpaid', 'overpaid', 'rejected', 'wrong_account', 'duplicate', 'pending']));
    expect(wa.events.length).toBeGreaterThan(10);
    expect(wa.history.length).toBe(13);
  });

  it('after the deadline, and a re-run with nothing new: the same again', async () => {
    const a = await reconcileProjectMonth(small.ctx.deps, small.s.projectId, '2026-09', '2026-10-20', small.opts);
    const b = await reconcileProjectMonth(big.ctx.deps, big.s.projectId, '2026-09', '2026-10-20', big.opts);
    expect(a.changed).toBeGreaterThan(0);
    expect(b).toMatchObject({ changed: a.changed, events: a.events });
    const wb = await written(big);
    expect(wb).toEqual(await written(small));
    expect(wb.lines.missing!.status).toBe('missing');
    const again = await reconcileProjectMonth(big.ctx.deps, big.s.projectId, '2026-09', '2026-10-20', big.opts);
    expect(again).toMatchObject({ changed: 0, events: 0, orphans: 0 });
    expect(await written(big)).toEqual(wb);
  });

  it('inside a caller\'s transaction the chunk\'s planner settings do not outlive it', async () => {
    type S = { nl: string; sort: string; mj: string; wm: string; jit: string };
    const read = async (tx: Parameters<Parameters<TestContext['deps']['db']['transaction']>[0]>[0]) =>
      ((await tx.execute(sql`SELECT current_setting('enable_nestloop') AS nl, current_setting('enable_sort') AS sort,
        current_setting('enable_mergejoin') AS mj, current_setting('work_mem') AS wm, current_setting('jit') AS jit`)) as unknown as { rows: S[] }).rows[0]!;
    const seen = await big.ctx.deps.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL work_mem = '5MB'; SET LOCAL jit = on`);
      const before = await read(tx);
      const r = await reconcileProjectMonth(tx, big.s.projectId, '2026-09', '2026-10-21', big.opts);
      return { before, after: await read(tx), r };
    });
    expect(seen.before).toEqual({ nl: 'on', sort: 'on', mj: 'on', wm: '5MB', jit: 'on' });
    expect(seen.after).toEqual(seen.before);
    expect(seen.r.chunksDone).toBe(1);
  });
});
