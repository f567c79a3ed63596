/**
 * Bad input, property-based (fast-check, fixed seed): for EVERY operation of the live OpenAPI
 * document, random and mutated bodies, query strings, headers and content types never produce a
 * 5xx, and a 4xx changes no row of any table. Plus the classic hostile inputs: oversized bodies
 * (413), deep JSON, huge arrays, invalid UTF-8, SQL and script fragments (stored literally or refused).
 */
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { makeCreditCode, nextSeed } from '../helpers/seed.js';
import { buildWorld, pathFor, ROLES, TABLE, type World } from './authz-matrix.table.js';
import { liveOperations, sample, type Operation, type Schema } from './fuzz.openapi.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const RUNS = Number(process.env.FUZZ_RUNS ?? 20);

let ctx: TestContext;
let world: World;
let ops: Operation[];
let checksumSql = '';

beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_PER_MINUTE: '10000000' });
  world = await buildWorld(ctx);
  ops = await liveOperations(ctx.app);
  const tables = ((await ctx.deps.db.execute(sql`SELECT t.tablename FROM pg_tables t JOIN pg_class c ON c.oid = format('public.%I', t.tablename)::regclass
    WHERE t.schemaname = 'public' AND NOT c.relispartition ORDER BY 1`)) as unknown as { rows: { tablename: string }[] }).rows.map((r) => r.tablename);
  // A month partition is read through its parent (counting both would hash its rows twice).
  // idempotency_keys is the plugin's replay record (a 4xx answer is remembered under its key so a
  // retry gets the same answer): bookkeeping, not business state.
  tables.splice(tables.indexOf('idempotency_keys'), 1);
  // One statement: per table, the row count and an order-independent digest of every row.
  checksumSql = tables
    .map((t) => `SELECT '${t}' AS t, count(*)::int AS n, md5(coalesce(string_agg(md5(x::text), '' ORDER BY md5(x::text)), '')) AS h FROM "${t}" x`)
    .join(' UNION ALL ');
  console.log(`fuzz seed=${SEED} runs/operation=${RUNS} (FUZZ_SEED, FUZZ_RUNS to change)`);
}, 120_000);
afterAll(async () => ctx?.close());

async function checksum(): Promise<Map<string, string>> {
  const r = (await ctx.deps.db.execute(sql.raw(checksumSql))) as unknown as { rows: { t: string; n: number; h: string }[] };
  return new Map(r.rows.map((x) => [x.t, `${x.n}:${x.h}`]));
}
/** 4xx answers that must leave a trace by design (security records), per operation. */
const RECORDED_4XX: Record<string, string[]> = {
  createWorkerSession: ['worker_auth_locks', 'audit_log'],
  fileComplaint: ['complaint_codes'],
};
function diff(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...a.keys()].filter((k) => a.get(k) !== b.get(k));
}

const HOSTILE = [
  "'; DROP TABLE companies; --", "1' OR '1'='1", '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '../../etc/passwd',
  '\u0000', '\u202e', '𠜎𠜱𠝹', '${7*7}', '{{7*7}}', '%00', 'NaN', '-1', '9'.repeat(40), ' ', '',
];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/xml', 'text/csv', 'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded', 'application/octet-stream', 'application/problem+json', 'garbage/??', ''];

const jsonValue = fc.oneof(
  fc.constantFrom(...HOSTILE), fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -1, 0, 1e308, 2 ** 63), fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }), fc.object({ maxDepth: 2, maxKeys: 3 }),
);

/** Set `value` at a random path of a sample body (or drop a key, or add a stray one). */
function mutate(base: unknown, pathPick: number, action: number, value: unknown): unknown {
  const clone = structuredClone(base) as Record<string, unknown>;
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    paths.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(clone, []);
  const path = paths[pathPick % paths.length]!;
  if (path.length === 0) return action % 3 === 0 ? value : { ...(clone ?? {}), ['stray_' + String(action)]: value };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walks an arbitrary JSON body by a random path
  const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], clone);
  const key = path[path.length - 1]!;
  if (action % 3 === 0 && !Array.isArray(parent)) delete parent[key];
  else parent[key] = value;
  return clone;
}

