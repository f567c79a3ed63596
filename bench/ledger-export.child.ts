/**
 * The exporter half of bench:ledger-export, alone in a lean process (pg, the cipher and the ledger
 * modules only), so its peak RSS is the export's and not the seeding's or the harness's.
 */
import { Writable } from 'node:stream';
import { createDatabase } from '../src/db/client.js';
import { PiiCipher } from '../src/lib/crypto.js';
import { forEachLedgerPage } from '../src/modules/reports/ledger.query.js';
import { LedgerXlsxWriter } from '../src/modules/reports/ledger.xlsx.js';

const sink = () => {
  let bytes = 0;
  const w = new Writable({ write(chunk: Buffer, _e, cb) { bytes += chunk.length; cb(); } });
  return { w, bytes: () => bytes };
};
const TEST_DEK = process.env.WG_BENCH_DEK!;
const database = createDatabase(process.env.WG_BENCH_DB!, { max: 2, applicationName: 'wageguard-bench-ledger-child' });
const pii = new PiiCipher(Buffer.from(TEST_DEK, 'base64'));
const out = sink();
const startRssMb = Math.round(process.memoryUsage().rss / 1e6);
let maxHeap = 0;
let maxAb = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  maxHeap = Math.max(maxHeap, m.heapUsed);
  maxAb = Math.max(maxAb, m.arrayBuffers);
}, 200);
const t0 = performance.now();
const writer = new LedgerXlsxWriter(out.w, '松原测试项目');
const q = JSON.parse(process.env.WG_BENCH_QUERY!) as Parameters<typeof forEachLedgerPage>[2];
const n = await forEachLedgerPage(database.db, pii, q, (rows) => writer.add(rows));
await writer.end();
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
// What the export retained, as opposed to garbage not yet collected (run with --expose-gc).
const g = (globalThis as { gc?: () => void }).gc;
g?.();
const retainedHeapMb = g ? Math.round(process.memoryUsage().heapUsed / 1e6) : null;
process.send!({ n, seconds, bytes: out.bytes(), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), startRssMb, maxHeapMb: Math.round(maxHeap / 1e6), maxArrayBuffersMb: Math.round(maxAb / 1e6), retainedHeapMb });
await database.close();
process.exit(0);
