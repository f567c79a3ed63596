import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { IdParams, problems } from '../platform/common.schemas.js';
import { chinaToday } from '../../lib/calendar.js';
import { noticeBoard, noticeBoardHtml } from './notice-board.service.js';
import { complaintQrSection, complaintQrSvg, complaintUrl } from '../complaints/complaint-qr.js';

const Party = Type.Object({
  role: Type.String({ description: 'construction_unit | general_contractor | subcontractor' }),
  companyId: Type.String(),
  name: Type.String(),
  creditCode: Type.String(),
  legalRepresentative: Type.String(),
  parentCompanyId: Type.Union([Type.String(), Type.Null()]),
  laborContact: Type.Union([Type.Object({ name: Type.String(), phone: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
});
const Board = Type.Object({
  projectId: Type.String(),
  projectName: Type.String(),
  countyCode: Type.String(),
  payday: Type.Integer(),
  payMonth: Type.String({ description: "previous (次月发上月) | current (当月): which month's wages the pay day pays (the setting of the current wage month)" }),
  payMonthChange: Type.Union([Type.Object({ fromMonth: Type.String(), payMonth: Type.String() }), Type.Null()], { description: 'A change the GC made that starts with a later wage month' }),
  regulator: Type.Object({ industry: Type.String(), contact: Type.String({ description: 'Competent department of the industry, name and phone (policy `regulators`)' }) }),
  parties: Type.Array(Party),
  minimumWage: Type.Object({ monthlyFen: Type.Integer(), hourlyFen: Type.Integer(), effectiveFrom: Type.String(), source: Type.String() }),
  channels: Type.Object({ complaintHotline: Type.String(), mediation: Type.String(), arbitration: Type.String(), legalAid: Type.String() }),
  complaintUrl: Type.String({ description: 'The project\'s complaint form on the worker page (#18)' }),
  complaintQrSvg: Type.String({ description: 'QR code of complaintUrl as SVG' }),
});

/** Public (no key): what every worker on site must be able to read. */
export default async function noticeBoardRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  app.get('/v1/projects/:id/notice-board', {
    schema: { operationId: 'getNoticeBoard', tags: ['registry'], summary: 'Public rights-protection notice board of a project (no auth)', security: [], params: IdParams, response: { 200: Board, ...problems(400, 404) } },
  }, async (req) => {
    const b = await noticeBoard(deps.db, deps.pii, (req.params as { id: string }).id, chinaToday(deps.now()));
    const url = complaintUrl(deps.config.publicBaseUrl, b.projectId);
    return { ...b, complaintUrl: url, complaintQrSvg: await complaintQrSvg(url) };
  });

  app.get('/v1/projects/:id/notice-board.html', {
    schema: { operationId: 'getNoticeBoardHtml', tags: ['registry'], summary: 'Printable notice board page in Chinese (no auth)', security: [], params: IdParams, produces: ['text/html'], response: { 200: Type.String(), ...problems(400, 404) } },
  }, async (req, reply) => {
    const b = await noticeBoard(deps.db, deps.pii, (req.params as { id: string }).id, chinaToday(deps.now()));
    const qr = await complaintQrSection(deps.config.publicBaseUrl, b.projectId);
    return reply.type('text/html; charset=utf-8').send(noticeBoardHtml(b).replace('</body>', `${qr}</body>`));
  });
}
