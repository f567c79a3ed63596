import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { UnprocessableError } from '../../lib/errors.js';
import { requireRole } from '../auth/auth.plugin.js';
import { IsoDate, IsoMonth, Str, problems } from '../platform/common.schemas.js';
import { appendAudit } from '../audit/audit.service.js';
import { POLICY_DEFAULTS } from '../policy/policy.defaults.js';
import { getPolicy, setPolicy } from '../policy/policy.service.js';
import { minimumWageFor } from '../policy/minimum-wage.js';
import { chinaToday } from '../../lib/calendar.js';

const TAGS = ['policy'];
const MinimumWageView = Type.Object({ scope: Type.String(), effectiveFrom: Type.String(), monthlyFen: Type.Integer(), hourlyFen: Type.Integer(), source: Type.String() });
const Scope = Type.String({ pattern: '^(default|\\d{2}|\\d{4}|\\d{6})$', description: '`default`, a 2-digit province, a 4-digit city or a 6-digit county code' });

/** Admin settings: every number of the domain per province or county, and the working-day calendar. */
export default async function policyRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  app.put('/v1/admin/policy/:scope/:key', {
    schema: { operationId: 'setPolicySetting', tags: TAGS,
      summary: 'Override a policy section (partial object) for a scope from a date on (default today, China date; may be future-dated; same scope, section and date replaces)',
      params: Type.Object({ scope: Scope, key: Str(40) }),
      querystring: Type.Object({ effectiveFrom: Type.Optional(IsoDate('First day the value is in force; until then the value in force before stays. Default: today (China date)')) }, { additionalProperties: false }),
      body: Type.Record(Type.String({ maxLength: 60 }), Type.Union([Type.Number(), Type.String({ maxLength: 200 }), Type.Boolean(), Type.Null()]), { maxProperties: 60 }),
      response: { 200: Type.Object({ scope: Type.String(), key: Type.String(), effectiveFrom: Type.String(), value: Type.Record(Type.String(), Type.Unknown()) }), ...problems(400, 401, 403, 422) } },
  }, async (req) => {
    const p = requireRole(req, 'admin');
    const { scope, key } = req.params as { scope: string; key: string };
    const effectiveFrom = (req.query as { effectiveFrom?: string }).effectiveFrom ?? chinaToday(deps.now());
    const section = (POLICY_DEFAULTS as unknown as Record<string, Record<string, unknown>>)[key];
    if (!section) throw new UnprocessableError(`Unknown policy section ${key}`, [{ path: 'params.key', message: `one of ${Object.keys(POLICY_DEFAULTS).join(', ')}` }]);
    const value = req.body as Record<string, unknown>;
    const errors = Object.entries(value).flatMap(([k, v]) => {
      if (!(k in section)) return [{ path: `body.${k}`, message: 'unknown setting' }];
      const d = section[k];
      if (d !== null && v !== null && typeof d !== typeof v) return [{ path: `body.${k}`, message: `must be a ${typeof d}` }];
      return [];
    });
    if (errors.length) throw new UnprocessableError('Invalid policy settings', errors);
    await deps.db.transaction(async (tx) => {
      await setPolicy(tx, scope, key, value, effectiveFrom);
      await appendAudit(tx, { actor: `admin:${p.id}`, action: 'policy.set', entityType: 'policy_setting', entityId: `${scope}/${key}`, data: { ...value, effectiveFrom } });
    });
    return { scope, key, effectiveFrom, value };
  });

  app.post('/v1/admin/minimum-wages', {
    schema: { operationId: 'setMinimumWage', tags: TAGS, summary: 'Enter a minimum-wage standard for a scope from a date (may be future-dated; same scope and date replaces)',
      body: Type.Object({ scope: Scope, effectiveFrom: IsoDate(), monthlyFen: Type.Integer({ minimum: 1 }), hourlyFen: Type.Integer({ minimum: 1 }), source: Str(500, 'The published standard (document, date)') }, { additionalProperties: false }),
      response: { 200: MinimumWageView, ...problems(400, 401, 403) } },
  }, async (req) => {
    const p = requireRole(req, 'admin');
    const b = req.body as { scope: string; effectiveFrom: string; monthlyFen: number; hourlyFen: number; source: string };
    await deps.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO minimum_wages (scope, effective_from, monthly_fen, hourly_fen, source) VALUES (${b.scope}, ${b.effectiveFrom}, ${b.monthlyFen}, ${b.hourlyFen}, ${b.source})
        ON CONFLICT (scope, effective_from) DO UPDATE SET monthly_fen = EXCLUDED.monthly_fen, hourly_fen = EXCLUDED.hourly_fen, source = EXCLUDED.source`);
      await appendAudit(tx, { actor: `admin:${p.id}`, action: 'policy.minimum_wage', entityType: 'minimum_wage', entityId: `${b.scope}/${b.effectiveFrom}`, data: b });
    });
    return b;
  });

  app.get('/v1/minimum-wages/:countyCode', {
    schema: { operationId: 'getMinimumWage', tags: TAGS, summary: 'The minimum wage in force in a county on a date (default today) or for a wage month, with its source',
      params: Type.Object({ countyCode: Type.String({ pattern: '^\\d{6}$' }) }), querystring: Type.Object({ on: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}(-\\d{2})?$', description: 'YYYY-MM-DD or a wage month YYYY-MM' })) }),
      response: { 200: MinimumWageView, ...problems(400, 401) } },
  }, async (req) => {
    requireRole(req);
    return minimumWageFor(deps.db, (req.params as { countyCode: string }).countyCode, (req.query as { on?: string }).on ?? chinaToday(deps.now()));
  });

  app.get('/v1/admin/policy/:countyCode', {
    schema: { operationId: 'getEffectivePolicy', tags: TAGS, summary: 'Effective policy of a county (defaults ← province ← city ← county) on a date (default today) or for a wage month', params: Type.Object({ countyCode: Type.String({ pattern: '^\\d{6}$' }) }),
      querystring: Type.Object({ on: Type.Optional(Type.Union([IsoDate(), IsoMonth()], { description: 'YYYY-MM-DD or a wage month YYYY-MM (its first day)' })) }, { additionalProperties: false }),
      response: { 200: Type.Record(Type.String(), Type.Unknown()), ...problems(400, 401, 403) } },
  }, async (req) => {
    requireRole(req, 'admin', 'inspector');
    return getPolicy(deps.db, (req.params as { countyCode: string }).countyCode, (req.query as { on?: string }).on ?? chinaToday(deps.now())) as unknown as Record<string, unknown>;
  });

  app.post('/v1/admin/calendar', {
    schema: { operationId: 'setCalendarDays', tags: TAGS, summary: 'Set holidays and make-up workdays for a scope (upsert)',
      body: Type.Object({
        scope: Type.Optional(Scope),
        days: Type.Array(Type.Object({ day: IsoDate(), kind: Type.Union([Type.Literal('holiday'), Type.Literal('workday')]), name: Type.Optional(Str(100)) }, { additionalProperties: false }), { minItems: 1, maxItems: 400 }),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ scope: Type.String(), upserted: Type.Integer() }), ...problems(400, 401, 403) } },
  }, async (req) => {
    const p = requireRole(req, 'admin');
    const b = req.body as { scope?: string; days: { day: string; kind: string; name?: string }[] };
    const scope = b.scope ?? 'default';
    // One row per day (last wins): an upsert may not touch the same row twice.
    const days = [...new Map(b.days.map((d) => [d.day, { day: d.day, kind: d.kind, name: d.name ?? null }])).values()];
    await deps.db.transaction(async (tx) => {
      await tx.execute(sql`
        INSERT INTO calendar_days (scope, day, kind, name)
        SELECT ${scope}, x.day, x.kind, x.name FROM jsonb_to_recordset(${JSON.stringify(days)}::jsonb) AS x(day date, kind text, name text)
        ON CONFLICT (scope, day) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name`);
      await appendAudit(tx, { actor: `admin:${p.id}`, action: 'calendar.set', entityType: 'calendar', entityId: scope, data: { days: b.days } });
    });
    return { scope, upserted: days.length };
  });
}
