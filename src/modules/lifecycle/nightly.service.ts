import type { Deps } from '../../deps.js';
import { generateDueCountyReports } from '../reports/county-report.service.js';
import { runRetention } from './retention.service.js';
import { lifecycleSignals } from './signals.service.js';

/** The nightly life job (the `lifecycle` queue and POST /v1/admin/retention): signals, retention, county reports. */
export async function runNightlyLife(deps: Pick<Deps, 'db'>, asOf: string, actor = 'system') {
  const signals = await lifecycleSignals(deps.db, asOf);
  const r = await runRetention(deps.db, asOf, actor);
  const countyReports = await generateDueCountyReports(deps.db, asOf);
  return { ...r, signals, countyReports };
}
