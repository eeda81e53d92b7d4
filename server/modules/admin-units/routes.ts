import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { commonErrors, errorResponses, THINGS } from '../../errors.ts';
import { asActor } from '../../db/context.ts';
import { getAdminUnitFeature, listAdminUnits } from './repository.ts';

const AdminLevelSchema = Type.Union([Type.Literal('city'), Type.Literal('district'), Type.Literal('town'), Type.Literal('village')]);
const AdminUnitSchema = Type.Object({
  code: Type.String(),
  name: Type.String(),
  level: AdminLevelSchema,
  parentCode: Type.Union([Type.String(), Type.Null()]),
  controlAreaM2: Type.Union([Type.Number(), Type.Null()], { description: '控制面积, m², ellipsoidal' }),
});

export const adminUnitRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/admin-units',
    {
      schema: {
        tags: ['reference'],
        summary: '行政区 / administrative units (public)',
        querystring: Type.Object({ level: Type.Optional(AdminLevelSchema) }),
        response: { 200: Type.Array(AdminUnitSchema), ...errorResponses },
      },
    },
    (request) => asActor(app.db, request.actor, (tx) => listAdminUnits(tx, request.query.level)),
  );

  app.get(
    '/api/admin-units/:code',
    {
      schema: {
        tags: ['reference'],
        summary: '行政区边界 / one unit with its boundary as a GeoJSON Feature (EPSG:4490 lon/lat)',
        params: Type.Object({ code: Type.String({ pattern: '^[0-9]{6,12}$' }) }),
        response: {
          200: Type.Object({
            type: Type.Literal('Feature'),
            id: Type.String(),
            properties: AdminUnitSchema,
            geometry: Type.Unknown(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const feature = await asActor(app.db, request.actor, (tx) => getAdminUnitFeature(tx, request.params.code));
      if (!feature) throw commonErrors.notFound(THINGS.adminUnit, request.params.code);
      return feature;
    },
  );
};
