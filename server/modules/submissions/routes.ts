import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '../../errors.ts';
import { asActor } from '../../db/context.ts';
import { requireRole } from '../auth/plugin.ts';
import { listSubmissions } from './repository.ts';

export const SubmissionSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  districtCode: Type.String(),
  surveyId: Type.String({ format: 'uuid' }),
  state: Type.String(),
  fileName: Type.String(),
  sha256: Type.String(),
  sizeBytes: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const submissionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/submissions',
    {
      preHandler: requireRole('city_admin', 'city_auditor', 'leading_group_office', 'district_operator', 'surveyor'),
      schema: {
        tags: ['submissions'],
        summary: '成果汇交记录 / submissions (a district operator sees only its own district)',
        querystring: Type.Object({
          surveyId: Type.Optional(Type.String({ format: 'uuid' })),
          districtCode: Type.Optional(Type.String({ pattern: '^[0-9]{6}$' })),
        }),
        response: { 200: Type.Array(SubmissionSchema), ...errorResponses },
      },
    },
    (request) => asActor(app.db, request.actor, (tx) => listSubmissions(tx, request.query)),
  );
};
