/**
 * Sweep benchmark: `npm run bench:sweep -- --lines 1000000`.
 * A scratch database (cloned from the migrated template) gets 10,000 projects and N wage lines
 * (generate_series, ~3% overdue: missing / rejected / underpaid / wrong_account) plus attendance,
 * ~1% of projects without a wage sheet. Then, in the same run: the bare SQL selecting the overdue
 * lines (the floor) and one full first sweep (signals, opening every case with its members,
 * totals, ladder). Prints one JSON line last: { bench, lines, seconds, floorSeconds, ratio, ... }.
 */
import { sql } from 'drizzle-orm';
import { createDatabase } from '../src/db/client.js';
import { runSweep } from '../src/modules/enforcement/sweep.service.js';
import { overdueLinesSql } from '../src/modules/enforcement/sweep.sql.js';
import { asOwner, createTestDatabase, ensureTemplate } from '../tests/helpers/db.js';
import { countyParams, payDateRows, type CountyParams, type PayDateRow } from '../src/modules/enforcement/enforcement.rules.js';
import { getCalendar, getPolicy } from '../src/modules/policy/policy.service.js';
import { createTempTables } from '../src/modules/enforcement/sweep.sql.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const LINES = arg('lines', 1_000_000);
const PROJECTS = arg('projects', 10_000);
const PER = Math.max(1, Math.floor(LINES / PROJECTS));
const ASOF = '2026-12-05';
const log = (m: string) => process.stderr.write(`[bench:sweep] ${m}\n`);
const secs = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;
/** Ordered synthetic uuids (kind, n): index inserts append instead of landing at random pages. */
const U = (kind: number, n: string) => sql.raw(`(lpad(to_hex(${kind}), 8, '0') || '-0000-4000-8000-' || lpad(to_hex((${n})::bigint), 12, '0'))::uuid`);

