/**
 * Citus readiness, the query side (issue 22): no statement of the project-owned hot paths —
 * reconciliation, the daily sweep, the roster import — joins two projects' rows without project_id
 * equality, or the join is a reviewed exception (citus-plan.ts, JOIN_EXCEPTIONS).
 *
 * The statements are the real ones: a small data set with two projects is built, then each hot path
 * runs as the platform runs it (import and sweep through HTTP, reconciliation through its service with
 * both chunk plans) while tests/helpers/plan-capture.ts EXPLAINs every statement on its own connection,
 * inside its own transaction, just before it runs. tests/helpers/plan-joins.ts reads the plans.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { reconcileBatch, reconcileMonth, reconcileProjectMonth } from '../../src/modules/reconciliation/reconciliation.service.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { PlanCapture } from '../helpers/plan-capture.js';
import { describeFinding, untiedJoins, type JoinFinding } from '../helpers/plan-joins.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { JOIN_EXCEPTIONS } from './citus-plan.js';
import { adminSweep } from './enforcement.fixtures.js';
import { allCasesScenario, type Scenario } from './reconciliation.fixtures.js';
import { importUrlOf, person } from './roster-import.fixtures.js';

let ctx: TestContext;
let cap: PlanCapture;
let owned: Set<string>;
const recon: Scenario[] = [];
const seeded: SeededProject[] = [];
const PHASES = ['reconciliation', 'import', 'sweep'] as const;

beforeAll(async () => {
  ctx = await createTestContext();
  owned = new Set(((await ctx.deps.db.execute(sql`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'project_id' AND NOT a.attisdropped
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`)) as unknown as { rows: { relname: string }[] }).rows.map((r) => r.relname));
  // Two projects of every kind: the statements that serve many projects at once are the ones that matter.
  for (let i = 0; i < 2; i++) recon.push((await allCasesScenario(ctx)).s);
  for (let i = 0; i < 2; i++) seeded.push(await seedProject(ctx, { workers: 2 }));

  cap = new PlanCapture();
  cap.setPhase('reconciliation');
  // A batch each (small-chunk plan), then the month across both projects in one chunk with each plan.
  for (const s of recon) await reconcileBatch(ctx.deps, s.batchId, '2026-10-19');
  await reconcileMonth(ctx.deps, '2026-09', '2026-10-20', { bigFrom: 1 });
  await reconcileMonth(ctx.deps, '2026-09', '2026-10-21');
  await reconcileProjectMonth(ctx.deps, recon[0]!.projectId, '2026-09', '2026-10-22');

  cap.setPhase('import');
  // One person joins both projects (the registered-person path) and two people share a card.
  const shared = person();
  const mate = { ...person(), card: shared.card };
  for (const [i, s] of seeded.entries()) {
    const rows = [shared, ...(i === 0 ? [mate] : []), person(), person()];
    const csv = ['name,idNumber,bankCardNumber,trade,contractSigned,entryDate', ...rows.map((p) => `${p.name},${p.id},${p.card},普工,true,2026-05-01`)].join('\n');
    const r = await ctx.app.inject({ method: 'POST', url: importUrlOf(s), headers: { ...s.headers.sub, 'content-type': 'text/csv' }, payload: csv });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().accepted).toBe(rows.length);
  }

  cap.setPhase('sweep');
  // Cases open (missing wages; attendance without a sheet), then escalate on later dates.
  for (const asOf of ['2026-11-20', '2026-11-20', '2026-12-15', '2027-01-20']) await adminSweep(ctx, asOf);
  cap.setPhase(null);
}, 240_000);

afterAll(async () => {
  cap?.restore();
  await ctx?.close();
});

const findingsOf = (phase: string): JoinFinding[] => cap.plans.filter((p) => p.phase === phase).flatMap((p) => untiedJoins(p, owned));
/** A reviewed exception excuses a join when one of its sides is only what it names and the join's condition matches. */
const excusedBy = (f: JoinFinding) => Object.entries(JOIN_EXCEPTIONS).find(([, e]) =>
  (!e.phases || e.phases.includes(f.phase as never)) && f.conds.some((c) => e.on.test(c))
  && [f.left, f.right].some((side) => side.every((r) =>
    e.side.includes(r.kind) || e.side.includes(`${r.kind}:${r.name}`) || (r.kind === 'table' ? e.side.includes(r.name) : r.tables.every((t) => e.side.includes(t))))));

