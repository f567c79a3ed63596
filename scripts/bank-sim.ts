/**
 * Bank simulator: a separate process acting as a bank against a running WageGuard.
 *   WAGEGUARD_URL=http://127.0.0.1:3000 BANK_KEY=… BANK_CODE=… BANK_SECRET=whsec_… npm run bank-sim -- [flags]
 * Flags: --settle-rate 0.95  --reason-codes AC01,AC04  --duplicates 0.1  --out-of-order 0.1
 *        --late-returns 0.05  --chunk 1000  --value-date YYYY-MM-DD  --interval 5  --once
 * See docs/bank-integration.md.
 */
import { parseArgs } from 'node:util';
import { httpTransport, runBankSimOnce } from '../src/modules/disbursement/sim/bank-sim.js';

const { values: f } = parseArgs({
  options: {
    'settle-rate': { type: 'string', default: '0.95' },
    'reason-codes': { type: 'string', default: 'AC01,AC04,AC06,BE01' },
    duplicates: { type: 'string', default: '0' },
    'out-of-order': { type: 'string', default: '0' },
    'late-returns': { type: 'string', default: '0' },
    chunk: { type: 'string', default: '1000' },
    'value-date': { type: 'string' },
    interval: { type: 'string', default: '5' },
    once: { type: 'boolean', default: false },
  },
});
const env = (k: string) => {
  const v = process.env[k];
  if (!v) { console.error(`bank-sim: ${k} is required`); process.exit(2); }
  return v;
};
const opts = {
  bankKey: env('BANK_KEY'), bankCode: env('BANK_CODE'), secret: env('BANK_SECRET'),
  settleRate: Number(f['settle-rate']), reasonCodes: f['reason-codes']!.split(',').filter(Boolean),
  duplicateRate: Number(f.duplicates), outOfOrderRate: Number(f['out-of-order']), returnRate: Number(f['late-returns']),
  chunk: Number(f.chunk), valueDate: f['value-date'], log: (m: string) => console.error(m),
};
const http = httpTransport(process.env.WAGEGUARD_URL ?? 'http://127.0.0.1:3000');
let stop = false;
process.on('SIGINT', () => { stop = true; });
process.on('SIGTERM', () => { stop = true; });
do {
  const r = await runBankSimOnce(http, opts);
  console.log(JSON.stringify({ bankSim: true, at: new Date().toISOString(), ...r }));
  if (f.once || stop) break;
  await new Promise((res) => setTimeout(res, Number(f.interval) * 1000));
} while (!stop);
