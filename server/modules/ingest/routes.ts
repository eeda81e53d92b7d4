import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { asActor } from '../../db/context.ts';
import { AppError, commonErrors, ErrorBody, errorResponses, THINGS } from '../../errors.ts';
import { DistrictCodeParam } from '../../http/params.ts';
import { recordAudit } from '../audit/repository.ts';
import { requireRole, requireUser } from '../auth/plugin.ts';
import { STAFF_READERS } from '../auth/roles.ts';
import { lifecycleErrors } from '../submissions/errors.ts';
import { takesPackages } from '../submissions/lifecycle.ts';
import { uploadTooLarge } from './archive.ts';
import { receivePackage } from './upload.ts';

const ProgressSchema = Type.Object({
  stage: Type.String({ description: 'queued | opening | reading | indexing | checking (quality rules; layer names the rule) | done | failed' }),
  layer: Type.Union([Type.String(), Type.Null()]),
  recordsRead: Type.Integer(),
  recordsTotal: Type.Union([Type.Integer(), Type.Null()]),
  percent: Type.Integer({ minimum: 0, maximum: 100 }),
});

const UploadBody = Type.Object({
  file: Type.String({ format: 'binary', description: 'the package: .zip, .gpkg or .geojson (one file per request)' }),
});

function formatWindow(seconds: number, language: 'zh' | 'en'): string {
  const [value, zh, en] = seconds % 3600 === 0 ? [seconds / 3600, '小时', 'hour'] : seconds % 60 === 0 ? [seconds / 60, '分钟', 'minute'] : [seconds, '秒', 'second'];
  if (language === 'zh') return `${value} ${zh}`;
  return value === 1 ? en : `${value} ${en}s`;
}

