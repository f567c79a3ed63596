import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { asOwner } from '../helpers/db.js';
import { appendAudit, canonical } from '../../src/modules/audit/audit.service.js';

const run = promisify(execFile);
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const add = (n: number, tag: string) => ctx.deps.db.transaction(async (tx) => {
  for (let i = 0; i < n; i++) await appendAudit(tx, { actor: 'test', action: tag, entityType: 'demo', entityId: `${tag}-${i}`, data: { i } });
});
const verify = async () => (await ctx.app.inject({ url: '/v1/audit/verify', headers: ctx.admin })).json();

/**
 * What someone who can write the table but lacks the key can do: change a row, then re-link every row
 * from it to the end with plain SHA-256 (the algorithm of the unkeyed chain), marking them unkeyed.
 */
async function rewriteFrom(seq: number, data: object, alg: 'keep' | 'sha256') {
  await asOwner(ctx.dbName, async (c) => {
    await c.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update');
    try {
      await c.query(`UPDATE audit_log SET data = $2 WHERE seq = $1`, [seq, JSON.stringify(data)]);
      const rows = (await c.query(`SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, action, entity_type, entity_id, project_id, data, prev_hash
        FROM audit_log WHERE seq >= $1 ORDER BY seq`, [seq])).rows as { seq: string; at: string; actor: string; action: string; entity_type: string; entity_id: string | null; project_id: string | null; data: unknown; prev_hash: string }[];
      let prev = rows[0]!.prev_hash;
      for (const r of rows) {
        const hash = createHash('sha256').update([prev, r.at, r.actor, r.action, r.entity_type, r.entity_id ?? '', r.project_id ?? '', canonical(r.data)].join('|')).digest('hex');
        await c.query(`UPDATE audit_log SET prev_hash = $2, hash = $3 ${alg === 'sha256' ? `, alg = 'sha256'` : ''} WHERE seq = $1`, [r.seq, prev, hash]);
        prev = hash;
      }
    } finally {
      await c.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update');
    }
  });
}

describe('audit chain: keyed, checkpointed', () => {
  it('a row rewritten and re-linked without the key does not verify (also not as a downgrade to unkeyed rows)', async () => {
    await add(5, 'keyed');
    expect(await verify()).toMatchObject({ ok: true });
    const seqs = await asOwner(ctx.dbName, (c) => c.query(`SELECT seq FROM audit_log WHERE action = 'keyed' ORDER BY seq`));
    const target = Number(seqs.rows[2].seq);
    await rewriteFrom(target, { i: 99 }, 'keep');
    expect(await verify()).toMatchObject({ ok: false, firstBrokenSeq: target });
    await rewriteFrom(Number(seqs.rows[0].seq), { i: 98 }, 'sha256');
    expect(await verify()).toMatchObject({ ok: false, firstBrokenSeq: Number(seqs.rows[0].seq) });
  });
});

describe('signed checkpoints', () => {
  let fresh: TestContext;
  beforeAll(async () => {
    fresh = await createTestContext();
  });
  afterAll(() => fresh.close());
  const v = async (body?: object) => (await fresh.app.inject({ method: body ? 'POST' : 'GET', url: '/v1/audit/verify', headers: fresh.admin, ...(body ? { payload: body } : {}) })).json();

  it('verify reports a missing tail against the last checkpoint', async () => {
    await fresh.deps.db.transaction(async (tx) => {
      for (let i = 0; i < 4; i++) await appendAudit(tx, { actor: 'test', action: 'tail', entityType: 'demo', entityId: String(i) });
    });
    const cp = await fresh.app.inject({ method: 'POST', url: '/v1/audit/checkpoints', headers: fresh.admin });
    expect(cp.statusCode, cp.body).toBe(200);
    const checkpoint = cp.json();
    expect(checkpoint).toMatchObject({ lastSeq: expect.any(Number), headHash: expect.stringMatching(/^[0-9a-f]{64}$/), signature: expect.any(String) });
    expect(await v()).toMatchObject({ ok: true, checkpoint: { lastSeq: checkpoint.lastSeq } });
    // The newest two rows deleted by someone with the owner's rights: the rest still links.
    await asOwner(fresh.dbName, (c) => c.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
      DELETE FROM audit_log WHERE seq > $1 - 2; ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`.replace('$1', String(checkpoint.lastSeq))));
    const after = await v();
    expect(after.ok).toBe(false);
    expect(after.reason).toMatch(/missing tail/);
    expect(after.firstBrokenSeq).toBe(checkpoint.lastSeq - 1);
    // The stored checkpoints gone too: the copy kept outside still tells.
    await asOwner(fresh.dbName, (c) => c.query(`ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_no_update; DELETE FROM audit_checkpoints;
      ALTER TABLE audit_checkpoints ENABLE TRIGGER audit_checkpoints_no_update`));
    expect(await v()).toMatchObject({ ok: true, checkpoint: null });
    expect(await v(checkpoint)).toMatchObject({ ok: false, reason: expect.stringMatching(/missing tail/) });
    // A forged checkpoint (its numbers changed) is refused for its signature.
    expect(await v({ ...checkpoint, lastSeq: 1 })).toMatchObject({ ok: false, reason: expect.stringMatching(/signature/) });
  });

  it('a checkpoint verifies offline with the documented command and the public key only', async () => {
    const cp = (await fresh.app.inject({ method: 'POST', url: '/v1/audit/checkpoints', headers: fresh.admin })).json();
    const key = (await fresh.app.inject({ url: '/v1/audit/public-key', headers: fresh.admin })).json();
    const dir = mkdtempSync(join(tmpdir(), 'wg-cp-'));
    writeFileSync(join(dir, 'cp.json'), JSON.stringify(cp));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...cp, headHash: '0'.repeat(64) }));
    writeFileSync(join(dir, 'key.pem'), key.publicKeyPem);
    const env = { PATH: process.env.PATH ?? '' }; // no database, no platform secret
    const ok = await run('npx', ['tsx', 'scripts/audit-verify-checkpoint.ts', join(dir, 'cp.json'), join(dir, 'key.pem')], { env });
    expect(ok.stdout).toMatch(/^ok: checkpoint of \d{4}-\d{2}-\d{2}/);
    const bad = await run('npx', ['tsx', 'scripts/audit-verify-checkpoint.ts', join(dir, 'bad.json'), join(dir, 'key.pem')], { env }).catch((e: { code: number; stdout: string }) => e);
    expect((bad as { code: number }).code).toBe(1);
    expect((bad as { stdout: string }).stdout).toMatch(/^FAILED/);
  });
});
