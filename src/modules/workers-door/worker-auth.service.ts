import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { safeEqual, sha256Hex } from '../../lib/crypto.js';
import { AppError, UnauthorizedError, UnprocessableError } from '../../lib/errors.js';
import { validateResidentId } from '../../lib/identifiers.js';
import { newId } from '../../lib/ids.js';
import { appendAudit } from '../audit/audit.service.js';
import { dispatchSms, requestSms } from '../notify/sms.service.js';
import { isMainlandMobile, normalizePhone } from '../notify/sms.rules.js';
import { afterWrongCode, codeFromRandom, codeRequestWaitMs, retryAfterSec, WORKER_AUTH } from './worker-auth.rules.js';
import { createWorkerSession } from './worker-session.service.js';

type Rows<T> = { rows: T[] };

/** 429 with the seconds to wait; the route sets `Retry-After` from it. */
export class TooManyRequestsError extends AppError {
  constructor(message: string, readonly retryAfterSec: number) {
    super(429, 'too_many_requests', message);
  }
}

/**
 * The phone numbers on file for a person: each engagement's own phone (card custody keeps phones per
 * engagement) and the phone first registered on the person's row (data from before that change).
 */
export async function phonesOnFile(db: DbOrTx, deps: Pick<Deps, 'pii'>, workerId: string): Promise<string[]> {
  const r = (await db.execute(sql`
    SELECT phone_enc FROM engagements WHERE worker_id = ${workerId} AND phone_enc IS NOT NULL
    UNION SELECT phone_enc FROM workers WHERE id = ${workerId} AND phone_enc IS NOT NULL`)) as unknown as Rows<{ phone_enc: string }>;
  return [...new Set(r.rows.map((x) => normalizePhone(deps.pii.decrypt(x.phone_enc))))];
}

/**
 * The phone the employer of a wage line gave for the worker on that engagement: a slip's SMS goes
 * there, never to a number another employer registered against the same ID.
 */
export async function linePhone(db: DbOrTx, deps: Pick<Deps, 'pii'>, line: { workerId: string; projectId: string; employerId: string }): Promise<string | null> {
  const r = (await db.execute(sql`
    SELECT phone_enc FROM engagements WHERE worker_id = ${line.workerId} AND project_id = ${line.projectId} AND employer_id = ${line.employerId} AND phone_enc IS NOT NULL
    ORDER BY (exit_date IS NULL) DESC, created_at DESC LIMIT 1`)) as unknown as Rows<{ phone_enc: string }>;
  return r.rows[0] ? normalizePhone(deps.pii.decrypt(r.rows[0].phone_enc)) : null;
}

interface Pair {
  idBidx: string;
  phoneBidx: string;
  /** The (ID, phone) pair: codes and the wrong-code lock are kept per pair. */
  pairKey: string;
  phone: string;
}

function pairOf(deps: Pick<Deps, 'pii'>, idNumber: string, phoneRaw: string): Pair {
  const id = validateResidentId(idNumber);
  const phone = normalizePhone(phoneRaw);
  const errors = [];
  if (!id.ok) errors.push({ path: 'body.idNumber', message: `not a valid resident ID (${id.reason})` });
  if (!isMainlandMobile(phone)) errors.push({ path: 'body.phone', message: 'not a mainland mobile number' });
  if (!id.ok || errors.length) throw new UnprocessableError('Check the ID number and phone', errors);
  const idBidx = deps.pii.blindIndex(id.normalized, 'id');
  const phoneBidx = deps.pii.blindIndex(phone, 'phone');
  return { idBidx, phoneBidx, pairKey: sha256Hex(`${idBidx}|${phoneBidx}`), phone };
}

const codeHash = (pairKey: string, code: string) => sha256Hex(`${pairKey}:${code}`);

/**
 * Ask for a sign-in code. The answer is the same whether or not the phone is on file for that ID, and
 * both paths do the same writes (a code row is stored either way; one nobody received when the pair
 * is unknown), so neither the body nor the timing tells them apart. Rate limits count every request.
 */