describe('Citus readiness (plans of the hot paths)', () => {
  it('captured the real statements of every phase, and explained each one', () => {
    for (const phase of PHASES) expect(cap.plans.filter((p) => p.phase === phase).length, phase).toBeGreaterThan(10);
    expect(cap.plans.filter((p) => p.error).map((p) => `${p.phase}: ${p.error} — ${p.sql.slice(0, 200)}`)).toEqual([]);
    // the big-chunk plan ran too (hash joins only), and the import's set-based apply was explained
    expect(cap.plans.some((p) => p.phase === 'reconciliation' && /FULL JOIN/i.test(p.sql))).toBe(true);
    expect(cap.plans.some((p) => p.phase === 'import' && /INSERT INTO engagements/.test(p.sql))).toBe(true);
  });

  for (const phase of PHASES) {
    it(`${phase}: every join of two projects' rows is on project_id, or reviewed`, () => {
      const left = findingsOf(phase).filter((f) => !excusedBy(f));
      // WG_DUMP_JOINS=<path prefix>: write what is left and every plan of the phase, for a reviewer.
      if (process.env.WG_DUMP_JOINS) {
        writeFileSync(`${process.env.WG_DUMP_JOINS}.${phase}.txt`, [...new Set(left.map(describeFinding))].join('\n'));
        writeFileSync(`${process.env.WG_DUMP_JOINS}.${phase}.plans.json`, JSON.stringify(cap.plans.filter((p) => p.phase === phase), null, 1));
      }
      expect(left.map(describeFinding), 'joins without project_id equality: add it to the SQL, or review them in citus-plan.ts JOIN_EXCEPTIONS').toEqual([]);
    });
  }

  it('every reviewed join exception is still needed', () => {
    const used = new Set(PHASES.flatMap(findingsOf).map((f) => excusedBy(f)?.[0]).filter(Boolean));
    expect(Object.keys(JOIN_EXCEPTIONS).filter((k) => !used.has(k)), 'stale JOIN_EXCEPTIONS').toEqual([]);
  });

  it('the check sees a join that crosses projects, and accepts the same join on project_id', async () => {
    const [a, b] = [recon[0]!.projectId, recon[1]!.projectId];
    const cases: [string, ReturnType<typeof sql>, number][] = [
      ['on ids only', sql`SELECT count(*) FROM payroll_lines l JOIN payrolls p ON p.id = l.payroll_id WHERE p.status <> 'superseded'`, 1],
      ['on ids and project', sql`SELECT count(*) FROM payroll_lines l JOIN payrolls p ON p.id = l.payroll_id AND p.project_id = l.project_id`, 0],
      ['both sides pinned to one project', sql`SELECT count(*) FROM payroll_lines l JOIN payrolls p ON p.id = l.payroll_id WHERE l.project_id = ${a} AND p.project_id = ${a}`, 0],
      ['sides pinned to two projects', sql`SELECT count(*) FROM payroll_lines l JOIN payrolls p ON p.id = l.payroll_id WHERE l.project_id = ${a} AND p.project_id = ${b}`, 1],
      ['a CTE of keys without their project', sql`WITH t AS MATERIALIZED (SELECT id FROM payrolls) SELECT count(*) FROM payroll_lines l WHERE l.payroll_id IN (SELECT id FROM t)`, 1],
      ['a CTE that keeps the project', sql`WITH t AS MATERIALIZED (SELECT id, project_id FROM payrolls) SELECT count(*) FROM payroll_lines l WHERE (l.payroll_id, l.project_id) IN (SELECT id, project_id FROM t)`, 0],
      ['an aggregate across projects joined back', sql`SELECT count(*) FROM payroll_lines l JOIN (SELECT worker_id, count(*) AS n FROM payroll_lines GROUP BY 1) x ON x.worker_id = l.worker_id`, 1],
      ['an aggregate per project joined back', sql`SELECT count(*) FROM payroll_lines l JOIN (SELECT project_id, worker_id, count(*) AS n FROM payroll_lines GROUP BY 1, 2) x ON x.worker_id = l.worker_id AND x.project_id = l.project_id`, 0],
      ['a lateral aggregate correlated on the project', sql`SELECT count(*) FROM payroll_lines l CROSS JOIN LATERAL (SELECT count(*) AS n FROM worker_cards k WHERE k.project_id = l.project_id AND k.worker_id = l.worker_id) c WHERE c.n >= 0`, 0],
      ['a correlated subquery without the project', sql`SELECT l.id, (SELECT count(*) FROM instructions i WHERE i.payroll_line_id = l.id) FROM payroll_lines l`, 1],
    ];
    cap.setPhase('canary');
    for (const [, q] of cases) await ctx.deps.db.execute(q);
    cap.setPhase(null);
    const found = cap.plans.filter((p) => p.phase === 'canary').map((p) => untiedJoins(p, owned).length);
    expect(Object.fromEntries(cases.map(([name], i) => [name, found[i]]))).toEqual(Object.fromEntries(cases.map(([name, , n]) => [name, n])));
  });
});
