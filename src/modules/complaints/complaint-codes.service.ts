import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { safeEqual, sha256Hex } from '../../lib/crypto.js';
import { UnauthorizedError, UnprocessableError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { dispatchSms, requestSms } from '../notify/sms.service.js';
import { isMainlandMobile, normalizePhone } from '../notify/sms.rules.js';
import { codeFromRandom, codeRequestWaitMs, retryAfterSec, WORKER_AUTH } from '../workers-door/worker-auth.rules.js';
import { TooManyRequestsError } from '../workers-door/worker-auth.service.js';

type Rows<T> = { rows: T[] };

export function complainantPhone(deps: Pick<Deps, 'pii'>, raw: string, path = 'body.phone'): { phone: string; bidx: string } {
  const phone = normalizePhone(raw);
  if (!isMainlandMobile(phone)) throw new UnprocessableError('Check the phone number', [{ path, message: 'not a mainland mobile number' }]);
  return { phone, bidx: deps.pii.blindIndex(phone, 'phone') };
}

const hashOf = (bidx: string, code: string) => sha256Hex(`complaint:${bidx}:${code}`);

/** A phone-verification code for a public complainant: same limits as worker sign-in (1/min, 5/h per phone). */
export async function requestComplaintCode(deps: Pick<Deps, 'db' | 'pii' | 'queues'>, rawPhone: string, now: Date): Promise<void> {
  const { phone, bidx } = complainantPhone(deps, rawPhone);
  const subject = `cphone:${bidx}`;
  const smsId = await deps.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${subject}, 18))`);
    const recent = (await tx.execute(sql`SELECT at FROM worker_auth_requests WHERE subject = ${subject} AND at > ${new Date(now.getTime() - 3_600_000).toISOString()}`)) as unknown as Rows<{ at: Date | string }>;
    const wait = codeRequestWaitMs(recent.rows.map((r) => new Date(r.at)), now);
    if (wait > 0) throw new TooManyRequestsError('Too many code requests; wait before asking again', retryAfterSec(wait));
    await tx.execute(sql`INSERT INTO worker_auth_requests (subject, at) VALUES (${subject}, ${now.toISOString()})`);
    const code = codeFromRandom(() => randomBytes(4).readUInt32BE(0));
    const id = newId();
    await tx.execute(sql`
      INSERT INTO complaint_codes (id, phone_bidx, code_hash, created_at, expires_at)
      VALUES (${id}, ${bidx}, ${hashOf(bidx, code)}, ${now.toISOString()}, ${new Date(now.getTime() + WORKER_AUTH.codeTtlMs).toISOString()})`);
    return requestSms(tx, deps.pii, { eventKey: `complaint-code:${id}`, phone, template: 'complaint_code', params: { code } });
  });
  await dispatchSms(deps, [smsId]);
}

/** Check (and use up) a complainant's code inside the filing transaction. 5 wrong tries spoil the code. */
export async function useComplaintCode(tx: DbOrTx, bidx: string, code: string, now: Date): Promise<void> {
  const r = (await tx.execute(sql`
    SELECT id, code_hash, failures FROM complaint_codes
    WHERE phone_bidx = ${bidx} AND used_at IS NULL AND expires_at > ${now.toISOString()} AND failures < ${WORKER_AUTH.maxWrongCodes}
    ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE`)) as unknown as Rows<{ id: string; code_hash: string; failures: number }>;
  const row = r.rows[0];
  if (!row) throw new UnauthorizedError('Wrong or expired code');
  if (!/^\d{6}$/.test(code) || !safeEqual(row.code_hash, hashOf(bidx, code))) {
    // The failure must survive the caller's rollback: it is written on its own connection-level statement below.
    throw Object.assign(new UnauthorizedError('Wrong or expired code'), { codeId: row.id });
  }
  await tx.execute(sql`UPDATE complaint_codes SET used_at = ${now.toISOString()} WHERE id = ${row.id}`);
}

export async function countWrongCode(db: DbOrTx, codeId: string): Promise<void> {
  await db.execute(sql`UPDATE complaint_codes SET failures = failures + 1 WHERE id = ${codeId}`);
}
