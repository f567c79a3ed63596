/**
 * Wage-ledger export benchmark: `npm run bench:ledger-export [-- --rows 100000]`.
 * Seeds one project with N wage lines (4 months, itemised) on a scratch database, then:
 *  1. streams the ledger to xlsx exactly as GET /v1/projects/{id}/wage-ledger does (server-side cursor
 *     → LedgerXlsxWriter) into a discarding sink, in a child process, timed, with that process's peak RSS;
 *  2. baseline, same run: the same rows loaded into memory first (untimed), then exceljs's own
 *     streaming WorkbookWriter writes the same cells, sheet per month, timed.
 * Prints one JSON line last: rows, seconds, rowsPerSec, baselineRowsPerSec, ratio, peakRssMb (the exporter's
 * process: tsx, pg and the ledger modules included), targets.
 */
import ExcelJS from 'exceljs';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../src/config.js';
import { createDeps } from '../src/runtime.js';
import { forEachLedgerPage, type LedgerRow } from '../src/modules/reports/ledger.query.js';
import { LEDGER_COLUMNS, ledgerCells } from '../src/modules/reports/ledger.xlsx.js';
import { createTestDatabase } from '../tests/helpers/db.js';
import { TEST_DEK } from '../tests/helpers/context.js';

/** A sink that counts bytes and throws them away, draining like a fast socket. */
const sink = () => {
  let bytes = 0;
  const w = new Writable({ write(chunk: Buffer, _e, cb) { bytes += chunk.length; cb(); } });
  return { w, bytes: () => bytes };
};

const i = process.argv.indexOf('--rows');
const N = i >= 0 ? Number(process.argv[i + 1]) : 100_000;
const MONTHS = ['2026-06', '2026-07', '2026-08', '2026-09'];
const log = (m: string) => process.stderr.write(`[bench:ledger-export] ${m}\n`);

