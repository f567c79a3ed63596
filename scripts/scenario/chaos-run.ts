/**
 * Fault injection around the scenario: a clean run and a chaos run of the same seed, each on its
 * own scratch platform (API process + separate worker process). During the chaos run the worker is
 * SIGKILLed at random moments and restarted, this run's queue keys are deleted from Redis once, and
 * (optionally) Postgres is restarted once. Then the invariants are checked on the chaos database and
 * its final state is compared with the clean one, keyed by names (ids differ between runs).
 */
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { classifyEvent, GROUPED_TYPES } from '../../src/modules/alerts/alert-catalogue.js';
import { startPlatform, type Platform } from './platform.js';
import { rng } from './rng.js';
import { runScenario } from './scenario.js';
import type { ScenarioSize } from './world.js';

export interface ChaosOptions { seed: number; size: ScenarioSize; kills: number; redisFlush: boolean; pgRestart: boolean;
  /** 'cluster' (default): restart the shared Postgres cluster; 'database': cut only this run's database off for 3 s. */
  pgOutage?: 'cluster' | 'database';
  /** Keep both scratch databases (their URLs are logged). */ keepDatabases?: boolean; log: (m: string) => void }
export interface ChaosReport {
  bench: 'chaos'; kills: number; redisFlushes: number; pgRestarts: number; differences: number; invariantViolations: number;
  /** Processes that died by themselves during the chaos run and were restarted by the supervisor. */
  crashes: { api: number; worker: number };
  details: { differences: string[]; violations: string[]; cleanMs: number; chaosMs: number };
}

async function query<T>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Wait until the worker has relayed every outbox event and the queues are idle. */
async function quiesce(p: Platform, log: (m: string) => void, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let stable = 0;
  let last = '';
  while (Date.now() < deadline && stable < 4) {
    // recon: batches with bank records newer than their last reconciliation (the worker's resume loop
    // re-enqueues them when Redis lost the job) — quiet only when none is left.
    // dead: jobs failed for good not yet completed by the liveness loop's retry (workers/main.ts).
    const [r] = await query<{ unrelayed: number; alerts: number; lines: number; recon: number; dead: number }>(p.databaseUrl, `SELECT
      (SELECT count(*)::int FROM dead_jobs WHERE status <> 'resolved') AS dead,
      (SELECT count(*)::int FROM outbox WHERE relayed_at IS NULL) AS unrelayed, (SELECT count(*)::int FROM alerts) AS alerts,
      (SELECT count(*)::int FROM payroll_lines WHERE status = 'pending') AS lines,
      (SELECT count(DISTINCT i.batch_id)::int FROM bank_records br JOIN instructions i ON i.end_to_end_id = br.end_to_end_id
         JOIN batches b ON b.id = i.batch_id WHERE br.received_at > COALESCE(b.recon_done_at, '-infinity'::timestamptz)) AS recon`);
    const now = JSON.stringify(r);
    stable = r!.unrelayed === 0 && r!.recon === 0 && r!.dead === 0 && now === last ? stable + 1 : 0;
    last = now;
    await new Promise((res) => setTimeout(res, 500));
  }
  if (stable < 4) log(`quiesce: timed out (${last})`);
}

