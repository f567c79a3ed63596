import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

type AjvLike = ((data: unknown, ctx?: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null; schemaEnv?: unknown };

/**
 * A route-level validator compiler for a large, hot body (a bank's 1000-result webhook): the body
 * is first checked by TypeBox's compiled `Check` (several times faster than the app's AJV with
 * `allErrors`), and only a body that fails it goes through the app's AJV validator, which decides
 * and produces the usual errors (so 400s, messages and AJV's coercions stay exactly as before).
 * The fast check never accepts what AJV would reject: same schema, no coercion; where the two
 * could differ (e.g. string length in code points vs UTF-16 units) TypeBox is the stricter one.
 * `appCompiler` returns the app's compiler (the AJV one every other route uses); `trusted` marks a
 * body the route's own parser already proved valid (an object JSON cannot produce).
 */
export function fastBodyValidator(body: TSchema, appCompiler: () => FastifySchemaCompiler<unknown> | undefined, trusted: (data: unknown) => boolean = () => false): FastifySchemaCompiler<unknown> {
  const fast = Compile(body);
  return (route) => {
    const compiler = appCompiler();
    if (!compiler) throw new Error('fastBodyValidator: the app has no validator compiler yet');
    const slow = compiler(route) as AjvLike;
    if (route.httpPart !== 'body') return slow;
    const v: AjvLike = (data, ctx) => {
      if (trusted(data) || fast.Check(data)) return true;
      const ok = slow(data, ctx);
      v.errors = slow.errors;
      return ok;
    };
    // Lets Fastify hand AJV the parent object, as it does for AJV's own functions.
    v.schemaEnv = slow.schemaEnv;
    return v;
  };
}
