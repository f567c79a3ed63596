import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.js';
import { requireRole } from '../auth/auth.plugin.js';
import { projectScope, requireRelation } from '../auth/scope.js';
import { IdParams, IsoMonth, problems } from '../platform/common.schemas.js';
import { rosterCompliance } from './compliance.service.js';

const Figures = {
  headcount: Type.Integer({ description: 'Workers engaged at any time in the month' }),
  contractSigned: Type.Integer(),
  contractSigningRate: Type.Union([Type.Number(), Type.Null()], { description: '0–1; null without workers' }),
  dispatched: Type.Integer(),
  dispatchedShare: Type.Union([Type.Number(), Type.Null()]),
  dispatchedOverCap: Type.Boolean({ description: 'Dispatched share above the cap (劳务派遣暂行规定 Art. 4, default 10%)' }),
  withoutAttendance: Type.Integer({ description: 'Engaged in the month but no day of attendance recorded' }),
};
const Compliance = Type.Object({
  month: Type.String(),
  countyCode: Type.Union([Type.String(), Type.Null()]),
  projectId: Type.Union([Type.String(), Type.Null()]),
  dispatchedCapShare: Type.Number(),
  ...Figures,
  projects: Type.Array(Type.Object({ projectId: Type.String(), countyCode: Type.String(), ...Figures })),
});

export default async function complianceRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  app.get('/v1/projects/:id/compliance', {
    schema: {
      operationId: 'projectRosterCompliance', tags: ['roster'], summary: 'Roster compliance figures of a project for a month (GC, inspector, regulator, admin)',
      params: IdParams, querystring: Type.Object({ month: IsoMonth() }, { additionalProperties: false }), response: { 200: Compliance, ...problems(400, 401, 403, 404) },
    },
  }, async (req) => {
    const p = requireRole(req);
    const s = await projectScope(deps.db, p, (req.params as { id: string }).id);
    requireRelation(s, 'gc', 'inspector', 'regulator', 'admin', 'construction_unit');
    return rosterCompliance(deps.db, { projectId: s.projectId, month: (req.query as { month: string }).month });
  });
}