/** The final state by natural keys: what a worker was paid, cases, balances, alerts, blacklist. */
export async function finalState(url: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const put = (k: string, v: unknown) => out.set(k, JSON.stringify(v));
  const lines = await query<Record<string, unknown>>(url, `
    SELECT p.name AS project, w.name AS worker, l.month, l.net_fen::text, l.paid_fen::text, l.status, l.paid_by
    FROM payroll_lines l JOIN projects p ON p.id = l.project_id JOIN workers w ON w.id = l.worker_id
    JOIN payrolls r ON r.id = l.payroll_id WHERE r.status <> 'superseded'`);
  for (const l of lines) put(`line ${l.project} ${l.worker} ${l.month}`, [l.net_fen, l.paid_fen, l.status, l.paid_by]);
  const cases = await query<Record<string, unknown>>(url, `
    SELECT p.name AS project, e.name AS employer, c.month, c.stage, c.status, c.workers_owed, c.amount_owed_fen::text, c.amount_cleared_fen::text, c.cleared_by, c.gc_order_ignored
    FROM arrears_cases c JOIN projects p ON p.id = c.project_id JOIN companies e ON e.id = c.employer_id`);
  for (const c of cases) put(`case ${c.project} ${c.employer} ${c.month}`, [c.stage, c.status, c.workers_owed, c.amount_owed_fen, c.amount_cleared_fen, c.cleared_by, c.gc_order_ignored]);
  const accounts = await query<Record<string, unknown>>(url, `
    -- keyed by the code's prefix (wage, deposit_cash, external, gc_funds, …): two accounts of one kind and owner must not collide
    SELECT split_part(a.code, ':', 1) AS kind, coalesce(p.name, co.name, a.code) AS owner, a.posted::text, a.pending_out::text, a.pending_in::text
    FROM ledger_accounts a LEFT JOIN projects p ON p.id = a.project_id LEFT JOIN companies co ON co.id = a.company_id`);
  for (const a of accounts) put(`account ${a.kind} ${a.owner}`, [a.posted, a.pending_out, a.pending_in]);
  // Alerts of the final facts are compared; those of a line's passing states are not: the scenario's
  // calendar lies in the past of the wall clock that reconciliation jobs use as asOf, so whether a
  // line is seen 'missing' (then 'paid') depends on whether its job runs before or after the bank's
  // result arrives, which is exactly what killing the worker changes. Likewise credit downgrades: a grade
  // recomputed between two events may step A→B→C or go A→C at once. Money, final statuses and final
  // grades are compared instead.
  const alerts = await query<{ type: string; n: number }>(url, `SELECT type, count(*)::int AS n FROM alerts WHERE type NOT IN ('line_missing', 'lines_overdue', 'credit_downgraded') GROUP BY type`);
  const grades = await query<{ name: string; grade: string; score: number }>(url, `SELECT c.name, g.grade, g.score FROM company_credit g JOIN companies c ON c.id = g.company_id`);
  for (const g of grades) put(`credit ${g.name}`, [g.grade, g.score]);
  for (const a of alerts) put(`alerts ${a.type}`, a.n);
  const bl = await query<Record<string, unknown>>(url, `SELECT c.name, b.status, b.reason FROM blacklist_entries b JOIN companies c ON c.id = b.company_id`);
  for (const b of bl) put(`blacklist ${b.name}`, [b.status, b.reason]);
  const batches = await query<{ kind: string; status: string; n: number }>(url, `SELECT kind, status, count(*)::int AS n FROM batches GROUP BY 1, 2`);
  for (const b of batches) put(`batches ${b.kind} ${b.status}`, b.n);
  return out;
}

export function compare(clean: Map<string, string>, chaos: Map<string, string>): string[] {
  const d: string[] = [];
  for (const [k, v] of clean) if (chaos.get(k) !== v) d.push(`${k}: clean ${v} ≠ chaos ${chaos.get(k) ?? '(absent)'}`);
  for (const [k, v] of chaos) if (!clean.has(k)) d.push(`${k}: only in chaos ${v}`);
  return d;
}