export const uploadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/submissions',
    {
      preHandler: requireRole('city_admin', 'district_operator'),
      config: {
        // The body is a multipart stream read by the handler, not validated as JSON: it is
        // described in the OpenAPI document only.
        swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, body: UploadBody }, url }),
        // Per account, after the role check (so the key is the signed-in user): every upload is
        // archived, hashed and inspected before it can be refused, which is work worth bounding.
        rateLimit: {
          max: app.config.ingest.uploadRateLimit,
          timeWindow: app.config.ingest.uploadRateWindowSeconds * 1000,
          hook: 'preHandler',
          keyGenerator: (request) => `upload:${request.user?.id ?? request.ip}`,
          errorResponseBuilder: (_request, context) => {
            const retry = Math.max(1, Math.ceil(context.ttl / 1000));
            const error = new AppError(
              429,
              'UPLOAD_RATE_LIMITED',
              `上传过于频繁：每个账号每 ${formatWindow(app.config.ingest.uploadRateWindowSeconds, 'zh')}最多上传 ${context.max} 次，请 ${retry} 秒后再试`,
              `Too many uploads: at most ${context.max} per account every ${formatWindow(app.config.ingest.uploadRateWindowSeconds, 'en')}; try again in ${retry} s`,
              { retryAfterSeconds: retry, limit: context.max },
            );
            return error;
          },
        },
      },
      schema: {
        tags: ['submissions'],
        summary: '上传调查成果包 / upload a survey package (multipart/form-data, one file field)',
        description:
          'A zip of shapefile sets (.shp .shx .dbf .prj .cpg), GeoJSON files and/or GeoPackages, or one bare .gpkg/.geojson. ' +
          'The file is archived under its SHA-256 and its structure checked at once (422 on a malformed package, nothing stored); ' +
          'records are then imported in the background: poll GET /api/submissions/{id}. See docs/formats.md.',
        consumes: ['multipart/form-data'],
        querystring: Type.Object({
          surveyId: Type.String({ format: 'uuid' }),
          districtCode: Type.Optional(Type.String({ ...DistrictCodeParam, description: "defaults to the operator's own district" })),
          encoding: Type.Optional(Type.String({ maxLength: 32, description: 'override the DBF text encoding (gbk, utf-8, …)' })),
          epsg: Type.Optional(Type.Integer({ minimum: 1024, maximum: 32767, description: 'declare the coordinate system when the package cannot tell it' })),
          surveyorId: Type.Optional(Type.String({ format: 'uuid', description: 'the surveyor answerable for the content (art. 19)' })),
        }),
        response: {
          202: Type.Object({
            id: Type.String({ format: 'uuid' }),
            state: Type.String(),
            sha256: Type.String(),
            sizeBytes: Type.Integer(),
            progress: ProgressSchema,
          }),
          413: ErrorBody,
          422: ErrorBody,
          507: ErrorBody,
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const districtCode = request.query.districtCode ?? user.districtCode;
      if (!districtCode) throw new AppError(400, 'DISTRICT_REQUIRED', '市级账号上传时须指定区代码（districtCode 参数）', 'A city account must name the district (the districtCode parameter)');
      if (user.role === 'district_operator' && districtCode !== user.districtCode) {
        throw commonErrors.forbidden({ zh: `为其他区（${districtCode}）提交成果`, en: `submit for another district (${districtCode})` }, { districtCode });
      }
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > app.config.ingest.maxUploadBytes + 1024 * 1024) throw uploadTooLarge(app.config.ingest.maxUploadBytes, 'upload');
      const survey = await asActor(app.db, request.actor, (tx) =>
        tx.selectFrom('surveys').select(['id', 'scope', 'kind', 'district_code', 'state']).where('id', '=', request.query.surveyId).executeTakeFirst(),
      );
      if (!survey) throw commonErrors.notFound(THINGS.survey, request.query.surveyId);
      if (survey.scope === 'district' && survey.district_code !== districtCode) {
        throw new AppError(400, 'SURVEY_OTHER_DISTRICT', '该调查任务属于其他区', 'The survey belongs to another district', { surveyId: survey.id });
      }
      // The database refuses the submission too (guard_submission_start); asking first spares the upload.
      if (!takesPackages(survey.kind, survey.state)) throw lifecycleErrors.notCollecting(survey.id, survey.state, survey.kind);
      if (!request.isMultipart()) throw new AppError(415, 'UPLOAD_NOT_MULTIPART', '请以 multipart/form-data 上传文件', 'Upload the file as multipart/form-data');
      const part = await request.file();
      if (!part) throw new AppError(400, 'UPLOAD_NO_FILE', '请求中没有文件', 'The request holds no file');
      const accepted = await receivePackage(
        app.db,
        app.config.ingest,
        app.imports,
        part.file,
        {
          surveyId: survey.id,
          districtCode,
          fileName: part.filename || 'package.zip',
          encoding: request.query.encoding ?? null,
          epsg: request.query.epsg ?? null,
          uploadedBy: user.id,
          surveyorId: request.query.surveyorId ?? null,
        },
        (work) =>
          asActor(app.db, request.actor, async (tx) => {
            const id = await work(tx);
            await recordAudit(tx, user, {
              action: 'submission.uploaded',
              objectType: 'submission',
              objectId: String(id),
              districtCode,
              clientIp: request.ip,
              detail: { surveyId: survey.id, fileName: part.filename },
            });
            return id;
          }),
      );
      void accepted.outcome;
      return reply.code(202).send({
        id: accepted.submissionId,
        state: 'received',
        sha256: accepted.sha256,
        sizeBytes: accepted.sizeBytes,
        progress: app.imports.progress(accepted.submissionId) ?? { stage: 'queued', layer: null, recordsRead: 0, recordsTotal: null, percent: 0 },
      });
    },
  );

  app.get(
    '/api/submissions/:id',
    {
      preHandler: requireRole(...STAFF_READERS),
      schema: {
        tags: ['submissions'],
        summary: '提交详情与导入进度、导入报告 / a submission with its import progress and report',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: {
          200: Type.Object({
            id: Type.String({ format: 'uuid' }),
            districtCode: Type.String(),
            surveyId: Type.String({ format: 'uuid' }),
            state: Type.String(),
            round: Type.Integer(),
            fileName: Type.String(),
            sha256: Type.String(),
            sizeBytes: Type.Integer(),
            createdAt: Type.String({ format: 'date-time' }),
            format: Type.Union([Type.String(), Type.Null()]),
            importStartedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
            importFinishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
            progress: Type.Union([ProgressSchema, Type.Null()]),
            report: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
              description: 'import report (layers, CRS, encoding, unknown fields and layers) or { error } when the import failed',
            }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const row = await asActor(app.db, request.actor, (tx) =>
        tx
          .selectFrom('submissions')
          .select(['id', 'district_code', 'survey_id', 'state', 'round', 'file_name', 'sha256', 'size_bytes', 'format', 'created_at', 'import_started_at', 'import_finished_at', 'report'])
          .where('id', '=', request.params.id)
          .executeTakeFirst(),
      );
      if (!row) throw commonErrors.notFound(THINGS.submission, request.params.id);
      return {
        id: row.id,
        districtCode: row.district_code,
        surveyId: row.survey_id,
        state: row.state,
        round: row.round,
        fileName: row.file_name,
        sha256: row.sha256,
        sizeBytes: row.size_bytes,
        format: row.format,
        createdAt: row.created_at.toISOString(),
        importStartedAt: row.import_started_at?.toISOString() ?? null,
        importFinishedAt: row.import_finished_at?.toISOString() ?? null,
        progress: app.imports.progress(row.id),
        report: (row.report as Record<string, unknown> | null) ?? null,
      };
    },
  );
};
