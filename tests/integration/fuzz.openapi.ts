/**
 * Reading the LIVE OpenAPI document of the app (what `GET /v1/openapi.json` serves): the list of
 * operations, and a minimal valid instance of a JSON schema (so a request gets past validation and
 * reaches the authorization and business code). Shared by the authorization matrix and the fuzz tests.
 */
import type { FastifyInstance } from 'fastify';

export interface Operation {
  operationId: string;
  method: string;
  path: string;
  /** Public in the document (`security: []`). */
  public: boolean;
  bodyTypes: string[];
  bodySchema: Schema | null;
  querySchema: Schema | null;
  params: string[];
  responses: string[];
}

// A JSON schema as TypeBox and @fastify/swagger emit it (only the keywords we read).
export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  additionalProperties?: boolean | Schema;
  patternProperties?: Record<string, Schema>;
  $ref?: string;
}

export async function liveOperations(app: FastifyInstance): Promise<Operation[]> {
  const res = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
  if (res.statusCode !== 200) throw new Error(`openapi.json: ${res.statusCode}`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document walked generically
  const doc = res.json() as { paths: Record<string, Record<string, any>> };
  const ops: Operation[] = [];
  for (const [path, byMethod] of Object.entries(doc.paths)) {
    for (const [method, o] of Object.entries(byMethod)) {
      if (!o || typeof o !== 'object' || !o.operationId) continue;
      const params = (o.parameters ?? []) as { in: string; name: string; schema: Schema; required?: boolean }[];
      const q = params.filter((p) => p.in === 'query');
      const querySchema: Schema | null = q.length
        ? { type: 'object', properties: Object.fromEntries(q.map((p) => [p.name, p.schema])), required: q.filter((p) => p.required).map((p) => p.name) }
        : null;
      const content = (o.requestBody?.content ?? {}) as Record<string, { schema?: Schema }>;
      const bodyTypes = Object.keys(content);
      ops.push({
        operationId: o.operationId,
        method: method.toUpperCase(),
        path,
        public: Array.isArray(o.security) && o.security.length === 0,
        bodyTypes,
        bodySchema: content['application/json']?.schema ?? null,
        querySchema,
        params: params.filter((p) => p.in === 'path').map((p) => p.name),
        responses: Object.keys(o.responses ?? {}),
      });
    }
  }
  return ops;
}

/** Values for string patterns the API uses; anything else falls back to a plain string. */
const PATTERN_SAMPLES: [RegExp, string][] = [
  [/^\^\\d\{6\}\$$/, '220702'],
  [/\\d\{4\}-\\d\{2\}-\\d\{2\}/, '2026-11-20'],
  [/\\d\{4\}-/, '2026-10'],
  [/default\|/, 'default'],
];

function stringSample(s: Schema, name: string): string {
  if (s.format === 'uuid') return '01900000-0000-7000-8000-000000000000';
  if (s.format === 'date') return '2026-11-20';
  if (s.format === 'date-time') return '2026-11-20T00:00:00.000Z';
  if (s.format === 'uri') return 'http://127.0.0.1:9/hook';
  if (s.pattern) {
    for (const [re, v] of PATTERN_SAMPLES) if (re.test(s.pattern) && new RegExp(s.pattern).test(v)) return v;
    if (/\\d\{6\}/.test(s.pattern)) return '220702';
  }
  if (/countyCode/i.test(name)) return '220702';
  if (/month/i.test(name)) return '2026-10';
  const len = Math.max(s.minLength ?? 1, Math.min(4, s.maxLength ?? 4));
  return 'x'.repeat(len);
}

/** A small valid instance of `s` (required properties only, unless `full`). */
export function sample(s: Schema | undefined, name = '', full = false): unknown {
  if (!s) return null;
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const alt = s.anyOf ?? s.oneOf;
  if (alt?.length) return sample(alt.find((a) => a.type !== 'null') ?? alt[0], name, full);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) if (full || s.required?.includes(k)) out[k] = sample(v, k, full);
      return out;
    }
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => sample(s.items, name, full));
    case 'string':
      return stringSample(s, name);
    case 'integer':
    case 'number':
      return Math.max(s.minimum ?? 0, s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 0, /Fen$/.test(name) ? 100 : 1);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return {};
  }
}