export async function invariants(p: Platform): Promise<string[]> {
  const v: string[] = [];
  const url = p.databaseUrl;
  for (const t of await query<{ transaction_id: string; s: string }>(url, `SELECT transaction_id, sum(amount)::text AS s FROM ledger_entries GROUP BY 1 HAVING sum(amount) <> 0`))
    v.push(`ledger transaction ${t.transaction_id} sums to ${t.s}`);
  for (const a of await query<{ code: string; posted: string; pending_out: string }>(url, `SELECT code, posted::text, pending_out::text FROM ledger_accounts WHERE NOT allow_negative AND (posted < 0 OR posted - pending_out < 0)`))
    v.push(`guarded account ${a.code} negative: posted ${a.posted}, pending out ${a.pending_out}`);
  for (const x of await query<{ id: string; n: number }>(url, `SELECT l.id, count(*)::int AS n FROM instructions i JOIN payroll_lines l ON l.id = i.payroll_line_id WHERE i.status = 'settled' GROUP BY l.id HAVING sum(i.amount_fen) > max(l.net_fen)`))
    v.push(`payroll line ${x.id} paid more than its net (${x.n} settled instructions)`);
  // Money paid twice for one worker-month, whoever paid: the bank from the wage account (the wage
  // sheet's payment, a card-fix re-pay), the GC (advance) or the deposit (draw). Every settled
  // payment naming a line of the worker-month, of any sheet (a superseded one too), against what
  // the live sheets owe.
  for (const x of await query<{ project: string; worker: string; month: string; net: string; paid: string; how: string }>(url, `
    WITH paid AS (
      SELECT l.project_id, l.worker_id, l.month, sum(i.amount_fen) AS paid, string_agg(b.kind || ' ' || i.amount_fen, ', ' ORDER BY b.kind, i.amount_fen) AS how
      FROM instructions i JOIN batches b ON b.id = i.batch_id JOIN payroll_lines l ON l.id = i.payroll_line_id
      WHERE i.status = 'settled' GROUP BY 1, 2, 3),
    owed AS (
      SELECT l.project_id, l.worker_id, l.month, sum(l.net_fen) AS net FROM payroll_lines l JOIN payrolls r ON r.id = l.payroll_id AND r.status <> 'superseded'
      GROUP BY 1, 2, 3)
    SELECT p.name AS project, w.name AS worker, x.month, COALESCE(o.net, 0)::text AS net, x.paid::text AS paid, x.how
    FROM paid x LEFT JOIN owed o USING (project_id, worker_id, month) JOIN projects p ON p.id = x.project_id JOIN workers w ON w.id = x.worker_id
    WHERE x.paid > COALESCE(o.net, 0)`))
    v.push(`worker ${x.worker} paid twice for ${x.project} ${x.month}: ${x.paid} fen settled (${x.how}) for ${x.net} fen owed`);
  // A case says who cleared its arrears (cleared_by): the GC's and the deposit's share must be money
  // they really paid (settled GC advances / deposit draws to the case's members), not someone else's
  // payment labelled as theirs.
  for (const x of await query<{ project: string; employer: string; month: string; payer: string; claimed: string; actual: string }>(url, `
    SELECT p.name AS project, e.name AS employer, c.month, k.key AS payer, k.value AS claimed, COALESCE(a.actual, 0)::text AS actual
    FROM arrears_cases c CROSS JOIN LATERAL jsonb_each_text(c.cleared_by) k JOIN projects p ON p.id = c.project_id JOIN companies e ON e.id = c.employer_id
    LEFT JOIN LATERAL (SELECT sum(i.amount_fen) AS actual FROM arrears_case_workers w JOIN instructions i ON i.payroll_line_id = w.line_id
      JOIN batches b ON b.id = i.batch_id
      WHERE w.case_id = c.id AND i.status = 'settled' AND b.kind = CASE k.key WHEN 'gc' THEN 'gc_advance' ELSE 'deposit_draw' END) a ON true
    WHERE k.key IN ('gc', 'deposit') AND k.value::bigint > COALESCE(a.actual, 0)`))
    v.push(`case ${x.project} ${x.employer} ${x.month}: cleared_by ${x.payer} ${x.claimed} fen, but ${x.payer} settled only ${x.actual} fen to its workers`);
  const outbox = await query<{ id: string; type: string; payload: Record<string, unknown>; has_alert: boolean }>(url, `
    SELECT o.id, o.type, o.payload, EXISTS (SELECT 1 FROM alerts a WHERE a.id = o.id) AS has_alert FROM outbox o`);
  for (const e of outbox) {
    const def = classifyEvent(e.type, e.payload);
    const worthy = def !== null;
    // Alerts are news (issue 23): a state raised again while it persists, and the second and later line
    // events of one batch (grouped into the first one's alert), rightly become no alert of their own.
    const ownAlert = worthy && def.kind !== 'state' && !GROUPED_TYPES.has(def.type);
    if (ownAlert && !e.has_alert) v.push(`outbox event ${e.id} (${e.type}) became no alert`);
    if (!worthy && e.has_alert) v.push(`outbox event ${e.id} (${e.type}) is not alert-worthy but has an alert`);
  }
  const dup = await query<{ id: string; n: number }>(url, `SELECT id, count(*)::int AS n FROM alerts GROUP BY id HAVING count(*) > 1`);
  for (const x of dup) v.push(`alert ${x.id} stored ${x.n} times`);
  const audit = await fetch(`${p.baseUrl}/v1/audit/verify`, { headers: { authorization: `Bearer ${p.adminKey}` } });
  const body = (await audit.json()) as { ok?: boolean; valid?: boolean; brokenAt?: unknown };
  if (audit.status !== 200 || (body.ok === false || body.valid === false)) v.push(`audit chain does not verify: ${audit.status} ${JSON.stringify(body).slice(0, 200)}`);
  return v;
}

/**
 * Credit grades are recomputed by event-driven jobs whose timing differs between runs (and whose jobs a
 * Redis flush may drop); the nightly recompute is what makes them converge. Do that once, for the
 * scenario's final day, before comparing.
 */
