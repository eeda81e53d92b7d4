import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '../../errors.ts';
import { RowIdParam } from '../../http/params.ts';
import { asActor } from '../../db/context.ts';
import { requireRole } from '../auth/plugin.ts';

const AuditEntrySchema = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actorUserId: Type.Union([Type.String(), Type.Null()]),
  actorRole: Type.String(),
  districtCode: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  objectType: Type.Union([Type.String(), Type.Null()]),
  objectId: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Unknown(),
});

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/audit-log',
    {
      preHandler: requireRole('city_admin', 'city_auditor', 'district_operator'),
      schema: {
        tags: ['audit'],
        summary: '审计日志 / the audit log, newest first (a district operator sees its district\'s entries)',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          beforeId: Type.Optional(RowIdParam()),
        }),
        response: { 200: Type.Array(AuditEntrySchema), ...errorResponses },
      },
    },
    (request) =>
      asActor(app.db, request.actor, (tx) => {
        let query = tx
          .selectFrom('audit_log')
          .select([
            'id',
            'at',
            'actor_user_id as actorUserId',
            'actor_role as actorRole',
            'district_code as districtCode',
            'action',
            'object_type as objectType',
            'object_id as objectId',
            'detail',
          ])
          .orderBy('id', 'desc')
          .limit(request.query.limit);
        if (request.query.beforeId) query = query.where('id', '<', request.query.beforeId);
        return query.execute().then((rows) => rows.map((row) => ({ ...row, at: row.at.toISOString() })));
      }),
  );
};
