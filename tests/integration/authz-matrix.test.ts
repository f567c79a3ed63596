/**
 * Authorization matrix: EVERY operation of the live OpenAPI document × every kind of caller,
 * checked against the one table in authz-matrix.table.ts. An operation missing from the table
 * fails here, so a new route cannot ship without an authorization rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { liveOperations, sample, type Operation } from './fuzz.openapi.js';
import { buildWorld, pathFor, ROLES, TABLE, type Expect, type RoleName, type World } from './authz-matrix.table.js';

let ctx: TestContext;
let world: World;
let ops: Operation[];

beforeAll(async () => {
  ctx = await createTestContext();
  world = await buildWorld(ctx);
  ops = await liveOperations(ctx.app);
}, 120_000);
afterAll(async () => ctx?.close());

const matches = (status: number, want: Expect) =>
  want === 'ok' ? (status >= 200 && status < 300) || status === 400 || status === 409 || status === 422 : status === want;

/** One request of `role` against `op` (tenant A's resources). */
export async function call(ctx: TestContext, w: World, op: Operation, role: RoleName): Promise<number> {
  const row = TABLE[op.operationId]!;
  const url = pathFor(op.path, w);
  const query = row.query?.(w) ?? (op.querySchema ? (sample(op.querySchema) as Record<string, string>) : undefined);
  const headers: Record<string, string> = { ...w.headers[role] };
  let payload: string | undefined;
  if (op.method !== 'GET' && op.method !== 'DELETE') {
    if (op.operationId === 'importWorkers') {
      payload = '[]';
      headers['content-type'] = 'application/json';
    } else if (op.operationId === 'importComplaints') {
      payload = `项目编号,欠薪月份,欠薪金额(元),涉及人数,情况说明\n${w.a.projectId},2026-10,100,1,matrix\n`;
      headers['content-type'] = 'text/csv';
    } else if (op.operationId === 'importBankStatement') {
      payload = 'endToEndId,amountFen,status,valueDate\n';
      headers['content-type'] = 'text/csv';
    } else if (op.bodySchema || row.body) {
      payload = JSON.stringify(row.body ? row.body(w) : sample(op.bodySchema!));
      headers['content-type'] = 'application/json';
    }
    if (op.operationId === 'receiveBankWebhook') {
      // a signature made with the wrong secret
      Object.assign(headers, { 'webhook-id': 'msg_matrix', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' });
    }
  }
  const res = await ctx.app.inject({ method: op.method as 'GET', url, query, headers, payload, payloadAsStream: op.operationId === 'streamAlerts' });
  if (op.operationId === 'streamAlerts') res.stream().destroy();
  return res.statusCode;
}

describe('authorization matrix', () => {
  it('every operation in the live OpenAPI document has a row in the table', () => {
    const missing = ops.map((o) => o.operationId).filter((id) => !TABLE[id]);
    expect(missing).toEqual([]);
    const stale = Object.keys(TABLE).filter((id) => !ops.some((o) => o.operationId === id));
    expect(stale).toEqual([]);
    expect(ops.length).toBeGreaterThan(60);
  });

  it('every operation × role × tenant answers as the table says', async () => {
    // Destructive operations last, and the admin last within each, so earlier calls see the resources.
    const order = [...ops].sort((x, y) => Number(x.method === 'DELETE') - Number(y.method === 'DELETE'));
    const roles = [...ROLES.filter((r) => r !== 'admin'), 'admin' as const];
    const wrong: string[] = [];
    const grid: string[] = [];
    let calls = 0;
    for (const op of order) {
      const row = TABLE[op.operationId];
      if (!row) continue;
      const cells: string[] = [];
      for (const role of roles) {
        const want = row.expect[role] ?? row.rest;
        if (row.fresh) await row.fresh(ctx, world);
        const got = await call(ctx, world, op, role);
        calls++;
        cells.push(`${role}=${got}`);
        if (!matches(got, want)) wrong.push(`${op.operationId} ${op.method} ${op.path} as ${role}: expected ${want}, got ${got}`);
      }
      grid.push(`${op.operationId.padEnd(32)} ${cells.join(' ')}`);
    }
    if (wrong.length) console.log(grid.join('\n'));
    console.log(`authz matrix: ${order.length} operations × ${roles.length} callers = ${calls} requests, ${wrong.length} mismatches`);
    expect(wrong).toEqual([]);
  }, 120_000);
});
