import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { makeCreditCode, seedProject } from '../helpers/seed.js';
import { getBankWebhookSecrets } from '../../src/modules/registry/registry.service.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('seedProject', () => {
  it('builds a full project over HTTP', async () => {
    const s = await seedProject(ctx);
    expect(s.workerIds).toHaveLength(5);
    expect(s.webhookSecret).toMatch(/^whsec_/);
    expect(s.depositRequiredFen).toBe(20_000_000);
    const live = await getBankWebhookSecrets(ctx.deps.db, ctx.deps.pii, s.bankCode, new Date());
    expect(live).toEqual({ bankId: s.bankId, secrets: [s.webhookSecret] });
    const again = await seedProject(ctx, { workers: 2, sub2: false });
    expect(again.workerIds).toHaveLength(2);
    expect(makeCreditCode(1)).toHaveLength(18);
  });
});
