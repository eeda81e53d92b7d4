import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fs from 'node:fs';
import { Type } from 'typebox';
import { asActor, asSystem } from '../../db/context.ts';
import { AppError, errorResponses } from '../../errors.ts';
import { requireRole, requireUser } from '../auth/plugin.ts';
import { findAttachment, storeAttachment } from './attachments.ts';
import { decideOnSubmission } from './decide.ts';
import { lifecycleErrors } from './errors.ts';
import { listSteps, submissionStepsFor } from './lifecycle.ts';
import { latestRun, listDecisions, listSubmissions, roundsOf } from './repository.ts';
import { DecisionBody, DecisionOutcomeSchema, DecisionSchema, StepSchema } from './schemas.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const AttachmentBody = Type.Object({
  file: Type.String({ format: 'binary', description: 'the attachment: PDF, PNG or JPEG (one file per request)' }),
});

export const SubmissionSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  districtCode: Type.String(),
  districtName: Nullable(Type.String()),
  surveyId: Type.String({ format: 'uuid' }),
  surveyTitle: Type.String(),
  surveyKind: Type.String(),
  surveyScope: Type.String(),
  state: Type.String(),
  round: Type.Integer({ description: '整改轮次: 1, and one more for each package correcting a returned one' }),
  correctsSubmissionId: Nullable(Type.String({ description: 'the returned submission this one corrects' })),
  fileName: Type.String(),
  sha256: Type.String(),
  sizeBytes: Type.Integer(),
  uploadedBy: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time', description: 'when it last moved: the queue’s age' }),
});

const STATES = ['received', 'importing', 'imported', 'checking', 'checked', 'rejected', 'preliminary_accepted', 'accepted', 'filed', 'applied', 'failed', 'superseded'] as const;
const StateParam = Type.Union(STATES.map((state) => Type.Literal(state)));
const Readers = ['city_admin', 'city_auditor', 'leading_group_office', 'district_office', 'district_operator', 'surveyor'] as const;

