/**
 * The same-work floor of `bench:import` (issue 24): the import's rows, validated and encrypted
 * beforehand (not timed), COPYed as the runtime role into the real `workers`, `engagements` and
 * `worker_cards` tables of a database in the state the import started from (a clone of the bench's
 * database, taken after seeding and before the import), with every index, constraint and foreign
 * key on, in one transaction, after a CHECKPOINT. Three clones, median of three.
 *
 * `cryptoSeconds`: the per-row encryption and blind indexes the import computes (3 AES-GCM values,
 * 3 HMACs), on one core (this process, nothing else running in it).
 */
import { createReadStream, createWriteStream, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { OWNER_ROLE } from '../src/db/roles.js';
import type { PiiCipher } from '../src/lib/crypto.js';
import { maskPhone } from '../src/lib/identifiers.js';
import { fastUuidV7, txt } from '../src/modules/roster/import.copy.js';
import { phoneIndex, validateWorkerRow, type RowContext, type ValidRow } from '../src/modules/roster/worker.rules.js';
import { PG_BASE, PG_OWNER_BASE, PG_RUNTIME_BASE } from '../tests/helpers/db.js';

const log = (m: string) => process.stderr.write(`[bench:import] ${m}\n`);

async function admin<T>(fn: (c: pg.Client) => Promise<T>, db = 'postgres'): Promise<T> {
  const c = new pg.Client({ connectionString: `${PG_BASE}/${db}` });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface Clone { name: string; url: string; drop(): Promise<void> }

/** A copy of `src` owned by the owner role (src must have no other session: the caller closed its pools). */
export async function cloneDatabase(src: string, n: number): Promise<Clone> {
  const name = `${src}_f${n}`;
  await admin(async (c) => {
    for (let i = 0; ; i++) {
      try {
        await c.query(`CREATE DATABASE "${name}" TEMPLATE "${src}" OWNER ${OWNER_ROLE}`);
        return;
      } catch (e) {
        if ((e as { code?: string }).code !== '55006' || i > 50) throw e; // a session (autovacuum) still on src: retry
        await sleep(200);
      }
    }
  });
  return { name, url: `${PG_RUNTIME_BASE}/${name}`, drop: () => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))) };
}

/**
 * CHECKPOINT needs superuser or pg_checkpoint (PostgreSQL 15): tried as the runtime role, then the
 * owner, then the administrator. Returns the role that could.
 */
export async function checkpoint(dbName: string): Promise<string> {
  for (const [role, base] of [['wageguard_app', PG_RUNTIME_BASE], [OWNER_ROLE, PG_OWNER_BASE], ['postgres', PG_BASE]] as const) {
    const c = new pg.Client({ connectionString: `${base}/${dbName}` });
    await c.connect();
    try {
      await c.query('CHECKPOINT');
      return role;
    } catch (e) {
      if ((e as { code?: string }).code !== '42501') throw e; // insufficient_privilege: next role
    } finally {
      await c.end();
    }
  }
  throw new Error('no role could CHECKPOINT');
}

/** utime + stime of a local process in ms (Linux /proc, 100 ticks/s): the floor backend's own CPU, whatever else runs. */
function backendCpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

export interface FloorFiles { workers: string; engagements: string; cards: string; cryptoSeconds: number; rows: number; remove(): void }

/**
 * Validates the rows exactly as the import does, then encrypts them in one timed loop (the crypto
 * only), then writes the three tables' COPY text to files (so a COPY reads it at page-cache speed).
 */
