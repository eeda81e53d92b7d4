// Progress supervision routes (art. 15, 16): deadlines, the board, district reports, bulletins.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { asActor } from '../../db/context.ts';
import { errorResponses } from '../../errors.ts';
import { DateString, DistrictCodeParam } from '../../http/params.ts';
import { requireRole, requireUser } from '../auth/plugin.ts';
import { STAFF_READERS } from '../auth/roles.ts';
import { bulletinWorkbook, getBulletin, issueBulletin, listBulletins } from './bulletins.ts';
import { progressErrors } from './errors.ts';
import { addReport, deleteDeadline, listDeadlines, listReports, progressBoard, setDeadline } from './repository.ts';
import { BoardRowSchema, BulletinDetailSchema, BulletinSchema, DeadlineBody, DeadlineSchema, ReportBody, ReportSchema } from './schemas.ts';
import { scheduleProgressRounds } from './schedule.ts';
import { shanghaiToday } from './steps.ts';

const Filter = Type.Object({ surveyId: Type.Optional(Type.String({ format: 'uuid' })), districtCode: Type.Optional(DistrictCodeParam) });
const IdParam = Type.Object({ id: Type.String({ format: 'uuid' }) });
const readers = requireRole(...STAFF_READERS);

export const progressRoutes: FastifyPluginAsyncTypebox = async (app) => {
  scheduleProgressRounds(app);

  app.get(
    '/api/progress/deadlines',
    { preHandler: readers, schema: { tags: ['progress'], summary: '各区各环节的截止日期（区级只见本区） / deadlines per survey, district and step', querystring: Filter, response: { 200: Type.Array(DeadlineSchema), ...errorResponses } } },
    (request) => asActor(app.db, request.actor, (tx) => listDeadlines(tx, request.query)),
  );

  app.put(
    '/api/progress/deadlines',
    {
      preHandler: requireRole('city_admin'),
      schema: { tags: ['progress'], summary: '设定或修改截止日期（市管理员） / set or move a deadline (city administrator)', body: DeadlineBody, response: { 200: DeadlineSchema, ...errorResponses } },
    },
    async (request) => {
      const user = requireUser(request);
      return asActor(app.db, request.actor, async (tx) => {
        const id = await setDeadline(tx, user.id, request.body);
        const rows = await listDeadlines(tx, { surveyId: request.body.surveyId, districtCode: request.body.districtCode });
        return rows.find((row) => row.id === id)!;
      });
    },
  );

  app.delete(
    '/api/progress/deadlines/:id',
    { preHandler: requireRole('city_admin'), schema: { tags: ['progress'], summary: '删除截止日期 / remove a deadline', params: IdParam, response: { 204: Type.Null(), ...errorResponses } } },
    async (request, reply) => {
      await asActor(app.db, request.actor, (tx) => deleteDeadline(tx, request.params.id));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/progress/board',
    {
      preHandler: readers,
      schema: {
        tags: ['progress'],
        summary: '进度看板：各区已到环节、轮次、逾期天数 / the progress board: step reached, rounds, days late',
        querystring: Type.Object({ asOf: Type.Optional(DateString), surveyId: Type.Optional(Type.String({ format: 'uuid' })) }),
        response: { 200: Type.Object({ asOf: Type.String(), rows: Type.Array(BoardRowSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const asOf = request.query.asOf ?? shanghaiToday();
      return { asOf, rows: await asActor(app.db, request.actor, (tx) => progressBoard(tx, asOf, request.query.surveyId)) };
    },
  );

  app.get(
    '/api/progress/reports',
    { preHandler: readers, schema: { tags: ['progress'], summary: '各区进度报告（历史） / progress reports, newest first', querystring: Filter, response: { 200: Type.Array(ReportSchema), ...errorResponses } } },
    (request) => asActor(app.db, request.actor, (tx) => listReports(tx, request.query)),
  );

  app.post(
    '/api/progress/reports',
    {
      preHandler: requireRole('district_operator', 'district_office'),
      schema: { tags: ['progress'], summary: '报告本区进度（百分比与说明） / report the district’s progress', body: ReportBody, response: { 201: ReportSchema, ...errorResponses } },
    },
    async (request, reply) => {
      const user = requireUser(request);
      if (!user.districtCode) throw progressErrors.noDistrict();
      const districtCode = user.districtCode;
      const report = await asActor(app.db, request.actor, async (tx) => {
        const id = await addReport(tx, { id: user.id, districtCode }, request.body);
        return (await listReports(tx, { surveyId: request.body.surveyId, districtCode })).find((row) => row.id === id)!;
      });
      return reply.code(201).send(report);
    },
  );

  app.get(
    '/api/progress/bulletins',
    { preHandler: readers, schema: { tags: ['progress'], summary: '进度通报列表（区级只见发给本区的） / bulletins addressed to you', response: { 200: Type.Array(BulletinSchema), ...errorResponses } } },
    (request) => asActor(app.db, request.actor, (tx) => listBulletins(tx)),
  );

  app.post(
    '/api/progress/bulletins',
    {
      preHandler: requireRole('city_admin', 'leading_group_office'),
      schema: {
        tags: ['progress'],
        summary: '立即发布进度通报 / issue a progress bulletin now',
        body: Type.Object({ asOf: Type.Optional(DateString), surveyId: Type.Optional(Type.String({ format: 'uuid' })) }),
        response: { 201: BulletinSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const asOf = request.body.asOf ?? shanghaiToday();
      const bulletin = await asActor(app.db, request.actor, (tx) => issueBulletin(tx, { kind: 'on_demand', userId: user.id }, asOf, request.body.surveyId));
      return reply.code(201).send(bulletin!);
    },
  );

  app.get(
    '/api/progress/bulletins/:id',
    { preHandler: readers, schema: { tags: ['progress'], summary: '进度通报内容（发布时冻结） / a bulletin as issued', params: IdParam, response: { 200: BulletinDetailSchema, ...errorResponses } } },
    (request) => asActor(app.db, request.actor, (tx) => getBulletin(tx, request.params.id)),
  );

  app.get(
    '/api/progress/bulletins/:id/xlsx',
    { preHandler: readers, schema: { tags: ['progress'], summary: '下载进度通报（XLSX） / a bulletin as an XLSX workbook', params: IdParam, response: { 200: Type.Any({ description: 'the workbook' }), ...errorResponses } } },
    async (request, reply) => {
      const bulletin = await asActor(app.db, request.actor, (tx) => getBulletin(tx, request.params.id));
      reply.header('content-disposition', `attachment; filename="progress-bulletin-${bulletin.number}.xlsx"`);
      return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send((await bulletinWorkbook(bulletin)) as never);
    },
  );
};
