import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '../../errors.ts';
import { DateString as BoundedDate, DistrictCodeParam, YearParam } from '../../http/params.ts';
import { asActor } from '../../db/context.ts';
import { recordAudit } from '../audit/repository.ts';
import { requireRole, requireUser } from '../auth/plugin.ts';
import { insertSurvey, listSurveys } from './repository.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const DateString = BoundedDate;
const SurveyKindSchema = Type.Union([
  Type.Literal('national'),
  Type.Literal('land_use_change'),
  Type.Literal('cadastral_change'),
  Type.Literal('special'),
]);
const ScopeSchema = Type.Union([Type.Literal('city'), Type.Literal('district')]);
const SecrecySchema = Type.Union([
  Type.Literal('public'),
  Type.Literal('internal'),
  Type.Literal('confidential'),
  Type.Literal('secret'),
]);
const SurveySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  kind: SurveyKindSchema,
  scope: ScopeSchema,
  districtCode: Nullable(Type.String()),
  year: Type.Integer(),
  timePoint: DateString,
  title: Type.String(),
  secrecy: SecrecySchema,
  state: Type.String(),
  submissionDeadline: Nullable(DateString),
});

export const surveyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/surveys',
    {
      preHandler: requireRole(),
      schema: {
        tags: ['surveys'],
        summary: '调查任务 / surveys visible to the user (city-wide ones and the own district\'s)',
        response: { 200: Type.Array(SurveySchema), ...errorResponses },
      },
    },
    (request) => asActor(app.db, request.actor, listSurveys),
  );

  app.post(
    '/api/surveys',
    {
      preHandler: requireRole('city_admin', 'district_operator'),
      schema: {
        tags: ['surveys'],
        summary: '创建调查任务 / create a survey (city: any; district operator: its own district surveys)',
        body: Type.Object({
          kind: SurveyKindSchema,
          scope: ScopeSchema,
          districtCode: Type.Optional(Nullable(DistrictCodeParam)),
          year: YearParam,
          timePoint: Type.Optional(DateString),
          title: Type.String({ minLength: 1, maxLength: 200 }),
          secrecy: Type.Optional(SecrecySchema),
          submissionDeadline: Type.Optional(Nullable(DateString)),
        }),
        response: { 201: SurveySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const survey = await asActor(app.db, request.actor, async (tx) => {
        const created = await insertSurvey(tx, request.body, user.id);
        await recordAudit(tx, user, {
          action: 'survey.create',
          objectType: 'survey',
          objectId: created.id,
          districtCode: created.districtCode,
          detail: { kind: created.kind, year: created.year, title: created.title },
          clientIp: request.ip,
        });
        return created;
      });
      return reply.code(201).send(survey);
    },
  );
};
