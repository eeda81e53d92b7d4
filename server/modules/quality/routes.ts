import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { asActor, type Tx } from '../../db/context.ts';
import { commonErrors, errorResponses, THINGS } from '../../errors.ts';
import { recordAudit } from '../audit/repository.ts';
import { requireRole, requireUser } from '../auth/plugin.ts';
import { CHECKABLE_STATES, qualityErrors } from './errors.ts';
import { findingsCsv, findingsXlsx } from './export.ts';
import { countFindings, findRun, latestRun, listFindings, listRuns, type FindingFilter } from './repository.ts';
import { RULES } from './rules/index.ts';
import type { Severity } from './rule.ts';
import { checkSubmission } from './service.ts';
import { effectiveRules, validateParams } from './settings.ts';

const Bilingual = Type.Object({ zh: Type.String(), en: Type.String() });
const SeveritySchema = Type.Union([Type.Literal('error'), Type.Literal('warning'), Type.Literal('info')], { description: 'error blocks the submission; warning to review; info noted' });
const ParamValue = Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Array(Type.String())]);

const RuleSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('row'), Type.Literal('set')]),
  category: Type.Union([Type.Literal('attribute'), Type.Literal('logic'), Type.Literal('geometry'), Type.Literal('topology'), Type.Literal('area')]),
  severity: SeveritySchema,
  title: Bilingual,
  description: Bilingual,
  layers: Type.Array(Type.String()),
  params: Type.Record(Type.String(), ParamValue),
  paramSpecs: Type.Record(Type.String(), Type.Object({ type: Type.String(), description: Bilingual, minimum: Type.Optional(Type.Number()) })),
});

const SurveyRuleSchema = Type.Object({
  id: Type.String(),
  enabled: Type.Boolean(),
  severity: SeveritySchema,
  params: Type.Record(Type.String(), ParamValue),
  customised: Type.Boolean(),
});

const SummaryEntry = Type.Object({
  ruleId: Type.String(),
  category: Type.String(),
  severity: Type.String(),
  title: Bilingual,
  findings: Type.Integer(),
  ms: Type.Integer(),
});

export const RunSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  districtCode: Type.String(),
  submissionId: Type.String({ format: 'uuid' }),
  state: Type.String({ description: 'running | finished | failed' }),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  startedBy: Type.Union([Type.String(), Type.Null()]),
  findings: Type.Union([Type.Integer(), Type.Null()]),
  blocking: Type.Union([Type.Integer(), Type.Null()], { description: 'findings of severity error: the submission cannot go forward while any remain' }),
  summary: Type.Union([Type.Array(SummaryEntry), Type.Null()]),
  bySeverity: Type.Object({ error: Type.Integer(), warning: Type.Integer(), info: Type.Integer() }, { description: 'findings by severity' }),
  error: Type.Unknown(),
});

const FindingSchema = Type.Object({
  findingNo: Type.Integer(),
  ruleId: Type.String(),
  severity: SeveritySchema,
  layer: Type.String(),
  recordNo: Type.Union([Type.Integer(), Type.Null()]),
  bsm: Type.Union([Type.String(), Type.Null()]),
  otherBsm: Type.Union([Type.String(), Type.Null()]),
  message: Bilingual,
  details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  geometry: Type.Unknown({ description: 'GeoJSON geometry, EPSG:4490 longitude/latitude: the point or area to show' }),
  bbox: Type.Union([Type.Array(Type.Number(), { minItems: 4, maxItems: 4 }), Type.Null()]),
});

import { STAFF_READERS as READERS } from '../auth/roles.ts';
/** Export files hold at most this many findings; the JSON pages through all of them. */
const EXPORT_LIMIT = 200_000;

/** A survey the actor may see (row-level security decides), or 404. */
async function visibleSurvey(tx: Tx, id: string) {
  const survey = await tx.selectFrom('surveys').select('id').where('id', '=', id).executeTakeFirst();
  if (!survey) throw commonErrors.notFound(THINGS.survey, id);
  return survey;
}

/** A submission the actor may see (row-level security decides), or 404. */
async function visibleSubmission(tx: Tx, id: string) {
  const submission = await tx.selectFrom('submissions').select(['id', 'state', 'district_code']).where('id', '=', id).executeTakeFirst();
  if (!submission) throw commonErrors.notFound(THINGS.submission, id);
  return submission;
}

