import { sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../lib/errors.js';
import { getCalendar, policyTimeline } from '../policy/policy.service.js';
import { payDatesFor, planChunks, reconSettings } from './reconciliation.rules.js';
import { classifySql, extraExistsSql } from './reconciliation.classify.js';
import { claimInferredSql, lockSql, orphanCandidatesSql, orphansInsertSql, statementRowsSql, type ChunkPm } from './reconciliation.sql.js';
import { payMonthSql } from '../registry/pay-month.js';

export const DEFAULT_CHUNK_LINES = 1_000_000;
/** Chunks reconciled at once (each on its own connection) unless told otherwise (`RECON_PARALLEL`). */
export const DEFAULT_PARALLEL = 2;
/** From this many lines a chunk is planned with hash joins only. */
const BIG_CHUNK = 20_000;

export interface ReconcileOptions {
  /** Pack project-months into chunks of about this many lines (one transaction each). */
  chunkLines?: number;
  /** Chunks processed at once, each in its own transaction (default 2; always 1 inside a caller's transaction). */
  parallel?: number;
  /** From this many lines a chunk gets the big-chunk plan (default 20,000; tests set 1 to run it on small fixtures). */
  bigFrom?: number;
  /** Called after each committed chunk (progress; tests inject a crash here). */
  afterChunk?: (done: number, total: number, summary: ReconcileSummary) => Promise<void> | void;
}

export interface ReconcileSummary {
  asOf: string;
  chunks: number;
  chunksDone: number;
  lines: number;
  changed: number;
  events: number;
  orphans: number;
  /** Milliseconds spent per step, summed over chunks (where the time goes at scale). */
  stepMs: { lines: number; claim: number; classify: number; orphans: number };
}

type Rows<T> = { rows: T[] };
const rowsOf = async <T>(p: Promise<unknown>): Promise<T[]> => ((await p) as Rows<T>).rows;

/** Services accept the process deps, a Db or a caller's transaction (chunks then run as its savepoints). */
const dbOf = (x: Pick<Deps, 'db'> | DbOrTx): DbOrTx => ('db' in x && 'pool' in x ? (x as Deps).db : (x as DbOrTx));

interface PmRow { project_id: string; month: string; lines: number; payday: number; pay_month: string; county_code: string; wage_bank_id: string; deposit_bank_id: string | null }

/**
 * Attach pay dates (calendar + policy per county, cached) to project-months. A wage month is judged
 * by the policy in force in it (dated settings): grace days and the value-date window of that month.
 */
async function withDates(db: DbOrTx, rows: PmRow[]): Promise<(ChunkPm & { lines: number })[]> {
  const byCounty = new Map<string, Promise<{ cal: Awaited<ReturnType<typeof getCalendar>>; policy: Awaited<ReturnType<typeof policyTimeline>> }>>();
  const county = (c: string) => {
    let p = byCounty.get(c);
    if (!p) {
      p = (async () => {
        const [cal, policy] = await Promise.all([getCalendar(db, c), policyTimeline(db, c)]);
        return { cal, policy };
      })();
      byCounty.set(c, p);
    }
    return p;
  };
  const out: (ChunkPm & { lines: number })[] = [];
  for (const r of rows) {
    const c = await county(r.county_code);
    const pol = c.policy(r.month);
    const d = payDatesFor(r.month, r.payday, c.cal, pol.enforcement.graceDays, r.pay_month);
    out.push({ projectId: r.project_id, month: r.month, countyCode: r.county_code, payDate: d.payDate, deadline: d.deadline, windowDays: reconSettings(pol).valueDateWindowDays, lines: r.lines });
  }
  return out;
}

// The pay month that governs each wage month (a GC may change it for months not yet begun).
const PM_SELECT = sql`SELECT x.project_id, x.month, x.lines, p.payday, ${payMonthSql('p', sql`x.month`)} AS pay_month, p.county_code, p.wage_bank_id, p.deposit_bank_id
  FROM x JOIN projects p ON p.id = x.project_id ORDER BY x.project_id, x.month`;

/** Step timings are infrastructure telemetry, not business time. */
const clock = () => performance.now();

/**
 * Planner settings of one chunk's transaction.
 * - No JIT: the cost guesses cross its threshold; compiling costs more than the work.
 * - work_mem sized to the chunk: hash joins and the materialised lines stay in memory (~400 bytes
 *   per line and record; at 256 MB a 500,000-line chunk spilled its hashes and tuplestore).
 * - A big chunk covers most of the month's rows: hash joins over whole tables beat an index probe
 *   per line, and the planner cannot know (the project-months are an unnest of parameters). Merge
 *   joins are off too: with nested loops gone the planner sorted the whole chunk to merge it with the
 *   (usually empty) clearing/statement records instead of hashing those. Sorts are discouraged as
 *   well: the routine history groups the chunk's changed lines per payroll, and for that the planner
 *   sorted ~500,000 rows (0.3 s of a 500,000-line chunk) where a hash aggregate over its few hundred
 *   groups does; DISTINCT ON still sorts (nothing else can).
 */
function chunkSettings(chunkLines: number, big: boolean): [string, string][] {
  const s: [string, string][] = [['jit', 'off'], ['work_mem', `${Math.min(1024, Math.max(256, Math.ceil((chunkLines * 800) / 1048576)))}MB`]];
  if (big) s.push(['enable_nestloop', 'off'], ['enable_mergejoin', 'off'], ['enable_sort', 'off']);
  return s;
}
const setAll = (s: [string, string][]) => sql`SELECT ${sql.join(s.map(([k, v]) => sql`set_config(${k}, ${v}, true)`), sql`, `)}`;

/**
 * A transaction with planner settings local to it. Inside a caller's transaction it is a savepoint,
 * and a released savepoint keeps its SET LOCALs until the caller's transaction ends (the caller's
 * later statements would be planned without nested loops or sorts), so the caller's values are put
 * back afterwards. A failed savepoint rolls its settings back by itself.
 */
async function withSettings<T>(db: DbOrTx, settings: [string, string][], fn: (tx: DbOrTx) => Promise<T>): Promise<T> {
  const before = db instanceof PgTransaction
    ? (await rowsOf<Record<string, string>>(db.execute(sql`SELECT ${sql.join(settings.map(([k], i) => sql`current_setting(${k}) AS ${sql.raw(`s${i}`)}`), sql`, `)}`)))[0]!
    : null;
  const out = await db.transaction(async (tx) => {
    await tx.execute(setAll(settings));
    return fn(tx);
  });
  if (before) await db.execute(setAll(settings.map(([k], i) => [k, before[`s${i}`]!])));
  return out;
}

/** One chunk in one transaction: lock its project-months, claim statement rows, classify and write. */
async function runChunk(db: DbOrTx, chunk: (ChunkPm & { lines: number })[], asOf: string, stepMs: ReconcileSummary['stepMs'], bigFrom: number) {
  const chunkLines = chunk.reduce((n, p) => n + p.lines, 0);
  const big = chunkLines >= bigFrom;
  return withSettings(db, chunkSettings(chunkLines, big), async (tx) => {
    await tx.execute(lockSql(chunk));
    let t = clock();
    const stmt = (await rowsOf<{ any: boolean }>(tx.execute(statementRowsSql(chunk))))[0]?.any ?? false;
    stepMs.lines += Math.round(clock() - t);
    t = clock();
    if (stmt) await tx.execute(claimInferredSql(chunk));
    stepMs.claim += Math.round(clock() - t);
    t = clock();
    const extra = (await rowsOf<{ any: boolean }>(tx.execute(extraExistsSql(chunk))))[0]?.any ?? false;
    const out = (await rowsOf<{ lines: number; changed: number; events: number }>(tx.execute(classifySql(chunk, asOf, { extra, big }))))[0]!;
    stepMs.classify += Math.round(clock() - t);
    return out;
  });
}

/**
 * Reconcile a set of project-months: one transaction per chunk (claim statement rows, classify,
 * write changes + history + events), then orphans. A crash between chunks leaves every committed
 * chunk complete and the rest untouched; a re-run recomputes and changes only what is still off.
 */
async function reconcilePms(db: DbOrTx, rows: PmRow[], asOf: string, opts: ReconcileOptions, orphanFrom: string | null): Promise<ReconcileSummary> {
  const pms = await withDates(db, rows);
  // Inside a caller's transaction chunks are savepoints of one connection: one at a time.
  const parallel = db instanceof PgTransaction ? 1 : Math.max(1, opts.parallel ?? DEFAULT_PARALLEL);
  const total = pms.reduce((n, p) => n + p.lines, 0);
  // Without an explicit size a big job is split into `parallel` chunks so every core works.
  const size = opts.chunkLines ?? Math.min(DEFAULT_CHUNK_LINES, Math.max(BIG_CHUNK, Math.ceil(total / parallel)));
  const chunks = planChunks(pms, size);
  const s: ReconcileSummary = { asOf, chunks: chunks.length, chunksDone: 0, lines: 0, changed: 0, events: 0, orphans: 0, stepMs: { lines: 0, claim: 0, classify: 0, orphans: 0 } };
  // Chunks run in waves of `parallel` (one transaction each, on their own connections; they cover
  // disjoint project-months, so they never touch the same rows). afterChunk runs after each wave, so
  // a crash reported there leaves later waves untouched.
  for (let i = 0; i < chunks.length; i += parallel) {
    const wave = chunks.slice(i, i + parallel);
    const results = await Promise.all(wave.map((chunk) => runChunk(db, chunk, asOf, s.stepMs, opts.bigFrom ?? BIG_CHUNK)));
    for (const r of results) {
      s.chunksDone++;
      s.lines += r.lines;
      s.changed += r.changed;
      s.events += r.events;
      await opts.afterChunk?.(s.chunksDone, s.chunks, s);
    }
  }
  if (orphanFrom && rows.length > 0) {
    const banks = [...new Set(rows.flatMap((r) => [r.wage_bank_id, r.deposit_bank_id].filter((b): b is string => !!b)))];
    const projects = [...new Set(rows.map((r) => r.project_id))];
    const t = clock();
    const o = await withSettings(db, [['jit', 'off'], ['work_mem', '256MB']], async (tx) => {
      const ids = (await rowsOf<{ id: string }>(tx.execute(orphanCandidatesSql(banks, projects, orphanFrom)))).map((r) => r.id);
      if (!ids.length) return { orphans: 0, events: 0 };
      return (await rowsOf<{ orphans: number; events: number }>(tx.execute(orphansInsertSql(ids, asOf))))[0]!;
    });
    s.stepMs.orphans = Math.round(clock() - t);
    s.orphans = o.orphans;
    s.events += o.events;
  }
  return s;
}

const monthStart = (months: string[]) => [...months].sort()[0] + '-01';

/** Reconcile every project-month a batch pays (a payroll batch: one; a deposit draw: possibly several). */
export async function reconcileBatch(deps: Pick<Deps, 'db'> | DbOrTx, batchId: string, asOf: string, opts: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const db = dbOf(deps);
  const b = await rowsOf<{ id: string }>(db.execute(sql`SELECT id FROM batches WHERE id = ${batchId}`));
  if (!b[0]) throw new NotFoundError('Batch');
  return reconcileBatches(db, [batchId], asOf, opts);
}

/** Reconcile every project-month any of the batches pays, once each (unknown ids pay nothing). */
export async function reconcileBatches(deps: Pick<Deps, 'db'> | DbOrTx, batchIds: string[], asOf: string, opts: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const db = dbOf(deps);
  const ids = `{${batchIds.join(',')}}`;
  const rows = await rowsOf<PmRow>(db.execute(sql`WITH pairs AS (
      SELECT DISTINCT pl.project_id, pl.month FROM batches b
      JOIN payroll_lines pl ON pl.payroll_id = b.payroll_id AND pl.project_id = b.project_id WHERE b.id = ANY(${ids}::uuid[])
      UNION
      SELECT DISTINCT pl.project_id, pl.month FROM instructions i
      JOIN payroll_lines pl ON pl.id = i.payroll_line_id AND pl.project_id = i.project_id WHERE i.batch_id = ANY(${ids}::uuid[])),
    x AS (SELECT pr.project_id, pr.month, (SELECT count(*) FROM payroll_lines l WHERE l.project_id = pr.project_id AND l.month = pr.month)::int AS lines FROM pairs pr)
    ${PM_SELECT}`));
  return reconcilePms(db, rows, asOf, opts, rows.length ? monthStart(rows.map((r) => r.month)) : null);
}

/** Reconcile one project-month (on demand, after a statement import, or from the enforcement sweep). */
export async function reconcileProjectMonth(deps: Pick<Deps, 'db'> | DbOrTx, projectId: string, month: string, asOf: string, opts: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const db = dbOf(deps);
  const p = await rowsOf<{ id: string }>(db.execute(sql`SELECT id FROM projects WHERE id = ${projectId}`));
  if (!p[0]) throw new NotFoundError('Project');
  const rows = await rowsOf<PmRow>(db.execute(sql`WITH x AS (
      SELECT ${projectId}::uuid AS project_id, ${month}::text AS month,
        (SELECT count(*) FROM payroll_lines l WHERE l.project_id = ${projectId} AND l.month = ${month})::int AS lines)
    ${PM_SELECT}`));
  return reconcilePms(db, rows, asOf, opts, month + '-01');
}

/** Reconcile a wage month across every project that has lines for it (chunks of whole project-months). */
export async function reconcileMonth(deps: Pick<Deps, 'db'> | DbOrTx, month: string, asOf: string, opts: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const db = dbOf(deps);
  const rows = await rowsOf<PmRow>(db.execute(sql`WITH x AS (
      SELECT project_id, month, count(*)::int AS lines FROM payroll_lines WHERE month = ${month} GROUP BY 1, 2)
    ${PM_SELECT}`));
  return reconcilePms(db, rows, asOf, opts, month + '-01');
}
