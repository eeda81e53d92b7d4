import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '../../errors.ts';
import { asActor } from '../../db/context.ts';
import { recordAudit } from '../audit/repository.ts';
import { requireRole, requireUser } from '../auth/plugin.ts';
import { UserRoleSchema } from '../auth/schemas.ts';
import { userErrors } from './errors.ts';
import { createUser, listUsers, setDisabled, setPassword } from './repository.ts';

const UserSummarySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  displayName: Type.String(),
  role: UserRoleSchema,
  districtCode: Type.Union([Type.String(), Type.Null()]),
  organisationId: Type.Union([Type.String(), Type.Null()]),
  disabled: Type.Boolean(),
});

export const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/users',
    {
      preHandler: requireRole('city_admin', 'city_auditor'),
      schema: {
        tags: ['users'],
        summary: '用户列表 / accounts (city administrator, city auditor)',
        response: { 200: Type.Array(UserSummarySchema), ...errorResponses },
      },
    },
    (request) => asActor(app.db, request.actor, listUsers),
  );

  app.post(
    '/api/users',
    {
      preHandler: requireRole('city_admin'),
      schema: {
        tags: ['users'],
        summary: '创建用户 / create an account (city administrator)',
        body: Type.Object({
          username: Type.String({ minLength: 2, maxLength: 64 }),
          displayName: Type.String({ minLength: 1, maxLength: 100 }),
          role: UserRoleSchema,
          password: Type.String({ minLength: 1, maxLength: 256 }),
          districtCode: Type.Optional(Type.Union([Type.String({ pattern: '^[0-9]{6}$' }), Type.Null()])),
          organisationId: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])),
        }),
        response: { 201: UserSummarySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireUser(request);
      const user = await asActor(app.db, request.actor, async (tx) => {
        const created = await createUser(tx, request.body);
        await recordAudit(tx, actor, {
          action: 'user.create',
          objectType: 'user',
          objectId: created.id,
          detail: { username: created.username, role: created.role, districtCode: created.districtCode },
          clientIp: request.ip,
        });
        return created;
      });
      return reply.code(201).send(user);
    },
  );

  const UserParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

  app.post(
    '/api/users/:id/password',
    {
      preHandler: requireRole('city_admin'),
      schema: {
        tags: ['users'],
        summary: '重置密码 / set another account\'s password (city administrator): clears its lock-out, ends all its sessions',
        params: UserParams,
        body: Type.Object({ newPassword: Type.String({ minLength: 1, maxLength: 256 }) }),
        response: { 200: UserSummarySchema, ...errorResponses },
      },
    },
    async (request) => {
      const actor = requireUser(request);
      return asActor(app.db, request.actor, async (tx) => {
        const user = await setPassword(tx, request.params.id, request.body.newPassword);
        await recordAudit(tx, actor, { action: 'user.password_reset', objectType: 'user', objectId: user.id, detail: { username: user.username }, clientIp: request.ip });
        return user;
      });
    },
  );

  app.patch(
    '/api/users/:id',
    {
      preHandler: requireRole('city_admin'),
      schema: {
        tags: ['users'],
        summary: '停用或启用账户 / disable or re-enable an account (city administrator): disabling ends all its sessions',
        params: UserParams,
        body: Type.Object({ disabled: Type.Boolean() }),
        response: { 200: UserSummarySchema, ...errorResponses },
      },
    },
    async (request) => {
      const actor = requireUser(request);
      if (request.body.disabled && request.params.id === actor.id) throw userErrors.cannotDisableSelf();
      return asActor(app.db, request.actor, async (tx) => {
        const user = await setDisabled(tx, request.params.id, request.body.disabled);
        await recordAudit(tx, actor, {
          action: request.body.disabled ? 'user.disabled' : 'user.enabled',
          objectType: 'user',
          objectId: user.id,
          detail: { username: user.username },
          clientIp: request.ip,
        });
        return user;
      });
    },
  );
};
