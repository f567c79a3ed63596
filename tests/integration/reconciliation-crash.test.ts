import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { compactId, newId } from '../../src/lib/ids.js';
import { LINE_STATUSES } from '../../src/modules/reconciliation/reconciliation.rules.js';
import { reconcileProjectMonth } from '../../src/modules/reconciliation/reconciliation.service.js';
import processReconcile, { createReconcileProcessor } from '../../workers/reconcile.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { bankRecord, baseProject, count, payrollWithBatch, queueEvents, startWorker, type Scenario } from './reconciliation.fixtures.js';

const MONTH = '2026-09';
const AS_OF = '2026-10-25';
const NET = 300_000;

/** Three projects with a mix of outcomes; identical in every database it is built in. */
async function build(ctx: TestContext): Promise<Scenario[]> {
  const out: Scenario[] = [];
  for (let p = 0; p < 3; p++) {
    const base = await baseProject(ctx, { payday: 17 });
    const keys = ['paid', 'late', 'under', 'rejected', 'foreign', 'missing', 'stmt'];
    const s = await payrollWithBatch(ctx, base, MONTH, keys.map((k) => ({ key: k, card: `card-${p}-${k}`, netFen: NET + p })));
    const r = (key: string, over: Record<string, unknown> = {}) =>
      bankRecord(ctx, s.bankId, { e2e: s.e2e[key]!, amountFen: NET + p, valueDate: '2026-10-16', card: `card-${p}-${key}`, ...over });
    await r('paid');
    await r('late', { valueDate: '2026-10-20' });
    await r('under', { amountFen: NET });
    await r('rejected', { status: 'RJCT', reason: 'BE01' });
    await r('foreign', { card: 'card-foreman' });
    await r('stmt', { e2e: null, kind: 'debit', status: null, valueDate: '2026-10-14' });
    await bankRecord(ctx, s.bankId, { e2e: compactId(newId()), amountFen: 1, valueDate: '2026-10-16', projectId: s.projectId });
    out.push(s);
  }
  return out;
}

/** Everything the engine decides, keyed by position (ids differ between databases). */
async function snapshot(ctx: TestContext, scen: Scenario[]) {
  const lines: Record<string, unknown> = {};
  for (const [i, s] of scen.entries()) {
    for (const [k, id] of Object.entries(s.lines)) {
      const r = (await ctx.deps.db.execute(sql`
        SELECT status, paid_fen::int AS paid_fen, paid_on::text, reason_code, inferred, paid_by, recon_version,
          (SELECT json_agg(json_build_object('v', version, 'from', from_status, 'to', to_status, 'reason', reason, 'n', cardinality(bank_record_ids)) ORDER BY version)
           FROM recon_line_history_all h WHERE h.line_id = l.id) AS history
        FROM payroll_lines l WHERE id = ${id}`)) as unknown as { rows: unknown[] };
      lines[`${i}.${k}`] = r.rows[0];
    }
  }
  return {
    lines,
    orphans: await count(ctx, sql`SELECT count(*) AS n FROM recon_orphans`),
    lineEvents: await count(ctx, sql`SELECT count(*) AS n FROM outbox WHERE type = 'line.status_changed'`),
    orphanEvents: await count(ctx, sql`SELECT count(*) AS n FROM outbox WHERE type = 'bank_record.orphan'`),
    history: await count(ctx, sql`SELECT count(*) AS n FROM recon_line_history_all`),
  };
}

let crash: TestContext;
let clean: TestContext;
let crashScen: Scenario[];
let cleanScen: Scenario[];
beforeAll(async () => {
  [crash, clean] = await Promise.all([createTestContext(), createTestContext()]);
  crashScen = await build(crash);
  cleanScen = await build(clean);
});
afterAll(async () => {
  await crash?.close();
  await clean?.close();
});

