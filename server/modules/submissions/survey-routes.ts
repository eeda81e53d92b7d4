// The steps of a survey (its plan, closing, approval, publication and withdrawal) and its record.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { asActor, asSystem } from '../../db/context.ts';
import { errorResponses } from '../../errors.ts';
import { requireRole, requireUser } from '../auth/plugin.ts';
import { listPublications } from '../publications/repository.ts';
import { lifecycleErrors } from './errors.ts';
import { moveSurvey, surveyStepsFor } from './lifecycle.ts';
import { listDecisions } from './repository.ts';
import { DecisionSchema, PublicationSchema, StepSchema, SurveyDecisionBody } from './schemas.ts';

const DECIDERS = ['city_admin', 'city_auditor', 'leading_group_office', 'district_office', 'district_operator'] as const;

export const surveyLifecycleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/surveys/:id/record',
    {
      preHandler: requireRole(),
      schema: {
        tags: ['surveys'],
        summary: '调查任务的决定记录（计划、结束汇交、批准、公布、撤回）、公布记录与当前用户可进行的操作 / a survey’s decisions, publications and the steps you may take',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: {
          200: Type.Object({
            surveyId: Type.String(),
            state: Type.String(),
            decisions: Type.Array(DecisionSchema),
            publications: Type.Array(PublicationSchema),
            steps: Type.Array(StepSchema),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return asActor(app.db, request.actor, async (tx) => {
        const survey = await tx.selectFrom('surveys').select(['id', 'state']).where('id', '=', request.params.id).executeTakeFirst();
        if (!survey) throw lifecycleErrors.notFound('survey', request.params.id);
        return {
          surveyId: survey.id,
          state: survey.state,
          decisions: await listDecisions(tx, { surveyId: survey.id, surveyOnly: true }),
          publications: await listPublications(tx, { surveyId: survey.id }),
          steps: await surveyStepsFor(tx, survey.id, user),
        };
      });
    },
  );

  app.post(
    '/api/surveys/:id/decisions',
    {
      preHandler: requireRole(...DECIDERS),
      schema: {
        tags: ['surveys'],
        summary: '调查任务的下一步：计划审议通过或备案、开始或结束汇交、批准（须文号与日期）、公布、依次公布、撤回 / take a survey step: approve_plan, file_plan, open, close, approve, publish, publish_district, withdraw',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: SurveyDecisionBody,
        response: { 200: Type.Object({ id: Type.String(), action: Type.String(), from: Type.String(), state: Type.String(), decisionId: Type.Union([Type.String(), Type.Null()]), districtCode: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const visible = await asActor(app.db, request.actor, (tx) => tx.selectFrom('surveys').select('id').where('id', '=', request.params.id).executeTakeFirst());
      if (!visible) throw lifecycleErrors.notFound('survey', request.params.id);
      const { action, ...input } = request.body;
      const moved = await asSystem(app.db, (tx) => moveSurvey(tx, visible.id, action, user, { ...input, clientIp: request.ip }));
      return { id: moved.id, action: moved.action, from: moved.from, state: moved.to, decisionId: moved.decisionId, districtCode: moved.districtCode };
    },
  );
};
