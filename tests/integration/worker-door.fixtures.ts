import { sql } from 'drizzle-orm';
import type { TestContext } from '../helpers/context.js';
import { all } from '../helpers/disbursement.js';

/** The last SMS code sent to a phone (what the worker reads on their phone). */
export async function lastCodeFor(ctx: TestContext, phoneMasked: string): Promise<string | null> {
  const rows = await all<{ payload_enc: string }>(ctx, sql`
    SELECT payload_enc FROM sms_messages WHERE template = 'login_code' AND phone_masked = ${phoneMasked} ORDER BY created_at DESC, id DESC LIMIT 1`);
  if (!rows[0]) return null;
  return (JSON.parse(ctx.deps.pii.decrypt(rows[0].payload_enc)) as { params: { code: string } }).params.code;
}

export const masked = (p: string) => p.slice(0, 3) + '****' + p.slice(-4);

/** Sign a worker in through the two public endpoints; returns the bearer header and the cookie. */
export async function signIn(ctx: TestContext, w: { idNumber: string; phone: string }) {
  const c = await ctx.app.inject({ method: 'POST', url: '/v1/worker-auth/codes', payload: { idNumber: w.idNumber, phone: w.phone } });
  if (c.statusCode !== 202) throw new Error(`code: ${c.statusCode} ${c.body}`);
  const code = await lastCodeFor(ctx, masked(w.phone));
  const s = await ctx.app.inject({ method: 'POST', url: '/v1/worker-auth/sessions', payload: { idNumber: w.idNumber, phone: w.phone, code } });
  if (s.statusCode !== 201) throw new Error(`session: ${s.statusCode} ${s.body}`);
  const token = s.json().token as string;
  return { headers: { authorization: `Bearer ${token}` }, token, cookie: String(s.headers['set-cookie']).split(';')[0]! };
}

/** Move the app's infrastructure clock (sign-in windows, session expiry) to a given instant. */
export function setNow(ctx: TestContext, at: Date) {
  (ctx.deps as { now: () => Date }).now = () => new Date(at);
}
