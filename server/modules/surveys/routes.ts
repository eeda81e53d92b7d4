import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { commonErrors, errorResponses } from '../../errors.ts';
import { DateString as BoundedDate, DistrictCodeParam, YearParam } from '../../http/params.ts';
import { asActor, asSystem } from '../../db/context.ts';
import { moveSurvey } from '../submissions/lifecycle.ts';
import { recordAudit } from '../audit/repository.ts';
import { requireRole, requireUser } from '../auth/plugin.ts';
import { surveyErrors } from './errors.ts';
import { findSurvey, insertNoChangeDeclaration, insertSurvey, listNoChangeDeclarations, listSurveys } from './repository.ts';

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
  frozen: Type.Boolean({ description: '已冻结: the survey’s time point is frozen in a yearly snapshot; nothing it describes can change' }),
});
const SurveyIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const DeclarationSchema = Type.Object({
  surveyId: Type.String({ format: 'uuid' }),
  districtCode: Type.String(),
  declaredBy: Nullable(Type.String()),
  declaredAt: Type.String({ format: 'date-time' }),
  note: Nullable(Type.String()),
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

  app.post(
    '/api/surveys/:id/close',
    {
      preHandler: requireRole('city_admin', 'district_operator'),
      schema: {
        tags: ['surveys'],
        summary: '结束调查任务（汇交结束），此后该年度方可冻结 / close a survey: its collection ends, and its year may then be frozen',
        params: SurveyIdParams,
        response: { 200: SurveySchema, ...errorResponses },
      },
    },
    async (request) => {
      const user = requireUser(request);
      // Row-level security first: a survey the user cannot read is not found.
      const visible = await asActor(app.db, request.actor, (tx) => findSurvey(tx, request.params.id));
      if (!visible) throw surveyErrors.notFound(request.params.id);
      if (visible.state === 'closed') throw surveyErrors.alreadyClosed(visible.id);
      return asSystem(app.db, async (tx) => {
        await moveSurvey(tx, visible.id, 'close', user, { clientIp: request.ip, detail: { kind: visible.kind, year: visible.year } });
        return (await findSurvey(tx, visible.id))!;
      });
    },
  );

  app.get(
    '/api/surveys/:id/no-change-declarations',
    {
      preHandler: requireRole(),
      schema: {
        tags: ['surveys'],
        summary: '本年度无变化的声明（可见的区） / the districts that declared no change for a land-use change survey',
        params: SurveyIdParams,
        response: { 200: Type.Array(DeclarationSchema), ...errorResponses },
      },
    },
    (request) =>
      asActor(app.db, request.actor, async (tx) => {
        if (!(await findSurvey(tx, request.params.id))) throw surveyErrors.notFound(request.params.id);
        return listNoChangeDeclarations(tx, request.params.id);
      }),
  );

  app.post(
    '/api/surveys/:id/no-change-declarations',
    {
      preHandler: requireRole('city_admin', 'district_operator'),
      schema: {
        tags: ['surveys'],
        summary: '声明本区本年度无变化（区级操作员为本区，市级管理员为任一区）；已有入库变更成果的区不能声明 / declare that a district has no land-use change this year',
        params: SurveyIdParams,
        body: Type.Object({
          districtCode: Type.Optional(Type.String({ ...DistrictCodeParam, description: 'the district; a district operator’s own by default' })),
          note: Type.Optional(Type.String({ maxLength: 500 })),
        }),
        response: { 201: DeclarationSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const districtCode = request.body.districtCode ?? user.districtCode;
      if (!districtCode) throw commonErrors.validation({ zh: '须给出区代码（districtCode）', en: 'districtCode is required' }, { field: 'districtCode' });
      // Said before the database looks at the district's packages (row-level security would refuse
      // the row too, but only after the declaration's checks had told what that district sent).
      if (user.role === 'district_operator' && districtCode !== user.districtCode) throw surveyErrors.declareForbidden(districtCode);
      const declaration = await asActor(app.db, request.actor, async (tx) => {
        const survey = await findSurvey(tx, request.params.id);
        if (!survey) throw surveyErrors.notFound(request.params.id);
        const created = await insertNoChangeDeclaration(tx, { surveyId: survey.id, districtCode, note: request.body.note ?? null }, user.id);
        await recordAudit(tx, user, {
          action: 'survey.no_change_declared',
          objectType: 'survey',
          objectId: survey.id,
          districtCode,
          detail: { year: survey.year, note: created.note },
          clientIp: request.ip,
        });
        return created;
      });
      return reply.code(201).send(declaration);
    },
  );
};
