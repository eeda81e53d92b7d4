// The inbox of every signed-in user: notices of decisions, returns, packages awaiting the city,
// passed deadlines and bulletins.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { asActor } from '../../db/context.ts';
import { errorResponses } from '../../errors.ts';
import { requireRole } from '../auth/plugin.ts';
import { listInbox, markAllRead, markRead, unreadCount } from './inbox.ts';
import { NoticeSchema } from './schemas.ts';

const signedIn = requireRole();

export const inboxRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/inbox',
    {
      preHandler: signedIn,
      schema: {
        tags: ['inbox'],
        summary: '我的消息 / your notices, newest first',
        querystring: Type.Object({ unread: Type.Optional(Type.Boolean({ description: 'only unread ones' })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) }),
        response: { 200: Type.Object({ unread: Type.Integer(), notices: Type.Array(NoticeSchema) }), ...errorResponses },
      },
    },
    (request) => asActor(app.db, request.actor, (tx) => listInbox(tx, { unreadOnly: request.query.unread, limit: request.query.limit })),
  );

  app.get(
    '/api/inbox/unread-count',
    { preHandler: signedIn, schema: { tags: ['inbox'], summary: '未读消息数 / how many notices are unread', response: { 200: Type.Object({ unread: Type.Integer() }), ...errorResponses } } },
    async (request) => ({ unread: await asActor(app.db, request.actor, (tx) => unreadCount(tx)) }),
  );

  app.post(
    '/api/inbox/:id/read',
    { preHandler: signedIn, schema: { tags: ['inbox'], summary: '标记为已读 / mark a notice read', params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 204: Type.Null(), ...errorResponses } } },
    async (request, reply) => {
      await asActor(app.db, request.actor, (tx) => markRead(tx, request.params.id));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/inbox/read-all',
    { preHandler: signedIn, schema: { tags: ['inbox'], summary: '全部标记为已读 / mark every notice read', response: { 200: Type.Object({ marked: Type.Integer() }), ...errorResponses } } },
    async (request) => ({ marked: await asActor(app.db, request.actor, (tx) => markAllRead(tx)) }),
  );
};
