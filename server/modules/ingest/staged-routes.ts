// GET /api/submissions/:id/parcels: a submission's parcels as sent (its staging), GeoJSON paged
// by record number, optionally within a box. The submission page draws them over the current
// parcels before the city decides and applies.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { asActor } from '../../db/context.ts';
import { AppError, commonErrors, errorResponses, THINGS } from '../../errors.ts';
import { RowIdParam } from '../../http/params.ts';
import { requireRole } from '../auth/plugin.ts';
import { STAFF_READERS } from '../auth/roles.ts';
import { stagedParcels } from './staged-parcels.ts';

const badBbox = (value: string) =>
  new AppError(400, 'BBOX_INVALID', `范围无效：${value}（应为 最小经度,最小纬度,最大经度,最大纬度）`, `Not a box: ${value} (minLon,minLat,maxLon,maxLat)`, { value });

export const stagedParcelRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/submissions/:id/parcels',
    {
      preHandler: requireRole(...STAFF_READERS),
      schema: {
        tags: ['submissions'],
        summary: '成果包中的图斑（入库前的暂存数据，GeoJSON，按记录号分页） / a submission’s parcels as sent (staging), GeoJSON, paged',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        querystring: Type.Object({
          layer: Type.Optional(Type.Union([Type.Literal('land_use'), Type.Literal('basic_farmland')], { default: 'land_use', description: 'land_use 地类图斑 (DLTB) | basic_farmland 永久基本农田 (YJJBNTTB)' })),
          bbox: Type.Optional(Type.String({ pattern: '^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$', maxLength: 100, description: 'minLon,minLat,maxLon,maxLat (EPSG:4490); all the parcels when absent' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 1000 })),
          after: Type.Optional(RowIdParam('nextAfter of the previous page', 0)),
        }),
        response: {
          200: Type.Object({
            type: Type.Literal('FeatureCollection'),
            layer: Type.String(),
            numberReturned: Type.Integer(),
            nextAfter: Type.Union([Type.Integer(), Type.Null()]),
            extent: Type.Union([Type.Array(Type.Number(), { minItems: 4, maxItems: 4 }), Type.Null()], { description: 'the box of all the parcels of the layer (first page only)' }),
            features: Type.Array(Type.Object({ type: Type.Literal('Feature'), id: Type.Integer({ description: 'record number in the package' }), geometry: Type.Unknown(), properties: Type.Record(Type.String(), Type.Unknown()) })),
          }),
          ...errorResponses,
        },
      },
    },
    (request) => {
      let bbox: [number, number, number, number] | null = null;
      if (request.query.bbox) {
        bbox = request.query.bbox.split(',').map(Number) as [number, number, number, number];
        if (bbox.some((value) => !Number.isFinite(value)) || bbox[0] >= bbox[2] || bbox[1] >= bbox[3]) throw badBbox(request.query.bbox);
      }
      return asActor(app.db, request.actor, async (tx) => {
        // Row-level security: a submission the user may not read is not found (and its staging
        // rows would not come back either).
        const visible = await tx.selectFrom('submissions').select('id').where('id', '=', request.params.id).executeTakeFirst();
        if (!visible) throw commonErrors.notFound(THINGS.submission, request.params.id);
        return stagedParcels(tx, { submissionId: visible.id, layer: request.query.layer ?? 'land_use', bbox, limit: request.query.limit ?? 1000, after: request.query.after ?? 0 });
      });
    },
  );
};