const db0 = await createTestDatabase('wg_bench_ledger');
const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db0.url, ADMIN_API_KEY: 'bench-admin-key-0123456789abcdef', DATA_ENCRYPTION_KEY: TEST_DEK, LOG_LEVEL: 'silent' });
const deps = createDeps(config, { poolMax: 3, name: 'wageguard-bench-ledger' });
try {
  const perMonth = Math.ceil(N / MONTHS.length);
  log(`seeding ${N} lines (${perMonth} workers × ${MONTHS.length} months)`);
  const db = deps.db;
  await db.execute(sql`INSERT INTO banks (id, name, code) VALUES ('00000000-0000-7000-8000-000000000001', '测试银行', 'BENCH')`);
  await db.execute(sql`INSERT INTO companies (id, name, credit_code, legal_representative) VALUES
    ('00000000-0000-7000-8000-0000000000c1', '建设单位', 'BENCHCU', '甲'), ('00000000-0000-7000-8000-0000000000c2', '总包公司', 'BENCHGC', '乙'),
    ('00000000-0000-7000-8000-0000000000c3', '松原劳务分包有限公司', 'BENCHSUB', '丙')`);
  const P = '00000000-0000-7000-8000-0000000000a1';
  await db.execute(sql`INSERT INTO projects (id, name, county_code, industry, construction_unit_id, general_contractor_id, contract_price_fen, start_date, planned_end_date, payday, wage_bank_id, wage_account_number, deposit_required_fen)
    VALUES (${P}, '松原测试项目', '220702', 'housing', '00000000-0000-7000-8000-0000000000c1', '00000000-0000-7000-8000-0000000000c2', 1000000000, '2026-01-01', '2027-12-31', 10, '00000000-0000-7000-8000-000000000001', 'BENCHACC', 0)`);
  await db.execute(sql`INSERT INTO workers (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, bank_card_enc, bank_card_bidx, bank_card_masked)
    SELECT gen_random_uuid(), '工人' || lpad(g::text, 6, '0'), 'x', 'b' || g, '2207**********' || lpad((g % 10000)::text, 4, '0'), '1990-01-01', 'M', 'x', 'c' || g, '6222 **** **** ' || lpad((g % 10000)::text, 4, '0')
    FROM generate_series(1, ${perMonth}) g`);
  for (const m of MONTHS) {
    await db.execute(sql`INSERT INTO payrolls (id, project_id, employer_id, month, status, line_count, total_net_fen) VALUES (gen_random_uuid(), ${P}, '00000000-0000-7000-8000-0000000000c3', ${m}, 'approved', ${perMonth}, 0)`);
    await db.execute(sql`
      INSERT INTO payroll_lines (id, project_id, payroll_id, worker_id, employer_id, month, days_worked, gross_fen, deductions_fen, net_fen, end_to_end_id, status, paid_fen, paid_on, items, hours)
      SELECT x.id, ${P}, (SELECT id FROM payrolls WHERE project_id = ${P} AND month = ${m}), x.wid, '00000000-0000-7000-8000-0000000000c3', ${m}, 21, 650000, 50000, 600000,
        replace(x.id::text, '-', ''), 'paid', 600000, ${m + '-28'}::date,
        '{"pay":{"baseFen":500000,"overtimeFen":100000,"allowanceFen":50000},"deductions":{"socialInsuranceFen":30000,"incomeTaxFen":20000}}'::jsonb, 168
      FROM (SELECT gen_random_uuid() AS id, w.id AS wid FROM workers w) x`);
  }
  await db.execute(sql`ANALYZE`);
  const rowsTotal = perMonth * MONTHS.length;

  // 1. The exporter, as the route runs it, in its own process.
  const query = { projectId: P, from: MONTHS[0]!, to: MONTHS.at(-1)!, employerId: null, full: false };
  const child = fork(fileURLToPath(new URL('./ledger-export.child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx', '--expose-gc'], env: { ...process.env, WG_BENCH_DEK: TEST_DEK, WG_BENCH_DB: db0.url, WG_BENCH_QUERY: JSON.stringify(query) } });
  const [res] = (await once(child, 'message')) as [{ n: number; seconds: number; bytes: number; maxRssMb: number; startRssMb: number; maxHeapMb: number; maxArrayBuffersMb: number; retainedHeapMb: number | null }];
  log(`exporter process: rss at start ${res.startRssMb} MB, max heap ${res.maxHeapMb} MB, max array buffers ${res.maxArrayBuffersMb} MB, heap after a full GC ${res.retainedHeapMb} MB`);
  const { n, seconds } = res;
  const peakRssMb = res.maxRssMb;
  log(`exporter: ${n} rows in ${seconds.toFixed(2)} s, ${(res.bytes / 1e6).toFixed(1)} MB xlsx, peak RSS ${peakRssMb} MB (its own process)`);

  // 2. Baseline: exceljs's streaming writer, the same rows already in memory.
  const rows: LedgerRow[] = [];
  await forEachLedgerPage(deps.db, deps.pii, { projectId: P, from: MONTHS[0]!, to: MONTHS.at(-1)!, employerId: null, full: false }, async (r) => void rows.push(...r));
  const s2 = sink();
  const t1 = performance.now();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: s2.w, useStyles: true, useSharedStrings: false });
  let ws: ExcelJS.Worksheet | null = null;
  let month = '';
  let seq = 0;
  for (const r of rows) {
    if (r.month !== month) {
      ws?.commit();
      month = r.month;
      seq = 0;
      ws = wb.addWorksheet(month, { views: [{ state: 'frozen', ySplit: 1 }] });
      ws.columns = LEDGER_COLUMNS.map((c) => ({ header: c.header, key: c.key, width: c.width, style: c.money ? { numFmt: '#,##0.00' } : {} }));
    }
    ws!.addRow(ledgerCells(r, ++seq)).commit();
  }
  ws?.commit();
  await wb.commit();
  const baseSeconds = (performance.now() - t1) / 1000;
  log(`baseline: ${rows.length} rows in ${baseSeconds.toFixed(2)} s, ${(s2.bytes() / 1e6).toFixed(1)} MB xlsx`);
  const rowsPerSec = Math.round(n / seconds);
  const baselineRowsPerSec = Math.round(rows.length / baseSeconds);
  console.log(JSON.stringify({
    rows: n, expectedRows: rowsTotal, seconds: Number(seconds.toFixed(3)), rowsPerSec, baselineRowsPerSec, ratio: Number((rowsPerSec / baselineRowsPerSec).toFixed(3)),
    peakRssMb, targets: { peakRssMb: 200, ratio: 0.5 }, ok: peakRssMb <= 200 && rowsPerSec >= 0.5 * baselineRowsPerSec,
  }));
} finally {
  await deps.close();
  await db0.drop().catch(() => {});
}
