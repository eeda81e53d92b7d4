import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '../../errors.ts';
import { engineVersions } from '../../db/capabilities.ts';
import { migrationState } from '../../db/migrator.ts';
import type { UserRole } from '../../db/schema.ts';

/**
 * Who sees the engine, its versions and the migration state: the city roles that run the
 * platform. Everyone else (anonymous visitors above all) learns only up or down: version numbers
 * tell an attacker which known flaws to try.
 */
export const HEALTH_DETAIL_ROLES: readonly UserRole[] = ['city_admin', 'city_auditor'];

const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('down')], {
    description: 'ok; degraded = migrations pending or modified; down = the database does not answer',
  }),
  engine: Type.Optional(
    Type.Union([Type.Literal('server'), Type.Literal('embedded')], {
      description: 'server = PostgreSQL/PostGIS at DATABASE_URL; embedded = PGlite with PostGIS in DATA_DIR',
    }),
  ),
  postgres: Type.Optional(Type.String()),
  postgis: Type.Optional(Type.String()),
  migrations: Type.Optional(
    Type.Object({
      applied: Type.Integer(),
      pending: Type.Array(Type.String()),
      modified: Type.Array(Type.String()),
      latest: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  capabilities: Type.Optional(
    Type.Object({
      mvt: Type.Boolean({ description: 'ST_AsMVT available; otherwise tiles are encoded by the application' }),
      geosRaisesErrors: Type.Boolean({ description: 'overlay errors raise; otherwise geometry is validated before overlays' }),
    }),
  ),
});

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/health',
    {
      schema: {
        tags: ['health'],
        summary: '运行状态 / up or down; the city administrator and auditor also see engine, versions and migration state',
        response: { 200: HealthResponse, 503: HealthResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const detailed = request.user !== null && HEALTH_DETAIL_ROLES.includes(request.user.role);
      let state;
      try {
        state = await Promise.all([engineVersions(app.db), migrationState(app.db)]);
      } catch (error) {
        request.log.error({ err: error }, 'health: the database does not answer');
        return reply.code(503).send({ status: 'down' });
      }
      const [versions, migrations] = state;
      const healthy = migrations.pending.length === 0 && migrations.modified.length === 0;
      const status = healthy ? 'ok' : 'degraded';
      if (!detailed) return reply.code(healthy ? 200 : 503).send({ status });
      return reply.code(healthy ? 200 : 503).send({
        status,
        engine: app.db.engine,
        ...versions,
        migrations,
        capabilities: app.capabilities,
      });
    },
  );
};
