/** Shared by the roster-import test files: the xlsx media type, a fresh valid person, per-project helpers. */
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { makeBankCard, makeResidentId, nextSeed, seedProject, type SeededProject } from '../helpers/seed.js';

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A person with a valid resident ID and card, never used before in this run. */
export const person = () => {
  const n = nextSeed();
  return { name: `导入${n}`, id: makeResidentId(n), card: makeBankCard(n), phone: '13600000000' };
};

export const importUrlOf = (s: SeededProject) => `/v1/projects/${s.projectId}/workers/import`;

/** Engagements of the project (what an import adds). */
export const engagementCount = async (ctx: TestContext, s: SeededProject): Promise<number> =>
  ((await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM engagements WHERE project_id = ${s.projectId}`)) as unknown as { rows: { n: number }[] }).rows[0]!.n;

/** A test database with a seeded project (two workers) to import into. */
export async function importProject(): Promise<{ ctx: TestContext; s: SeededProject }> {
  const ctx = await createTestContext();
  return { ctx, s: await seedProject(ctx, { workers: 2 }) };
}