/** A request for `op`: mutated valid body, random body, raw bytes, random query and headers. */
function requestArb(op: Operation) {
  const baseBody = op.bodySchema ? sample(op.bodySchema as Schema, '', true) : undefined;
  const queryKeys = Object.keys(op.querySchema?.properties ?? {});
  return fc.record({
    bodyKind: fc.constantFrom('mutated', 'mutated', 'mutated', 'anything', 'raw', 'none'),
    pathPick: fc.nat(), action: fc.nat(), value: jsonValue, anything: fc.jsonValue({ maxDepth: 3 }),
    raw: fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')), fc.constantFrom('{', '[1,', '{"a":}', 'null', '""', '<?xml version="1.0"?><a>', '\uFEFF{}')),
    contentType: fc.constantFrom(...CONTENT_TYPES, 'application/json', 'application/json'),
    query: fc.dictionary(fc.constantFrom(...queryKeys, 'limit', 'cursor', 'x', '__proto__'), fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 20 }), fc.integer().map(String)), { maxKeys: 3 }),
    extraHeader: fc.constantFrom({}, { 'idempotency-key': 'fuzz-' + op.operationId }, { accept: 'application/xml' }, { 'content-length': '5' }, { 'x-forwarded-for': '1.2.3.4' }, { 'last-event-id': "'; --" }),
  }).map((r) => {
    let payload: string | undefined;
    if (op.method !== 'GET' && op.method !== 'DELETE') {
      if (r.bodyKind === 'mutated') payload = JSON.stringify(mutate(baseBody ?? {}, r.pathPick, r.action, r.value) ?? null);
      else if (r.bodyKind === 'anything') payload = JSON.stringify(r.anything);
      else if (r.bodyKind === 'raw') payload = r.raw;
    }
    const headers: Record<string, string> = { ...(r.extraHeader as Record<string, string>) };
    if (payload !== undefined && r.contentType) headers['content-type'] = r.contentType;
    if (headers['content-length'] && payload === undefined) delete headers['content-length'];
    if (headers['content-length']) delete headers['content-length']; // inject computes it; a lie is tested below
    return { payload, headers, query: r.query as Record<string, string> };
  });
}

/** The caller the table allows for this operation (so the request reaches validation and the handler). */
function callerFor(op: Operation): Record<string, string> {
  const row = TABLE[op.operationId];
  const role = ROLES.find((r) => r !== 'none' && (row?.expect[r] ?? row?.rest) === 'ok') ?? 'admin';
  return world.headers[role];
}

