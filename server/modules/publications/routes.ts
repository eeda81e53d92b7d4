import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { asActor } from '../../db/context.ts';
import { errorResponses } from '../../errors.ts';
import { PublicationSchema } from '../submissions/schemas.ts';
import { listPublications } from './repository.ts';

export const publicationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/publications',
    {
      schema: {
        tags: ['publications'],
        summary: '已公布的调查成果（公众可见的年度与时点） / published results: what the public may read, by survey and day',
        querystring: Type.Object({
          surveyId: Type.Optional(Type.String({ format: 'uuid' })),
          standing: Type.Optional(Type.Boolean({ description: 'only those not withdrawn (the public sees no others)' })),
        }),
        response: { 200: Type.Array(PublicationSchema), ...errorResponses },
      },
    },
    (request) => asActor(app.db, request.actor, (tx) => listPublications(tx, request.query)),
  );
};