export async function prepareFloor(pii: PiiCipher, raw: Iterable<Parameters<typeof validateWorkerRow>[0]>, ctx: RowContext,
  projectId: string, actorId: string, dir: string): Promise<FloorFiles> {
  const rows: ValidRow[] = [];
  for (const r of raw) {
    const v = validateWorkerRow(r, ctx);
    if (!v.ok) throw new Error(`floor row invalid: ${JSON.stringify(v.errors)}`);
    rows.push(v.row);
  }
  const n = rows.length;
  const idEnc = new Array<string>(n), idBidx = new Array<string>(n), phoneEnc = new Array<string | null>(n), phoneBidx = new Array<string | null>(n);
  const cardEnc = new Array<string>(n), cardBidx = new Array<string>(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    idEnc[i] = pii.encrypt(r.idNumber);
    idBidx[i] = pii.blindIndex(r.idNumber, 'id');
    phoneEnc[i] = r.phone ? pii.encrypt(r.phone) : null;
    phoneBidx[i] = r.phone ? phoneIndex(pii, r.phone) : null;
    cardEnc[i] = pii.encrypt(r.card);
    cardBidx[i] = pii.blindIndex(r.card, 'card');
  }
  const cryptoSeconds = (performance.now() - t0) / 1000;
  const files = { workers: `${dir}/wg-floor-w-${process.pid}.tsv`, engagements: `${dir}/wg-floor-e-${process.pid}.tsv`, cards: `${dir}/wg-floor-c-${process.pid}.tsv` };
  const outs = Object.fromEntries(Object.entries(files).map(([k, p]) => [k, createWriteStream(p)])) as Record<keyof typeof files, ReturnType<typeof createWriteStream>>;
  const put = async (k: keyof typeof files, line: string) => {
    if (!outs[k].write(line)) await once(outs[k], 'drain');
  };
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    const wid = fastUuidV7(), eid = fastUuidV7(), cid = fastUuidV7();
    const phoneMasked = r.phone ? txt(maskPhone(r.phone)) : '\\N';
    await put('workers', [wid, txt(r.name), idEnc[i], idBidx[i], r.idMasked, r.birthDate, r.gender, phoneEnc[i] ?? '\\N', phoneMasked, cardEnc[i], cardBidx[i], txt(r.cardMasked)].join('\t') + '\n');
    await put('engagements', [eid, projectId, wid, r.employerId, txt(r.trade), txt(r.team), r.contractSigned ? 't' : 'f', r.dispatched ? 't' : 'f', r.entryDate,
      phoneEnc[i] ?? '\\N', phoneBidx[i] ?? '\\N', phoneMasked].join('\t') + '\n');
    await put('cards', [cid, eid, wid, projectId, r.employerId, cardEnc[i], cardBidx[i], txt(r.cardMasked), 'active', 'registration', txt(actorId)].join('\t') + '\n');
  }
  for (const o of Object.values(outs)) {
    o.end();
    await once(o, 'finish');
  }
  return { ...files, cryptoSeconds, rows: n, remove: () => Object.values(files).forEach((p) => rmSync(p, { force: true })) };
}

/** One floor run on a fresh clone, as the runtime role: the three COPYs in one transaction (BEGIN … COMMIT timed). */
export async function floorRun(clone: Clone, f: FloorFiles): Promise<{ seconds: number; checkpointRole: string }> {
  const checkpointRole = await checkpoint(clone.name);
  const c = new pg.Client({ connectionString: clone.url });
  await c.connect();
  try {
    const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const cpu0 = backendCpuMs(pid);
    const t0 = performance.now();
    const parts: string[] = [];
    const copy = async (file: string, stmt: string) => {
      const p0 = performance.now();
      await pipeline(createReadStream(file), c.query(copyFrom(stmt)));
      parts.push(((performance.now() - p0) / 1000).toFixed(2));
    };
    await c.query('BEGIN');
    await copy(f.workers, `COPY workers (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, phone_enc, phone_masked, bank_card_enc, bank_card_bidx, bank_card_masked) FROM STDIN`);
    await copy(f.engagements, `COPY engagements (id, project_id, worker_id, employer_id, trade, team, contract_signed, dispatched, entry_date, phone_enc, phone_bidx, phone_masked) FROM STDIN`);
    await copy(f.cards, `COPY worker_cards (id, engagement_id, worker_id, project_id, employer_id, card_enc, card_bidx, card_masked, status, origin, status_by) FROM STDIN`);
    await c.query('COMMIT');
    const seconds = (performance.now() - t0) / 1000;
    const backendCpu = (backendCpuMs(pid) - cpu0) / 1000;
    const { n, role } = (await c.query<{ n: number; role: string }>(`SELECT (SELECT count(*) FROM worker_cards)::int AS n, current_user AS role`)).rows[0]!;
    if (n !== f.rows || role !== 'wageguard_app') throw new Error(`floor loaded ${n} card rows as ${role}`);
    log(`same-work floor on ${clone.name}: ${seconds.toFixed(3)} s (workers, engagements, cards: ${parts.join(', ')} s; Postgres backend CPU ${backendCpu.toFixed(2)} s; CHECKPOINT as ${checkpointRole})`);
    return { seconds, checkpointRole };
  } finally {
    await c.end();
  }
}
