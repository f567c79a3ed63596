/**
 * The demo's worker-door step (scripts/scenario/worker-door.ts) against a listening app with its workers
 * running in-process and SMS sent to the step's own gateway: the same path `npm run demo` takes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkerDoorDemo, startSmsGateway, type SmsGateway } from '../../scripts/scenario/worker-door.js';
import { startWorkers, type WorkerHandle } from '../../workers/main.js';
import { ADMIN_KEY, createTestContext, type TestContext } from '../helpers/context.js';

let ctx: TestContext;
let gateway: SmsGateway;
let workers: WorkerHandle;
let base: string;

beforeAll(async () => {
  gateway = await startSmsGateway(0);
  ctx = await createTestContext({ SMS_PROVIDER: 'http', SMS_HTTP_URL: gateway.url, SMS_HTTP_SECRET: 'whsec_' + Buffer.alloc(24, 3).toString('base64') });
  base = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  workers = startWorkers(ctx.deps, { error: () => {}, info: () => {} }, { scheduler: false });
}, 120_000);
afterAll(async () => {
  await workers?.stop(5_000);
  await ctx?.close();
  await gateway?.close();
});

describe('demo: the worker door', () => {
  it('a worker disputes a paid line (red alert); an unregistered team complains; its case is handled to the end', async () => {
    const r = await runWorkerDoorDemo({ baseUrl: base, adminKey: ADMIN_KEY, tag: 'T1', seed: 7, gateway });
    expect(r).toMatchObject({ lineStatus: 'disputed', disputeSeverity: 'red', caseStatus: 'closed', replies: 2 });
    expect(gateway.messages.map((m) => m.template)).toEqual(expect.arrayContaining(['login_code', 'complaint_code', 'complaint_received', 'complaint_reply', 'payslip_paid']));
  }, 120_000);
});