export const submissionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/submissions',
    {
      preHandler: requireRole(...Readers),
      schema: {
        tags: ['submissions'],
        summary: '成果汇交记录（审核队列） / submissions, newest first (a district’s roles see only their own district)',
        querystring: Type.Object({
          surveyId: Type.Optional(Type.String({ format: 'uuid' })),
          districtCode: Type.Optional(Type.String({ pattern: '^[0-9]{6}$' })),
          state: Type.Optional(Type.Array(StateParam, { maxItems: STATES.length, description: 'only these states (repeat the parameter)' })),
          order: Type.Optional(Type.Union([Type.Literal('newest'), Type.Literal('waiting')], { default: 'newest', description: 'newest: latest uploaded first; waiting: longest waiting (unmoved) first' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 500 })),
        }),
        response: { 200: Type.Array(SubmissionSchema), ...errorResponses },
      },
    },
    (request) =>
      asActor(app.db, request.actor, (tx) =>
        listSubmissions(tx, { surveyId: request.query.surveyId, districtCode: request.query.districtCode, states: request.query.state, order: request.query.order, limit: request.query.limit }),
      ),
  );

  app.get(
    '/api/submissions/:id/record',
    {
      preHandler: requireRole(...Readers),
      schema: {
        tags: ['submissions'],
        summary: '成果的审核记录：各轮次、审核决定、最新质检结果，以及当前用户可进行的操作 / a submission’s rounds, decisions, latest check and the steps you may take',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: {
          200: Type.Object({
            submission: SubmissionSchema,
            rounds: Type.Array(SubmissionSchema),
            decisions: Type.Array(DecisionSchema),
            latestRun: Nullable(Type.Object({ id: Type.String(), state: Type.String(), findings: Nullable(Type.Integer()), blocking: Nullable(Type.Integer()), finishedAt: Nullable(Type.String()) })),
            steps: Type.Array(StepSchema, { description: 'the steps you may take now' }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return asActor(app.db, request.actor, async (tx) => {
        const rounds = await roundsOf(tx, request.params.id);
        const submission = rounds.find((row) => row.id === request.params.id);
        if (!submission) throw lifecycleErrors.notFound('submission', request.params.id);
        return {
          submission,
          rounds,
          decisions: await listDecisions(tx, { submissionIds: rounds.map((row) => row.id) }),
          latestRun: await latestRun(tx, submission.id),
          steps: await submissionStepsFor(tx, submission.id, user),
        };
      });
    },
  );

  app.post(
    '/api/submissions/:id/decisions',
    {
      preHandler: requireRole('city_admin', 'city_auditor', 'leading_group_office', 'district_office', 'district_operator'),
      schema: {
        tags: ['submissions'],
        summary: '对成果作出审核决定或进行下一步：验收、初验、终验、备案、退回整改、入库 / take a step: accept, preliminary_accept, file, return, object, apply',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: DecisionBody,
        response: { 200: DecisionOutcomeSchema, ...errorResponses },
      },
    },
    async (request) => {
      const user = requireUser(request);
      // Row-level security first: a submission the user cannot read is not found, whatever the step.
      const visible = await asActor(app.db, request.actor, (tx) => tx.selectFrom('submissions').select('id').where('id', '=', request.params.id).executeTakeFirst());
      if (!visible) throw lifecycleErrors.notFound('submission', request.params.id);
      const { action, ...input } = request.body;
      return decideOnSubmission(app.db, request.params.id, action, user, { ...input, clientIp: request.ip });
    },
  );

  app.get(
    '/api/lifecycle/steps',
    {
      schema: {
        tags: ['submissions'],
        summary: '各类调查及其成果的流程（允许的步骤，由数据库执行） / the allowed steps per survey kind, as the database enforces them',
        querystring: Type.Object({
          object: Type.Optional(Type.Union([Type.Literal('submission'), Type.Literal('survey')])),
          kind: Type.Optional(Type.Union([Type.Literal('national'), Type.Literal('land_use_change'), Type.Literal('cadastral_change'), Type.Literal('special')])),
          scope: Type.Optional(Type.Union([Type.Literal('city'), Type.Literal('district')])),
        }),
        response: { 200: Type.Array(StepSchema), ...errorResponses },
      },
    },
    (request) => asActor(app.db, request.actor, (tx) => listSteps(tx, request.query)),
  );

  app.post(
    '/api/attachments',
    {
      preHandler: requireRole('city_admin', 'city_auditor', 'leading_group_office', 'district_office', 'district_operator'),
      // The body is a multipart stream read by the handler: described in the OpenAPI document only.
      config: { swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, body: AttachmentBody }, url }) },
      schema: {
        tags: ['submissions'],
        summary: '上传审核决定的附件（验收报告、批准文件：PDF、PNG、JPEG） / upload a decision’s attachment (multipart, one file)',
        consumes: ['multipart/form-data'],
        response: { 201: Type.Object({ id: Type.String(), sha256: Type.String(), fileName: Type.String(), mediaType: Type.String(), sizeBytes: Type.Integer() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      if (!request.isMultipart()) throw new AppError(415, 'UPLOAD_NOT_MULTIPART', '请以 multipart/form-data 上传文件', 'Upload the file as multipart/form-data');
      const part = await request.file();
      if (!part) throw new AppError(400, 'UPLOAD_NO_FILE', '请求中没有文件', 'The request holds no file');
      const stored = await asSystem(app.db, (tx) => storeAttachment(tx, app.config.ingest.archiveDir, part.file, part.filename || 'attachment', user.id));
      return reply.code(201).send(stored);
    },
  );

  app.get(
    '/api/attachments/:id',
    {
      preHandler: requireRole(...Readers),
      schema: {
        tags: ['submissions'],
        summary: '下载附件 / download an attachment you may read',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: { description: 'the file', type: 'string', format: 'binary' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const found = await asActor(app.db, request.actor, (tx) => findAttachment(tx, app.config.ingest.archiveDir, request.params.id));
      if (!found) throw lifecycleErrors.attachmentNotFound(request.params.id);
      reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(found.file_name)}`);
      reply.header('x-content-sha256', found.sha256.trim());
      return reply.type(found.media_type).send(fs.createReadStream(found.path) as never);
    },
  );
};