export const qualityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/quality/rules',
    {
      preHandler: requireRole(...READERS, 'agency'),
      schema: { tags: ['quality'], summary: '质检规则目录 / the quality rule catalogue with defaults', response: { 200: Type.Array(RuleSchema), ...errorResponses } },
    },
    async () =>
      RULES.map((rule) => ({
        id: rule.id,
        kind: rule.kind,
        category: rule.category,
        severity: rule.severity,
        title: rule.title,
        description: rule.description,
        layers: [...rule.layers],
        params: rule.params,
        paramSpecs: rule.paramSpecs,
      })),
  );

  app.get(
    '/api/surveys/:id/quality-rules',
    {
      preHandler: requireRole(...READERS),
      schema: {
        tags: ['quality'],
        summary: '调查任务的质检规则设置 / the rule set a survey checks with',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Array(SurveyRuleSchema), ...errorResponses },
      },
    },
    (request) =>
      asActor(app.db, request.actor, async (tx) => {
        const survey = await visibleSurvey(tx, request.params.id);
        return (await effectiveRules(tx, survey.id)).map((item) => ({ id: item.rule.id, enabled: item.enabled, severity: item.severity, params: item.params, customised: item.customised }));
      }),
  );

  app.put(
    '/api/surveys/:id/quality-rules/:ruleId',
    {
      preHandler: requireRole('city_admin'),
      schema: {
        tags: ['quality'],
        summary: '设置调查任务的某条质检规则（启用、严重程度、参数） / set a rule for a survey',
        params: Type.Object({ id: Type.String({ format: 'uuid' }), ruleId: Type.String({ maxLength: 48 }) }),
        body: Type.Object({
          enabled: Type.Optional(Type.Boolean()),
          severity: Type.Optional(Type.Union([SeveritySchema, Type.Null()], { description: 'null restores the default' })),
          params: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'overrides of the rule parameters; {} restores the defaults' })),
        }),
        response: { 200: SurveyRuleSchema, ...errorResponses },
      },
    },
    (request) => {
      const user = requireUser(request);
      const params = validateParams(request.params.ruleId, request.body.params ?? {});
      return asActor(app.db, request.actor, async (tx) => {
        const survey = await visibleSurvey(tx, request.params.id);
        const values = {
          enabled: request.body.enabled ?? true,
          severity: request.body.severity ?? null,
          params: JSON.stringify(params),
          updated_by: user.id,
        };
        await tx
          .insertInto('qc_rule_settings')
          .values({ survey_id: survey.id, rule_id: request.params.ruleId, ...values })
          .onConflict((oc) => oc.columns(['survey_id', 'rule_id']).doUpdateSet({ ...values, updated_at: new Date() }))
          .execute();
        await recordAudit(tx, user, { action: 'quality.rule_set', objectType: 'survey', objectId: survey.id, clientIp: request.ip, detail: { ruleId: request.params.ruleId, ...request.body } });
        const item = (await effectiveRules(tx, survey.id)).find((entry) => entry.rule.id === request.params.ruleId)!;
        return { id: item.rule.id, enabled: item.enabled, severity: item.severity, params: item.params, customised: item.customised };
      });
    },
  );

  app.get(
    '/api/submissions/:id/quality-runs',
    {
      preHandler: requireRole(...READERS),
      schema: {
        tags: ['quality'],
        summary: '提交的质检记录（最新在前） / a submission’s quality runs, newest first',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Array(RunSchema), ...errorResponses },
      },
    },
    (request) =>
      asActor(app.db, request.actor, async (tx) => {
        const submission = await visibleSubmission(tx, request.params.id);
        return listRuns(tx, submission.id);
      }),
  );

  app.post(
    '/api/submissions/:id/quality-runs',
    {
      preHandler: requireRole('city_admin', 'city_auditor', 'district_operator'),
      schema: {
        tags: ['quality'],
        summary: '重新质检（例如修改规则设置之后） / run the checks again (after the survey’s rules changed, say)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 202: Type.Object({ submissionId: Type.String(), queued: Type.Boolean() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const submission = await asActor(app.db, request.actor, (tx) => visibleSubmission(tx, request.params.id));
      if (user.role === 'district_operator' && submission.district_code !== user.districtCode) throw commonErrors.forbidden({ zh: '质检其他区的提交', en: 'check another district’s submission' });
      if (!CHECKABLE_STATES.includes(submission.state)) throw qualityErrors.notImported(submission.state);
      void app.imports.enqueueWork(submission.id, async (onProgress) => {
        await checkSubmission(app.db, submission.id, { id: user.id, role: user.role }, onProgress);
      });
      return reply.code(202).send({ submissionId: submission.id, queued: true });
    },
  );

  app.get(
    '/api/quality-runs/:id',
    {
      preHandler: requireRole(...READERS),
      schema: {
        tags: ['quality'],
        summary: '质检报告摘要：每条规则的问题数 / a run with its summary per rule',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: RunSchema, ...errorResponses },
      },
    },
    async (request) => {
      const run = await asActor(app.db, request.actor, (tx) => findRun(tx, request.params.id));
      if (!run) throw commonErrors.notFound(THINGS.qualityRun, request.params.id);
      return run;
    },
  );

  app.get(
    '/api/quality-runs/:id/findings',
    {
      preHandler: requireRole(...READERS),
      schema: {
        tags: ['quality'],
        summary: '质检问题清单（JSON 分页，或下载 CSV / XLSX / GeoJSON） / findings (paged JSON, or a CSV, XLSX or GeoJSON download)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        querystring: Type.Object({
          ruleId: Type.Optional(Type.String({ maxLength: 48 })),
          severity: Type.Optional(SeveritySchema),
          layer: Type.Optional(Type.String({ maxLength: 16 })),
          bsm: Type.Optional(Type.String({ maxLength: 18 })),
          format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx'), Type.Literal('geojson')])),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 })),
        }),
        response: {
          200: Type.Object({ total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(), findings: Type.Array(FindingSchema) }, { description: 'format=json; other formats are files' }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { format = 'json', limit = 100, offset = 0, ruleId, severity, layer, bsm } = request.query;
      const filter: FindingFilter = { ruleId, severity: severity as Severity | undefined, layer, bsm };
      return asActor(app.db, request.actor, async (tx) => {
        const run = await findRun(tx, request.params.id);
        if (!run) throw commonErrors.notFound(THINGS.qualityRun, request.params.id);
        const total = await countFindings(tx, run.id, filter);
        if (format === 'json') return { total, limit, offset, findings: await listFindings(tx, run.id, filter, { limit, offset }) };
        if (total > EXPORT_LIMIT) throw qualityErrors.exportTooLarge(total, EXPORT_LIMIT);
        const findings = await listFindings(tx, run.id, filter, { limit: EXPORT_LIMIT, offset: 0 });
        const name = `quality-${run.districtCode}-${run.id.slice(0, 8)}`;
        reply.header('content-disposition', `attachment; filename="${name}.${format}"`);
        // A file, not the JSON of the response schema: Fastify sends strings and buffers as they are.
        const file = (payload: string | Buffer) => payload as never;
        if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(file(findingsCsv(findings)));
        if (format === 'geojson') {
          const collection = {
            type: 'FeatureCollection',
            features: findings.map((f) => ({ type: 'Feature', geometry: f.geometry, properties: { findingNo: f.findingNo, ruleId: f.ruleId, severity: f.severity, layer: f.layer, recordNo: f.recordNo, bsm: f.bsm, otherBsm: f.otherBsm, message: f.message.zh, messageEn: f.message.en } })),
          };
          return reply.type('application/geo+json').send(file(JSON.stringify(collection)));
        }
        const summary = (run.summary ?? []).map((entry) => ({ ruleId: entry.ruleId, title: entry.title.zh, severity: entry.severity, findings: entry.findings }));
        return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(file(await findingsXlsx(findings, summary)));
      });
    },
  );

  app.get(
    '/api/submissions/:id/quality',
    {
      preHandler: requireRole(...READERS),
      schema: {
        tags: ['quality'],
        summary: '提交的最新质检结果 / the latest quality run of a submission (null before the first)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Union([RunSchema, Type.Null()]), ...errorResponses },
      },
    },
    (request) => asActor(app.db, request.actor, (tx) => latestRun(tx, request.params.id)),
  );
};
