import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { sha256Hex } from '../../lib/crypto.js';
import { fastBodyValidator } from '../../lib/fast-validator.js';
import { AppError, BadRequestError, UnauthorizedError } from '../../lib/errors.js';
import { charsetOf, decodeText } from '../../lib/text.js';
import { requireRole } from '../auth/auth.plugin.js';
import { IdParams, Page, problems } from '../platform/common.schemas.js';
import { accountsHeldAt } from './account-facts.js';
import { applyFacts } from './bank-facts.service.js';
import { appendAudit } from '../audit/audit.service.js';
import { acknowledgeBatch, getBankBatch, listBankBatches } from './bank-batches.service.js';
import { AckResponse, BatchDetail, BatchListQuery, BatchSummary, StatementResponse, WebhookBody, WebhookResponse } from './disbursement.schemas.js';
import { buildPain001 } from './pain001.js';
import { parseCamt054, parseStatementCsv } from './statement.parsers.js';
import { isPlainResultEvent, PrecheckedEvent } from './webhook-precheck.js';
import { FailureBudget, TooManyRequestsError, WEBHOOK_BODY_LIMIT, webhookHeaderProblem } from './webhook-guard.js';
import { enqueueReconcile, receiveBankWebhook, SecretCache, verifyBankSignature } from './webhook.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The webhook body exactly as received (valid UTF-8): signed, hashed and stored as these bytes. */
    rawBody?: Buffer;
    webhookBankId?: string;
  }
}