async function main() {
  await ensureTemplate();
  const scratch = await createTestDatabase('wg_bench_sweep');
  const { db, close } = createDatabase(scratch.url, { max: 4, applicationName: 'wageguard-bench' });
  try {
    const t0 = process.hrtime.bigint();
    const x = (s: ReturnType<typeof sql>) => db.execute(s);
    await x(sql`INSERT INTO banks (id, name, code) VALUES ('00000000-0000-4000-8000-000000000001', 'Bench bank', 'BENCH')`);
    await x(sql`INSERT INTO companies (id, name, credit_code, legal_representative)
      SELECT ${U(1, 'i')}, 'Company ' || i, 'BENCH' || lpad(i::text, 12, '0'), 'Rep' FROM generate_series(0, ${2 * PROJECTS}) i`);
    await x(sql`INSERT INTO projects (id, name, county_code, industry, construction_unit_id, general_contractor_id, contract_price_fen, start_date, planned_end_date,
        payday, labor_manager_name, wage_bank_id, wage_account_number, deposit_required_fen)
      SELECT ${U(2, 'i')}, 'Project ' || i, (ARRAY['220702','220721','220722','220723','220781'])[1 + i % 5], 'housing', ${U(1, '0')},
        ${U(1, '1 + i % 100')}, 1000000000, '2026-01-01', '2027-12-31', 1 + i % 28, CASE WHEN i % 500 = 0 THEN NULL ELSE 'Officer' END,
        '00000000-0000-4000-8000-000000000001', 'W' || i, 0
      FROM generate_series(0, ${PROJECTS - 1}) i`);
    await x(sql`INSERT INTO subcontracts (id, project_id, parent_company_id, subcontractor_id, contract_price_fen)
      SELECT ${U(3, 'i')}, ${U(2, 'i')}, ${U(1, '1 + i % 100')}, ${U(1, `${PROJECTS} + 1 + i`)}, 100000000
      FROM generate_series(0, ${PROJECTS - 1}) i`);
    log(`projects ready (${secs(t0).toFixed(1)}s)`);
    await x(sql`INSERT INTO workers (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, bank_card_enc, bank_card_bidx, bank_card_masked)
      SELECT ${U(4, 'i')}, 'Worker ' || i, 'enc', 'bidx' || i, '2207**********' || (i % 10000), '1980-01-01', 'm', 'enc', 'cb' || i, '6222****' || (i % 10000)
      FROM generate_series(0, ${PER * PROJECTS - 1}) i`);
    await x(sql`INSERT INTO attendance (project_id, month, worker_id, employer_id, days_present)
      SELECT ${U(2, `i / ${PER}`)}, '2026-10', ${U(4, 'i')}, ${U(1, `${PROJECTS} + 1 + i / ${PER}`)}, 22
      FROM generate_series(0, ${PER * PROJECTS - 1}) i`);
    log(`workers + attendance ready (${secs(t0).toFixed(1)}s)`);
    // ~1% of projects never submitted their October sheet.
    await x(sql`INSERT INTO payrolls (id, project_id, employer_id, month, status, line_count, total_net_fen)
      SELECT ${U(5, 'i')}, ${U(2, 'i')}, ${U(1, `${PROJECTS} + 1 + i`)}, '2026-10', 'approved', ${PER}, ${PER} * 500000
      FROM generate_series(0, ${PROJECTS - 1}) i WHERE i % 100 <> 7`);
    await x(sql`INSERT INTO payroll_lines (id, project_id, payroll_id, worker_id, employer_id, month, days_worked, gross_fen, deductions_fen, net_fen, end_to_end_id, status, paid_fen, paid_by)
      SELECT ${U(6, 'i')}, ${U(2, `i / ${PER}`)}, ${U(5, `i / ${PER}`)}, ${U(4, 'i')}, ${U(1, `${PROJECTS} + 1 + i / ${PER}`)},
        '2026-10', 22, 500000, 0, 500000, md5('l' || i),
        CASE WHEN (i::bigint * 7919) % 100 < 3 THEN (ARRAY['missing','rejected','underpaid','wrong_account'])[1 + (i / 3) % 4] ELSE 'paid' END,
        CASE WHEN (i::bigint * 7919) % 100 < 3 AND (i / 3) % 4 = 2 THEN 200000 WHEN (i::bigint * 7919) % 100 < 3 THEN 0 ELSE 500000 END, NULL
      FROM generate_series(0, ${PER * PROJECTS - 1}) i WHERE (i / ${PER}) % 100 <> 7`);
    // As the owner: the runtime role owns no table, so its VACUUM ANALYZE skipped them all and the planner
    // guessed (a 300k-line run once reported ratio 243). Maintenance is the owner's job, as autovacuum's is.
    await asOwner(scratch.name, (c) => c.query('VACUUM ANALYZE'));
    const lines = Number(((await x(sql`SELECT count(*) AS n FROM payroll_lines`)) as unknown as { rows: { n: string }[] }).rows[0]!.n);
    log(`${lines} lines ready (${secs(t0).toFixed(1)}s)`);

    // Floor: the bare selection of overdue lines (same pay-date table the sweep builds).
    const counties = ['220702', '220721', '220722', '220723', '220781'];
    const paydays = Array.from({ length: 28 }, (_, i) => i + 1);
    const cp: CountyParams[] = [];
    const pd: PayDateRow[] = [];
    for (const c of counties) {
      const [policy, cal] = await Promise.all([getPolicy(db, c), getCalendar(db, c)]);
      cp.push(countyParams(c, policy, cal, ASOF));
      pd.push(...payDateRows(c, cal, policy.enforcement.graceDays, paydays, ASOF));
    }
    const floor = async () => db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL jit = off`);
      for (const s of createTempTables(JSON.stringify(cp), JSON.stringify(pd))) await tx.execute(s);
      const t = process.hrtime.bigint();
      const r = (await tx.execute(overdueLinesSql(ASOF))) as unknown as { rows: unknown[] };
      return { seconds: secs(t), rows: r.rows.length };
    });
    await floor(); // warm the cache for both
    const f = await floor();
    log(`floor: ${f.rows} overdue lines in ${f.seconds.toFixed(3)}s`);

    if (process.argv.includes('--no-sweep')) return;
    const t = process.hrtime.bigint();
    const res = await runSweep({ db }, ASOF, { trace: (l, s) => log(`  ${l}: ${s.toFixed(3)}s`) });
    const seconds = secs(t);
    log(`sweep: opened ${res.counts.opened} cases in ${seconds.toFixed(3)}s; signals ${JSON.stringify(res.signals)}`);
    const t2 = process.hrtime.bigint();
    await runSweep({ db }, ASOF, { trace: (l, s) => log(`  re-run ${l}: ${s.toFixed(3)}s`) });
    const rerunSeconds = secs(t2);
    log(`re-run (same asOf, nothing new: the steady-state daily cost): ${rerunSeconds.toFixed(3)}s`);
    const out = { bench: 'sweep', lines, seconds: +seconds.toFixed(3), floorSeconds: +f.seconds.toFixed(3), ratio: +(seconds / f.seconds).toFixed(2),
      overdueLines: f.rows, casesOpened: res.counts.opened, rerunSeconds: +rerunSeconds.toFixed(3), rerunRatio: +(rerunSeconds / f.seconds).toFixed(2), projects: PROJECTS };
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    await close();
    // --keep leaves the scratch database for EXPLAIN sessions (its name is printed).
    if (process.argv.includes('--keep')) log(`kept ${scratch.url}`);
    else await scratch.drop().catch(() => {});
  }
}

main().catch((e) => {
  process.stderr.write(String(e?.stack ?? e) + '\n');
  process.exit(1);
});
