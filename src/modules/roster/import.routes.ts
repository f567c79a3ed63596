import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { AppError, BadRequestError } from '../../lib/errors.js';
import { requireRole } from '../auth/auth.plugin.js';
import { projectScope, requireRelation } from '../auth/scope.js';
import { IdParams, Uuid, problems } from '../platform/common.schemas.js';
import { spoolAndHash, type DigestibleBody } from '../../lib/spool.js';
import { charsetOf, type Charset } from '../../lib/text.js';
import { readCsv, readJsonArray, readXlsx } from './import.parsers.js';
import { importWorkers } from './import.service.js';
import { ImportSlots, checkXlsx, spool } from './import-limits.js';
import { createReadStream } from 'node:fs';
import { chinaToday } from '../../lib/calendar.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * The request stream, hidden from enumeration. With an Idempotency-Key the plugin asks for digest(): the upload is
 * spooled to a temporary file while hashed, so the key covers the bytes, and the import reads the copy.
 */
class StreamBody implements DigestibleBody {
  declare readonly stream: Readable;
  constructor(readonly format: 'csv' | 'xlsx' | 'json', stream: Readable, readonly charset?: Charset | null) {
    Object.defineProperty(this, 'stream', { value: stream, enumerable: false, writable: true });
  }

  async digest(): Promise<string> {
    const s = await spoolAndHash(this.stream);
    (this as { stream: Readable }).stream = s.stream;
    return `${this.format}:${this.charset ?? ''}:${s.sha256}`;
  }
}

const Issue = Type.Object({ field: Type.String(), message: Type.String() });
const ImportResult = Type.Object({
  accepted: Type.Integer({ description: 'Rows registered (committed)' }),
  rejected: Type.Array(Type.Object({ row: Type.Integer({ description: 'Line in the file (CSV line, sheet row, or 1-based array index)' }), errors: Type.Array(Issue) })),
  warnings: Type.Array(Type.Object({ row: Type.Integer(), warnings: Type.Array(Type.Object({ code: Type.String(), field: Type.String(), message: Type.String() })) })),
  acceptedRows: Type.Optional(Type.Array(Type.Object({ row: Type.Integer(), workerId: Uuid() }))),
  committed: Type.Boolean({ description: 'Always true in a 200: accepted rows are committed, rejected ones are not' }),
});

/**
 * Encapsulated so its content-type parsers (raw stream pass-through) apply to the import route only.
 * The stream is spooled to a temporary file under the byte and time limits of import-limits.ts
 * before the import's transaction begins.
 */
export default async function importRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const slots = new ImportSlots(deps.config.importLimits.perCompany);
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(['text/csv', 'application/csv'], (req, payload, done) => done(null, new StreamBody('csv', payload as unknown as Readable, charsetOf(req.headers['content-type']))));
  app.addContentTypeParser(XLSX, (_req, payload, done) => done(null, new StreamBody('xlsx', payload as unknown as Readable)));
  app.addContentTypeParser('application/json', (_req, payload, done) => done(null, new StreamBody('json', payload as unknown as Readable)));

  app.post('/v1/projects/:id/workers/import', {
    schema: {
      operationId: 'importWorkers', tags: ['roster'],
      summary: 'Bulk roster import (text/csv, xlsx or a JSON array), streamed; per-row results (GC or the employing subcontractor)',
      description: 'Headers in Chinese (姓名, 身份证号, 手机号, 银行卡号, 工种, 班组, 用工单位, 劳动合同, 劳务派遣, 进场日期) or English (name, idNumber, phone, bankCardNumber, trade, team, employerId, contractSigned, dispatched, entryDate). Accepted rows are committed together in one transaction; rejected rows are listed with their line and errors. A malformed file imports nothing (400).',
      consumes: ['text/csv', XLSX, 'application/json'],
      params: IdParams,
      // Documents the accepted media types; an empty schema, so the raw stream passes validation untouched.
      body: Type.Unknown({ description: 'The roster file: CSV (header row; UTF-8 or GB18030/GBK — from the charset parameter, else detected), xlsx (first sheet, header row) or a JSON array of objects' }),
      querystring: Type.Object({
        employerId: Type.Optional(Uuid('Employer for rows without an employer column (default: the calling subcontractor)')),
        listAccepted: Type.Optional(Type.Boolean({ default: true, description: 'Include acceptedRows (row → workerId)' })),
      }, { additionalProperties: false }),
      response: { 200: ImportResult, ...problems(400, 401, 403, 404, 408, 413, 415, 422, 429) },
    },
  }, async (req) => {
    const p = requireRole(req, 'admin', 'contractor');
    const s = await projectScope(deps.db, p, (req.params as { id: string }).id);
    requireRelation(s, 'gc', 'subcontractor', 'admin');
    const body = req.body as StreamBody | undefined;
    if (!(body instanceof StreamBody)) throw new BadRequestError('Send the file as text/csv, xlsx or a JSON array', [{ path: 'body', message: 'missing' }]);
    if (body.charset === null) {
      throw new AppError(415, 'unsupported_charset', 'A roster CSV is read as UTF-8 or GB18030 (GBK, GB2312); leave charset out to have it detected', [{ path: 'headers.content-type', message: 'unsupported charset' }]);
    }
    const q = req.query as { employerId?: string; listAccepted?: boolean };
    const limits = deps.config.importLimits;
    const release = slots.acquire(p.companyId ?? `key:${p.id}`);
    try {
      // The whole upload on disk first (byte and time limits), then the transaction: a slow sender
      // holds a file handle, never a database connection.
      const file = await spool(body.stream, limits.maxBytes, limits.uploadSeconds);
      try {
        if (body.format === 'xlsx') await checkXlsx(file.path, limits);
        const input = createReadStream(file.path);
        const source = body.format === 'csv' ? readCsv(input, body.charset) : body.format === 'xlsx' ? readXlsx(input) : readJsonArray(input);
        return await importWorkers(deps.db, deps.pii, p, s, source, chinaToday(deps.now()), { defaultEmployerId: q.employerId ?? null, listAccepted: q.listAccepted, maxRows: limits.maxRows });
      } finally {
        await file.remove();
      }
    } finally {
      release();
    }
  });
}