async function settleGrades(p: Platform, asOf: string, log: (m: string) => void): Promise<void> {
  const post = async (path: string) => {
    const r = await fetch(`${p.baseUrl}${path}`, {
      method: 'POST', headers: { authorization: `Bearer ${p.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ asOf }),
    });
    if (!r.ok) throw new Error(`${path}: ${r.status}`);
  };
  // Cases are derived from line statuses at sweep time; reconciliation may have caught up after the
  // scenario's last sweep (a killed worker delays it). The daily sweep of the final day re-derives them.
  await post('/v1/admin/sweeps');
  await quiesce(p, log);
  await post('/v1/admin/credit/recompute');
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const tag = `K${o.seed}`;
  // 1. the clean run
  const clean = await startPlatform({ name: 'wg_chaos_clean', log: o.log, ...(o.keepDatabases ? { keepDatabase: true } : {}) });
  let cleanState: Map<string, string>;
  let cleanMs: number;
  try {
    const res = await runScenario({ baseUrl: clean.baseUrl, adminKey: clean.adminKey, seed: o.seed, tag, size: o.size, log: (m) => o.log(`clean: ${m}`) });
    cleanMs = res.ms;
    await quiesce(clean, o.log);
    await settleGrades(clean, res.finalDay, o.log);
    cleanState = await finalState(clean.databaseUrl);
  } finally {
    await clean.stop();
  }
  o.log(`clean run: ${(cleanMs / 1000).toFixed(1)} s, ${cleanState.size} facts`);

  // 2. the chaos run
  const p = await startPlatform({ name: 'wg_chaos', ...(o.keepDatabases ? { keepDatabase: true } : {}), log: (m) => { if (!/ECONNREFUSED|terminating connection|57P01|ECONNRESET|not currently accepting connections/.test(m)) o.log(m.slice(0, 200)); } });
  const r = rng(o.seed ^ 0x5eed);
  let kills = 0, redisFlushes = 0, pgRestarts = 0;
  let done = false;
  let chaosMs = 0;
  let finalDay = '';
  try {
    const scenario = runScenario({ baseUrl: p.baseUrl, adminKey: p.adminKey, seed: o.seed, tag, size: o.size, log: (m) => o.log(`chaos: ${m}`) })
      .then((x) => { chaosMs = x.ms; finalDay = x.finalDay; return x; })
      .finally(() => { done = true; });
    const faults = (async () => {
      // Spread the kills over the expected duration (the clean run's), a bit faster so they all fit.
      const gap = Math.max(400, (cleanMs * 0.8) / (o.kills + 2));
      const flushAt = Math.floor(o.kills / 2);
      const pgAt = Math.floor((o.kills * 2) / 3);
      for (let i = 0; !done || kills < o.kills; i++) {
        await new Promise((res) => setTimeout(res, gap * (0.5 + r())));
        await p.killWorker('SIGKILL');
        kills++;
        if (o.redisFlush && redisFlushes === 0 && kills >= flushAt) {
          const n = await p.flushQueues();
          redisFlushes++;
          o.log(`chaos: deleted ${n} queue keys of ${p.queuePrefix}`);
        }
        if (o.pgRestart && pgRestarts === 0 && kills >= pgAt) {
          if (o.pgOutage === 'database') {
            o.log('chaos: cutting this run\'s database off for 3 s');
            await p.cutDatabase(3_000);
          } else {
            o.log('chaos: restarting Postgres');
            execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', '15', 'main', 'restart'], { stdio: 'ignore' });
          }
          pgRestarts++;
        }
        await new Promise((res) => setTimeout(res, 200 + r() * 800));
        await p.startWorker();
        if (done && kills >= o.kills) break;
      }
    })();
    await Promise.all([scenario, faults]);
    o.log(`chaos run: ${(chaosMs / 1000).toFixed(1)} s, ${kills} kills, ${redisFlushes} Redis flushes, ${pgRestarts} Postgres restarts`);
    await quiesce(p, o.log);
    await settleGrades(p, finalDay, o.log);
    const violations = await invariants(p);
    const differences = compare(cleanState, await finalState(p.databaseUrl));
    return { bench: 'chaos', kills, redisFlushes, pgRestarts, differences: differences.length, invariantViolations: violations.length, crashes: { ...p.crashes }, details: { differences, violations, cleanMs, chaosMs } };
  } finally {
    await p.stop();
  }
}