describe('crash safety', () => {
  it('a processor killed between chunks, then a fresh worker, ends where a clean run ends', async () => {
    // clean run: one job, one chunk per project-month
    const evClean = queueEvents(clean);
    const wClean = startWorker(clean, processReconcile);
    const j0 = await clean.deps.queues.reconcile.add('reconcile', { month: MONTH, asOf: AS_OF, chunkLines: 1 }, { jobId: 'clean' });
    expect(await j0.waitUntilFinished(evClean, 30_000)).toMatchObject({ chunks: 3, chunksDone: 3, lines: 21 });
    await wClean.close();
    await evClean.close();

    // crash run: the first worker dies after committing chunk 2 of 3
    const ev = queueEvents(crash);
    await ev.waitUntilReady();
    const dying = startWorker(crash, createReconcileProcessor({
      afterChunk: (done) => {
        if (done === 2) throw new Error('simulated crash between chunks');
      },
    }));
    const failed = new Promise<void>((res) => dying.on('failed', () => res()));
    const job = await crash.deps.queues.reconcile.add('reconcile', { month: MONTH, asOf: AS_OF, chunkLines: 1 }, { jobId: 'crashy', backoff: { type: 'fixed', delay: 500 } });
    await failed;
    await dying.close();
    // committed chunks are complete, the third is untouched: no half-written project-month
    const touched = (await crash.deps.db.execute(sql`
      SELECT project_id, bool_and(recon_version > 0 OR status = 'pending') AS all_done, max(recon_version) AS maxv
      FROM payroll_lines GROUP BY project_id ORDER BY project_id`)) as unknown as { rows: { project_id: string; maxv: number }[] };
    expect(touched.rows.map((r) => r.maxv)).toEqual([1, 1, 0]);
    expect(await count(crash, sql`SELECT count(*) AS n FROM recon_orphans`)).toBe(0); // orphans run after the last chunk

    const fresh = startWorker(crash, processReconcile);
    expect(await job.waitUntilFinished(ev, 30_000)).toMatchObject({ chunks: 3, chunksDone: 3 });
    await fresh.close();
    await ev.close();

    const a = await snapshot(crash, crashScen);
    const b = await snapshot(clean, cleanScen);
    expect(a).toEqual(b);
    expect(b.orphans).toBe(3);
    expect(b.history).toBe(21); // every line changes once (the one with nothing from the bank becomes missing)
    // every line has exactly one known status, and its latest history row agrees with it
    const bad = await count(crash, sql`SELECT count(*) AS n FROM payroll_lines l
      WHERE NOT (l.status = ANY(${`{${LINE_STATUSES.join(',')}}`}::text[]))
        OR (l.recon_version > 0 AND l.status <> (SELECT to_status FROM recon_line_history_all h WHERE h.line_id = l.id AND h.version = l.recon_version))`);
    expect(bad).toBe(0);
  });

  it('chunks reconciled two at a time (RECON_PARALLEL=2) end where the sequential run ends', async () => {
    const par = await createTestContext();
    try {
      const scen = await build(par);
      const ev = queueEvents(par);
      const w = startWorker(par, createReconcileProcessor({ parallel: 2 }));
      const seen: number[] = [];
      w.on('progress', (_j, p) => seen.push((p as { chunksDone: number }).chunksDone));
      const j = await par.deps.queues.reconcile.add('reconcile', { month: MONTH, asOf: AS_OF, chunkLines: 1 }, { jobId: 'par' });
      expect(await j.waitUntilFinished(ev, 30_000)).toMatchObject({ chunks: 3, chunksDone: 3, lines: 21 });
      await w.close();
      await ev.close();
      expect(seen).toEqual([1, 2, 3]);
      expect(await snapshot(par, scen)).toEqual(await snapshot(clean, cleanScen));
    } finally {
      await par.close();
    }
  });

  it('the service runs inside a caller transaction (the sweep) and a re-run is a no-op', async () => {
    const s = crashScen[0]!;
    const before = await snapshot(crash, crashScen);
    const r = await crash.deps.db.transaction((tx) => reconcileProjectMonth(tx, s.projectId, MONTH, AS_OF));
    expect(r).toMatchObject({ lines: 7, changed: 0, events: 0, orphans: 0 });
    expect(await snapshot(crash, crashScen)).toEqual(before);
  });
});
