/**
 * `npm run demo` runs any number of times on any database and acts only on its own projects. It used to read
 * every open case on the platform and assume it was its own ("Cannot read properties of undefined (reading
 * 'role')" on a database holding an earlier run's cases),. Its final blacklist and credit step now names its own
 * companies (its calendar runs ahead of the clock).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../scripts/scenario/scenario.js';
import { startPlatform, type Platform } from '../../scripts/scenario/platform.js';
import type { ScenarioSize } from '../../scripts/scenario/world.js';

const TINY: ScenarioSize = { projects: 3, workersPerProject: 2, months: ['2026-09'], stepDays: 6 };

describe('the demo on a database that holds other data', () => {
  let p: Platform;
  beforeAll(async () => { p = await startPlatform({ name: 'wg_demo' }); }, 120_000);
  afterAll(async () => { await p?.stop(); });

  it('a second run leaves the first run\'s open cases and companies alone and finishes', async () => {
    const first = await runScenario({ baseUrl: p.baseUrl, adminKey: p.adminKey, seed: 3, tag: 'DEMO1', size: TINY });
    const db = new pg.Client({ connectionString: p.databaseUrl });
    await db.connect();
    try {
      const firstProjects = first.world.projects.map((x) => x.id);
      // A database holding other open cases (a tiny run closes all its own): reopen a copy of one of the first
      // run's cases at the stage where the demo's GC pays first, with a deadline no sweep reaches.
      const planted = await db.query<{ id: string }>(`
        INSERT INTO arrears_cases (id, project_id, employer_id, general_contractor_id, construction_unit_id, county_code, industry, month,
            stage, status, origin, workers_owed, amount_owed_fen, amount_outstanding_fen, workers_unpaid, pay_date, opened_on, stage_deadline)
          SELECT gen_random_uuid(), project_id, employer_id, general_contractor_id, construction_unit_id, county_code, industry, '2026-05',
            'gc_order', 'open', origin, workers_owed, amount_owed_fen, amount_owed_fen, workers_owed, '2026-06-10', '2026-06-10', '2099-01-01'
          FROM arrears_cases WHERE project_id = ANY($1::uuid[]) LIMIT 1
        RETURNING id`, [firstProjects]);
      expect(planted.rows).toHaveLength(1);
      const caseId = planted.rows[0]!.id;

      const firstCompanies = [...new Set(first.world.projects.flatMap((x) => [x.gc.id, x.cu.id, ...x.subs.map((c) => c.id)]))];
      const gradesOf = async () => (await db.query(`SELECT company_id, grade, score, as_of::text FROM company_credit WHERE company_id = ANY($1::uuid[]) ORDER BY 1`, [firstCompanies])).rows;
      const gradesBefore = await gradesOf();
      expect(gradesBefore.length).toBeGreaterThan(0);

      const second = await runScenario({ baseUrl: p.baseUrl, adminKey: p.adminKey, seed: 3, tag: 'DEMO2', size: TINY });
      const mine = new Set(second.world.projects.map((x) => x.id));
      expect(firstProjects.some((id) => mine.has(id))).toBe(false);
      expect(Object.values(second.summary.lines).reduce((a, b) => a + b, 0)).toBe(TINY.projects * TINY.workersPerProject);

      // The second run's actors left the other case alone: no GC payment, no blacklist proposal naming it.
      const c = await db.query<{ status: string; stage: string; amount_cleared_fen: string }>(`SELECT status, stage, amount_cleared_fen::text FROM arrears_cases WHERE id = $1`, [caseId]);
      expect(c.rows[0]).toMatchObject({ status: 'open', stage: 'gc_order', amount_cleared_fen: '0' });
      const props = await db.query(`SELECT id FROM blacklist_entries WHERE $1::uuid = ANY(case_ids)`, [caseId]);
      expect(props.rows).toEqual([]);
      // …and did not regrade the first run's companies as of its own (past) calendar dates.
      expect(await gradesOf()).toEqual(gradesBefore);
    } finally {
      await db.end();
    }
  }, 400_000);
});