describe('fuzz: every operation of the live OpenAPI document', () => {
  const stats = { requests: 0, s2xx: 0, s4xx: 0, s5xx: 0, checked4xx: 0 };

  it('random and mutated requests: never a 5xx; a 4xx changes no table', async () => {
    const failures: string[] = [];
    for (const op of ops) {
      if (op.operationId === 'deleteAlertSubscription') continue; // only a path id: covered by the matrix
      const url = pathFor(op.path, world);
      const auth = callerFor(op);
      const mutating = op.method !== 'GET';
      await fc.assert(
        fc.asyncProperty(requestArb(op), async (req) => {
          const before = mutating ? await checksum() : null;
          const res = await ctx.app.inject({
            method: op.method as 'POST', url, query: req.query, headers: { ...req.headers, ...auth }, payload: req.payload,
            payloadAsStream: op.operationId === 'streamAlerts',
          });
          if (op.operationId === 'streamAlerts') res.stream().destroy();
          stats.requests++;
          const s = res.statusCode;
          if (s >= 500) {
            failures.push(`${op.operationId}: ${s} for ${JSON.stringify(req).slice(0, 300)} → ${res.body?.slice?.(0, 200)}`);
            stats.s5xx++;
            return false;
          }
          if (s >= 400) {
            stats.s4xx++;
            if (before) {
              stats.checked4xx++;
              // A wrong sign-in code must be counted (lockout) and audited even though the answer is a 4xx.
              const changed = diff(before, await checksum()).filter((t) => !(RECORDED_4XX[op.operationId] ?? []).includes(t));
              if (changed.length) {
                failures.push(`${op.operationId}: ${s} changed ${changed.join(',')} for ${JSON.stringify(req).slice(0, 300)}`);
                return false;
              }
            }
          } else stats.s2xx++;
          return true;
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      ).catch(() => undefined); // collected in `failures`, reported together below
    }
    console.log(`fuzz: ${ops.length} operations, ${stats.requests} requests: ${stats.s2xx} 2xx, ${stats.s4xx} 4xx (${stats.checked4xx} checked for no state change), ${stats.s5xx} 5xx`);
    expect(failures).toEqual([]);
  }, 480_000); // ~120 operations × runs, each 4xx followed by a checksum of every table: minutes on a loaded 2-core box
});

describe('hostile inputs', () => {
  const company = (name: string) => ({ name, creditCode: makeCreditCode(nextSeed()), legalRepresentative: '法人', contactPhone: '13900000000' });

  it('an oversized body → 413, nothing stored', async () => {
    const before = await checksum();
    const big = JSON.stringify(company('x'.repeat(ctx.config.bodyLimitBytes + 10)));
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/companies', headers: { ...ctx.admin, 'content-type': 'application/json' }, payload: big });
    expect(r.statusCode).toBe(413);
    expect(diff(before, await checksum())).toEqual([]);
  });

  it('deeply nested JSON and huge arrays are refused with a 4xx', async () => {
    const before = await checksum();
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const deepObj = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);
    for (const payload of [deep, deepObj]) {
      const r = await ctx.app.inject({ method: 'POST', url: '/v1/companies', headers: { ...ctx.admin, 'content-type': 'application/json' }, payload });
      expect(r.statusCode).toBeGreaterThanOrEqual(400);
      expect(r.statusCode).toBeLessThan(500);
    }
    const entries = Array.from({ length: 200_000 }, () => ({ workerId: world.a.workerIds[0], daysPresent: 1 }));
    const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${world.a.projectId}/attendance`, headers: world.a.headers.gc, payload: { month: '2026-10', entries } });
    expect([400, 413, 422]).toContain(r.statusCode);
    expect(diff(before, await checksum())).toEqual([]);
  });

  it('invalid UTF-8 is refused or stored as the replacement character, never a 5xx', async () => {
    const body = Buffer.concat([Buffer.from(JSON.stringify(company('坏字节')).replace('坏字节', 'bad')), Buffer.alloc(0)]);
    const s = body.toString('latin1').replace('"bad"', '"b\u00ff\u00fe\u00c3ad"');
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/companies', headers: { ...ctx.admin, 'content-type': 'application/json' }, payload: Buffer.from(s, 'latin1') });
    expect(r.statusCode).toBeLessThan(500);
    if (r.statusCode === 201) {
      const stored = ((await ctx.deps.db.execute(sql`SELECT name FROM companies WHERE id = ${r.json().id}`)) as unknown as { rows: { name: string }[] }).rows[0]!.name;
      expect(stored).toBe(r.json().name);
    }
  });

  it('SQL and script fragments are stored literally and escaped in the printable notice board', async () => {
    for (const frag of HOSTILE.filter((h) => h.length > 3 && !h.includes('\u0000'))) {
      const r = await ctx.app.inject({ method: 'POST', url: '/v1/companies', headers: ctx.admin, payload: company(frag) });
      expect([201, 400, 422]).toContain(r.statusCode);
      if (r.statusCode === 201) {
        const stored = ((await ctx.deps.db.execute(sql`SELECT name FROM companies WHERE id = ${r.json().id}`)) as unknown as { rows: { name: string }[] }).rows[0]!.name;
        expect(stored).toBe(frag);
      }
    }
    // the companies table survived the DROP TABLE fragment
    expect(((await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM companies`)) as unknown as { rows: { n: number }[] }).rows[0]!.n).toBeGreaterThan(5);
    // a project named with a script: the JSON notice board returns it literally, the HTML page escapes it
    const script = '<script>alert(1)</script>';
    const p = await ctx.app.inject({ method: 'POST', url: '/v1/projects', headers: world.a.headers.gc, payload: {
      name: script, countyCode: '220702', industry: 'housing', constructionUnitId: world.a.constructionUnitId, generalContractorId: world.a.gcId,
      contractPriceFen: 100_000_000, startDate: '2026-03-01', plannedEndDate: '2027-12-31', payday: 10, laborManager: { name: script, phone: '13800000001' },
      wageAccount: { bankId: world.a.bankId, accountNumber: `62${Date.now()}9` },
    } });
    expect(p.statusCode).toBe(201);
    const nb = await ctx.app.inject({ method: 'GET', url: `/v1/projects/${p.json().id}/notice-board` });
    expect(nb.body).toContain(JSON.stringify(script).slice(1, -1));
    const html = await ctx.app.inject({ method: 'GET', url: `/v1/projects/${p.json().id}/notice-board.html` });
    expect(html.statusCode).toBe(200);
    expect(html.body).not.toContain(script);
  });

  it('a content-length that lies, and a body on a GET, never produce a 5xx', async () => {
    const r1 = await ctx.app.inject({ method: 'POST', url: '/v1/companies', headers: { ...ctx.admin, 'content-type': 'application/json', 'content-length': '3' }, payload: JSON.stringify(company('len')) });
    expect(r1.statusCode).toBeLessThan(500);
    const r2 = await ctx.app.inject({ method: 'GET', url: `/v1/projects/${world.a.projectId}`, headers: { ...ctx.admin, 'content-type': 'application/json' }, payload: '{"x":' });
    expect(r2.statusCode).toBeLessThan(500);
  });
});