/** Bank side: batches to execute (JSON / pain.001), acknowledgements, signed webhooks, statements. */
export default async function disbursementRoutes(appIn: FastifyInstance, { deps }: { deps: Deps }) {
  const app = appIn.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/v1/bank/batches', {
    schema: {
      operationId: 'listBankBatches', tags: ['bank'], summary: 'Batches this bank must execute (filter ?status=ready)',
      querystring: BatchListQuery, response: { 200: Page(BatchSummary), ...problems(401, 403) },
    },
  }, async (req) => {
    const p = requireRole(req, 'bank', 'admin');
    return listBankBatches(deps.db, p, req.query.status, req.query.limit ?? 100, req.query.cursor);
  });

  app.get('/v1/bank/batches/:id', {
    schema: {
      operationId: 'getBankBatch', tags: ['bank'],
      summary: 'A batch with its payment lines; `Accept: application/xml` returns ISO 20022 pain.001.001.09',
      params: IdParams,
      response: { 200: { content: { 'application/json': { schema: BatchDetail }, 'application/xml': { schema: Type.String({ description: 'pain.001.001.09 document' }) } } }, ...problems(401, 403, 404) },
    },
  }, async (req, reply) => {
    const p = requireRole(req, 'bank', 'admin');
    // Full card numbers: no cache (a proxy's, or the bank client's disk) may keep a copy.
    reply.header('cache-control', 'no-store');
    const b = await deps.db.transaction((tx) => getBankBatch(tx, deps.pii, p, req.params.id));
    const accept = req.headers.accept ?? '';
    if (/application\/xml|text\/xml/.test(accept) && !/application\/json/.test(accept.split(',')[0] ?? '')) {
      const xml = buildPain001(
        { id: b.id, createdAt: b.createdAtDate, executionDate: b.requestedExecutionDate, debtorName: b.debtorName, debtorAccount: b.debtorAccount, bankCode: b.bankCode, kind: b.kind },
        b.lines.map((l) => ({ endToEndId: l.endToEndId, instructionId: l.instructionId, creditorName: l.creditorName, cardNumber: l.cardNumber, amountFen: l.amountFen })),
      );
      return reply.type('application/xml; charset=utf-8').serializer((x: unknown) => x as string).send(xml);
    }
    const { createdAtDate: _d, ...json } = b;
    return json;
  });

  app.post('/v1/bank/batches/:id/acknowledge', {
    schema: {
      operationId: 'acknowledgeBankBatch', tags: ['bank'], summary: 'The bank confirms it has taken the batch for execution',
      params: IdParams, response: { 200: AckResponse, ...problems(401, 403, 404) },
    },
  }, async (req) => acknowledgeBatch(deps.db, requireRole(req, 'bank'), req.params.id));

  // Statements: XML and CSV bodies are read as text in this scope only.
  await app.register(async (s) => {
    s.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
    // A CSV statement exported from a bank's desktop tools is often GBK: decoded as declared, else detected.
    s.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'buffer' }, (req, body, done) => {
      const charset = charsetOf(req.headers['content-type']);
      if (charset === null) {
        return done(new AppError(415, 'unsupported_charset', 'A CSV statement is read as UTF-8 or GB18030 (GBK, GB2312); leave charset out to have it detected', [{ path: 'headers.content-type', message: 'unsupported charset' }]), undefined);
      }
      done(null, decodeText(body as Buffer, charset));
    });
    s.withTypeProvider<TypeBoxTypeProvider>().post('/v1/bank/statements', {
      schema: {
        operationId: 'importBankStatement', tags: ['bank'],
        summary: 'Import a camt.054 (.001.02/.001.08) notification or a CSV statement (layout in docs/bank-integration.md)',
        consumes: ['application/xml', 'text/csv'],
        body: Type.String({ maxLength: 50_000_000, description: 'camt.054 XML or CSV text' }),
        response: { 200: StatementResponse, ...problems(400, 401, 403, 415) },
      },
    }, async (req) => {
      const p = requireRole(req, 'bank');
      const body = req.body;
      const ct = req.headers['content-type'] ?? '';
      const parsed = /csv/.test(ct) || (!/xml/.test(ct) && !body.trimStart().startsWith('<')) ? parseStatementCsv(body) : parseCamt054(body);
      if (!parsed.facts.length && parsed.rejected.some((r) => r.entry === 0)) throw new BadRequestError(parsed.rejected[0]!.message, [{ path: 'body', message: parsed.rejected[0]!.message }]);
      // A credit or debit on an account this bank does not hold for a project books nothing: say so, per line.
      const moves = parsed.facts.filter((f) => f.kind === 'credit' || f.kind === 'debit');
      const held = await accountsHeldAt(deps.db, p.bankId!, [...new Set(moves.map((f) => f.accountNumber ?? ''))]);
      const foreign = new Set(moves.filter((f) => !held.has(f.accountNumber ?? '')));
      for (const f of foreign) {
        parsed.rejected.push({ entry: f.entry ?? 0, message: `account ${f.accountNumber ?? '(none)'} is not a wage or deposit account held at this bank; nothing was booked`, reason: 'unknown_account' });
      }
      parsed.facts = parsed.facts.filter((f) => !foreign.has(f));
      parsed.rejected.sort((a, b) => a.entry - b.entry);
      const ref = 'sha256:' + sha256Hex(body);
      const r = await deps.db.transaction(async (tx) => {
        const out = parsed.facts.length ? await applyFacts(tx, deps.pii, p.bankId!, parsed.facts, 'statement', ref) : { accepted: 0, duplicates: 0, batchIds: [] as string[] };
        await appendAudit(tx, { actor: p.id, action: 'bank.statement_imported', entityType: 'bank_statement', entityId: ref.slice(0, 71),
          data: { bankId: p.bankId, facts: parsed.facts.length, accepted: out.accepted, duplicates: out.duplicates, rejected: parsed.rejected.length } });
        return out;
      });
      await enqueueReconcile(deps, r.batchIds, ref.slice(0, 40)).catch((e) => req.log.error(e, 'reconcile enqueue failed (sweeps will rebuild)'));
      return { accepted: r.accepted, duplicates: r.duplicates, rejected: parsed.rejected.length, errors: parsed.rejected.slice(0, 1000) };
    });
  });

  // Signed webhooks: the signature covers the exact bytes, so this scope keeps them as a Buffer:
  // HMAC, hash and INSERT use those bytes (no re-encoding of a 150 KB body); JSON.parse runs once.
  const secrets = new SecretCache(deps);
  const failures = new FailureBudget(deps.config.webhookFailuresPerMinute);
  const verifyOrThrow = async (req: FastifyRequest, raw: Buffer) => {
    if (req.webhookBankId) return;
    const h = req.headers;
    const one = (v: string | string[] | undefined) => (typeof v === 'string' ? v : undefined);
    const v = await verifyBankSignature(secrets, deps.now(), (req.params as { bankCode: string }).bankCode,
      { id: one(h['webhook-id']), ts: one(h['webhook-timestamp']), sig: one(h['webhook-signature']) }, raw);
    if (!v.ok) {
      failures.fail(req.ip, deps.now().getTime());
      throw new UnauthorizedError(`Webhook rejected: ${v.reason}`);
    }
    req.webhookBankId = v.bankId;
  };
  await app.register(async (w) => {
    // Signature before parsing: a forged or stale request never reaches JSON.parse (webhook-guard.ts).
    w.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, async (req: FastifyRequest, body: string | Buffer) => {
      const raw = typeof body === 'string' ? Buffer.from(body) : body;
      req.rawBody = raw;
      await verifyOrThrow(req, raw);
      // Not UTF-8 is not JSON (RFC 8259): like malformed JSON, a 400 from the schema, nothing stored.
      if (!isUtf8(raw)) return null;
      // The canonical 1000-result event is recognised on the bytes; no string, no object tree.
      if (isPlainResultEvent(raw)) return new PrecheckedEvent('disbursement.result', sha256Hex(raw));
      try {
        return JSON.parse(raw.toString('utf8')) as unknown;
      } catch {
        return null; // a 400 from the schema
      }
    });
    w.withTypeProvider<TypeBoxTypeProvider>().post('/v1/webhooks/bank/:bankCode', {
      config: { rateLimit: false },
      // 1000-result bodies: TypeBox's compiled check first, the app's AJV only for a failing body.
      validatorCompiler: fastBodyValidator(WebhookBody, () => w.validatorCompiler, (b) => b instanceof PrecheckedEvent),
      schema: {
        operationId: 'receiveBankWebhook', tags: ['bank'], security: [],
        summary: 'Bank events signed per Standard Webhooks with the bank\'s secret; 2xx once durably stored in the inbox, effects applied within milliseconds',
        params: Type.Object({ bankCode: Type.String({ minLength: 1, maxLength: 32 }) }),
        headers: Type.Object({
          'webhook-id': Type.String({ minLength: 1, maxLength: 255 }),
          'webhook-timestamp': Type.String({ maxLength: 20 }),
          'webhook-signature': Type.String({ maxLength: 2000 }),
        }),
        body: WebhookBody,
        response: { 200: WebhookResponse, ...problems(400, 401, 413, 429) },
      },
      bodyLimit: WEBHOOK_BODY_LIMIT,
      // Before the body is read: a source out of failure budget gets 429; bad headers get 401.
      onRequest: async (req, reply) => {
        const now = deps.now().getTime();
        try {
          failures.check(req.ip, now);
        } catch (e) {
          reply.header('retry-after', String((e as TooManyRequestsError).retryAfterS));
          throw e;
        }
        const problem = webhookHeaderProblem(req.headers, Math.floor(now / 1000));
        if (problem) {
          failures.fail(req.ip, now);
          throw new UnauthorizedError(`Webhook rejected: ${problem}`);
        }
      },
      // A request with no JSON body never met the parser: verify it here (against the empty body).
      preValidation: async (req) => verifyOrThrow(req, req.rawBody ?? Buffer.alloc(0)),
    }, async (req) => {
      // The schema (or the byte-level precheck) has already rejected malformed JSON, unknown types and >1000 results (400, nothing stored).
      const pre = req.body instanceof PrecheckedEvent ? req.body : null;
      const r = await receiveBankWebhook(deps, deps.config.bankWebhookApply, req.webhookBankId!, req.headers['webhook-id'], req.rawBody!, req.body.type, pre?.bodySha256);
      return { received: true, ...r };
    });
  });
}
