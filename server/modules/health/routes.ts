import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '../../errors.ts';
import { engineVersions } from '../../db/capabilities.ts';
import { migrationState } from '../../db/migrator.ts';

const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  engine: Type.Union([Type.Literal('server'), Type.Literal('embedded')], {
    description: 'server = PostgreSQL/PostGIS at DATABASE_URL; embedded = PGlite with PostGIS in DATA_DIR',
  }),
  postgres: Type.String(),
  postgis: Type.String(),
  migrations: Type.Object({
    applied: Type.Integer(),
    pending: Type.Array(Type.String()),
    modified: Type.Array(Type.String()),
    latest: Type.Union([Type.String(), Type.Null()]),
  }),
  capabilities: Type.Object({
    mvt: Type.Boolean({ description: 'ST_AsMVT available; otherwise tiles are encoded by the application' }),
    geosRaisesErrors: Type.Boolean({ description: 'overlay errors raise; otherwise geometry is validated before overlays' }),
  }),
});

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/health',
    {
      schema: {
        tags: ['health'],
        summary: '运行状态 / engine, versions and migration state',
        response: { 200: HealthResponse, 503: HealthResponse, ...errorResponses },
      },
    },
    async (_request, reply) => {
      const [versions, migrations] = await Promise.all([engineVersions(app.db), migrationState(app.db)]);
      const healthy = migrations.pending.length === 0 && migrations.modified.length === 0;
      return reply.code(healthy ? 200 : 503).send({
        status: healthy ? 'ok' : 'degraded',
        engine: app.db.engine,
        ...versions,
        migrations,
        capabilities: app.capabilities,
      });
    },
  );
};