export async function requestSignInCode(deps: Pick<Deps, 'db' | 'pii' | 'queues'>, input: { idNumber: string; phone: string }, now: Date): Promise<void> {
  const pair = pairOf(deps, input.idNumber, input.phone);
  const subjects = [`id:${pair.idBidx}`, `phone:${pair.phoneBidx}`];
  const smsId = await deps.db.transaction(async (tx) => {
    // Serialise requests for the same ID and the same phone, so two parallel requests cannot both pass the limit.
    for (const s of [...subjects].sort()) await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${s}, 18))`);
    const recent = (await tx.execute(sql`
      SELECT subject, at FROM worker_auth_requests WHERE subject IN (${subjects[0]}, ${subjects[1]}) AND at > ${new Date(now.getTime() - 3_600_000).toISOString()}`)) as unknown as Rows<{ subject: string; at: Date | string }>;
    const wait = Math.max(...subjects.map((s) => codeRequestWaitMs(recent.rows.filter((r) => r.subject === s).map((r) => new Date(r.at)), now)));
    if (wait > 0) throw new TooManyRequestsError('Too many code requests; wait before asking again', retryAfterSec(wait));
    for (const s of subjects) await tx.execute(sql`INSERT INTO worker_auth_requests (subject, at) VALUES (${s}, ${now.toISOString()})`);
    await tx.execute(sql`DELETE FROM worker_auth_requests WHERE subject IN (${subjects[0]}, ${subjects[1]}) AND at < ${new Date(now.getTime() - 2 * 3_600_000).toISOString()}`);

    const w = (await tx.execute(sql`SELECT id FROM workers WHERE id_number_bidx = ${pair.idBidx}`)) as unknown as Rows<{ id: string }>;
    const workerId = w.rows[0]?.id ?? null;
    const onFile = workerId ? (await phonesOnFile(tx, deps, workerId)).includes(pair.phone) : false;
    const code = codeFromRandom(() => randomBytes(4).readUInt32BE(0));
    const codeId = newId();
    await tx.execute(sql`
      INSERT INTO worker_auth_codes (id, pair_key, worker_id, code_hash, created_at, expires_at)
      VALUES (${codeId}, ${pair.pairKey}, ${onFile ? workerId : null}, ${codeHash(pair.pairKey, onFile ? code : randomBytes(16).toString('hex'))},
        ${now.toISOString()}, ${new Date(now.getTime() + WORKER_AUTH.codeTtlMs).toISOString()})`);
    if (!onFile) return null;
    return requestSms(tx, deps.pii, { eventKey: `worker-auth:${codeId}`, phone: pair.phone, template: 'login_code', params: { code } });
  });
  await dispatchSms(deps, [smsId]);
}

/**
 * Exchange a code for a session. 5 wrong codes for one pair lock it for 15 minutes (429). Every
 * attempt, right or wrong, is audited (without the ID or phone: the audit names the worker when known).
 */
export async function signInWithCode(deps: Pick<Deps, 'db' | 'pii'>, input: { idNumber: string; phone: string; code: string }, now: Date) {
  const pair = pairOf(deps, input.idNumber, input.phone);
  const result = await deps.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${'pair:' + pair.pairKey}, 18))`);
    const lock = (await tx.execute(sql`SELECT failures, locked_until FROM worker_auth_locks WHERE pair_key = ${pair.pairKey}`)) as unknown as Rows<{ failures: number; locked_until: Date | string | null }>;
    const lockedUntil = lock.rows[0]?.locked_until ? new Date(lock.rows[0].locked_until) : null;
    if (lockedUntil && lockedUntil > now) {
      await appendAudit(tx, { actor: 'anonymous', action: 'worker.sign_in_locked', entityType: 'worker_auth', entityId: pair.pairKey.slice(0, 16), at: now });
      return { locked: retryAfterSec(lockedUntil.getTime() - now.getTime()) } as const;
    }
    const c = (await tx.execute(sql`
      SELECT id, worker_id, code_hash FROM worker_auth_codes
      WHERE pair_key = ${pair.pairKey} AND used_at IS NULL AND expires_at > ${now.toISOString()}
      ORDER BY created_at DESC LIMIT 1`)) as unknown as Rows<{ id: string; worker_id: string | null; code_hash: string }>;
    const row = c.rows[0];
    const ok = !!row && row.worker_id !== null && /^\d{6}$/.test(input.code) && safeEqual(row.code_hash, codeHash(pair.pairKey, input.code));
    if (!ok) {
      const next = afterWrongCode(lock.rows[0]?.failures ?? 0);
      const until = next.lock ? new Date(now.getTime() + WORKER_AUTH.lockMs).toISOString() : null;
      await tx.execute(sql`
        INSERT INTO worker_auth_locks (pair_key, failures, locked_until) VALUES (${pair.pairKey}, ${next.failures}, ${until})
        ON CONFLICT (pair_key) DO UPDATE SET failures = EXCLUDED.failures, locked_until = EXCLUDED.locked_until`);
      await appendAudit(tx, { actor: row?.worker_id ? `worker:${row.worker_id}` : 'anonymous', action: 'worker.sign_in_failed', entityType: 'worker_auth', entityId: pair.pairKey.slice(0, 16), data: { locked: next.lock }, at: now });
      return next.lock ? ({ locked: retryAfterSec(WORKER_AUTH.lockMs) } as const) : ({ wrong: true } as const);
    }
    await tx.execute(sql`UPDATE worker_auth_codes SET used_at = ${now.toISOString()} WHERE id = ${row.id}`);
    await tx.execute(sql`DELETE FROM worker_auth_locks WHERE pair_key = ${pair.pairKey}`);
    const s = await createWorkerSession(tx, row.worker_id!, now, pair.phoneBidx);
    await appendAudit(tx, { actor: `worker:${row.worker_id}`, action: 'worker.sign_in', entityType: 'worker', entityId: row.worker_id, data: { session: s.sessionId.slice(0, 16) }, at: now });
    return { session: s } as const;
  });
  if ('locked' in result) throw new TooManyRequestsError('Too many wrong codes; this ID and phone are locked for a while', result.locked!);
  if ('wrong' in result) throw new UnauthorizedError('Wrong or expired code');
  return result.session;
}
