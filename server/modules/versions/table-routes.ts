// The standard tables: area statistics as of a day and the change flow table between two days,
// as JSON, CSV (one unit) or XLSX (a sheet per unit).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { asActor, type Tx } from '../../db/context.ts';
import { AppError, errorResponses } from '../../errors.ts';
import { DistrictCodeParam } from '../../http/params.ts';
import { csvOf, xlsxOf, type Sheet } from '../../export/spreadsheet.ts';
import type { SessionUser } from '../auth/repository.ts';
import { isPublishedDay } from '../publications/repository.ts';
import { flowRows, flowTable } from './flow.ts';
import { versionErrors } from './errors.ts';
import { parseDay, today } from './queries.ts';
import { DayParam, READERS } from './routes.ts';
import { farmlandRows, statisticsAsOf, statisticsRows } from './statistics.ts';

const Format = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')], { default: 'json' }));
const Unit = Type.Optional(Type.Union([Type.Literal('ha'), Type.Literal('mu')], { description: 'the unit of a CSV file: ha 公顷 (default) or mu 亩', default: 'ha' }));
const Figure = Type.Object({ m2: Type.String(), ha: Type.String(), mu: Type.String(), parcels: Type.Integer() });
const ClassFigure = Type.Object({ code: Type.String(), name: Type.String(), m2: Type.String(), ha: Type.String(), mu: Type.String(), parcels: Type.Integer(), classes: Type.Optional(Type.Array(Type.Unknown())) });
const Block = { total: Figure, classes: Type.Array(ClassFigure) };
const Cells = Type.Object({ ha: Type.Array(Type.String()), mu: Type.Array(Type.String()), m2: Type.Array(Type.String()) });
const Totals = Type.Object({ ha: Type.String(), mu: Type.String(), m2: Type.String() });

/** Sends rows as a CSV or XLSX attachment. */
async function sendFile(reply: FastifyReply, name: string, format: 'csv' | 'xlsx', csvRows: (string | number | null)[][], sheets: Sheet[]) {
  reply.header('content-disposition', `attachment; filename="${name}.${format}"`);
  // A file, not the JSON of the response schema: Fastify sends strings and buffers as they are.
  if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(csvOf(csvRows) as never);
  return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send((await xlsxOf(sheets)) as never);
}

/**
 * The public (and roles that read no district data, such as an agency) read tables of published
 * days only. Row-level security already limits what they read to published versions; this says
 * so plainly instead of answering an unpublished day with an empty table.
 */
async function requirePublished(tx: Tx, user: SessionUser | null, days: string[]): Promise<void> {
  if (user && (READERS as readonly string[]).includes(user.role)) return;
  for (const day of days) {
    if (!(await isPublishedDay(tx, day))) {
      throw new AppError(404, 'NOT_PUBLISHED', `${day} 的调查成果尚未公布`, `The results of ${day} have not been published`, { day });
    }
  }
}

export const tableRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/statistics',
    {
      schema: {
        tags: ['versions'],
        summary: '土地利用现状统计（公众：已公布的时点） ：各区及全市一级、二级地类面积（公顷、亩），各区永久基本农田面积 / area by class per district and city as of a day',
        querystring: Type.Object({
          asOf: Type.Optional(DayParam),
          districtCode: Type.Optional(DistrictCodeParam),
          format: Format,
        }),
        response: {
          200: Type.Object({
            asOf: Type.String(),
            snapshot: Type.Union([Type.Object({ year: Type.Integer(), checksum: Type.String() }), Type.Null()]),
            districts: Type.Array(Type.Object({ districtCode: Type.String(), name: Type.String(), ...Block })),
            city: Type.Object(Block),
            basicFarmland: Type.Object({
              districts: Type.Array(Type.Object({ districtCode: Type.String(), name: Type.String(), m2: Type.String(), ha: Type.String(), mu: Type.String(), parcels: Type.Integer() })),
              total: Figure,
            }),
          }, { description: 'format=json; csv and xlsx are files' }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const day = parseDay(request.query.asOf ?? today());
      const statistics = await asActor(app.db, request.actor, async (tx) => {
        await requirePublished(tx, request.user, [day]);
        return statisticsAsOf(tx, day, request.query.districtCode ?? null);
      });
      const format = request.query.format ?? 'json';
      if (format === 'json') return statistics;
      const rows = statisticsRows(statistics);
      return sendFile(reply, `statistics-${day}`, format, rows, [
        { name: '地类面积', rows },
        { name: '永久基本农田', rows: farmlandRows(statistics) },
      ]);
    },
  );

  app.get(
    '/api/change-flows',
    {
      schema: {
        tags: ['versions'],
        summary: '土地利用变化流量表（公众：两期均已公布） ：两期之间各地类流向各地类的面积，行合计等于前期、列合计等于后期 / the class-to-class change table between two days',
        querystring: Type.Object({
          from: DayParam,
          to: DayParam,
          level: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)], { description: '1 一级类, 2 二级类 (default)', default: 2 })),
          districtCode: Type.Optional(DistrictCodeParam),
          format: Format,
          unit: Unit,
        }),
        response: {
          200: Type.Object({
            from: Type.String(),
            to: Type.String(),
            level: Type.Integer(),
            districtCode: Type.Union([Type.String(), Type.Null()]),
            columns: Type.Array(Type.Object({ code: Type.String(), name: Type.String() })),
            rows: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), ha: Type.Array(Type.String()), mu: Type.Array(Type.String()), m2: Type.Array(Type.String()), total: Totals })),
            columnTotals: Cells,
            grandTotal: Type.Object({ from: Totals, to: Totals }),
            changedM2: Type.Object({ from: Type.String(), to: Type.String() }),
          }, { description: 'format=json; csv and xlsx are files' }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const from = parseDay(request.query.from);
      const to = parseDay(request.query.to);
      if (from >= to) throw versionErrors.flowOrder(from, to);
      const table = await asActor(app.db, request.actor, async (tx) => {
        await requirePublished(tx, request.user, [from, to]);
        return flowTable(tx, from, to, request.query.districtCode ?? null, request.query.level ?? 2);
      });
      const format = request.query.format ?? 'json';
      if (format === 'json') return table;
      return sendFile(reply, `change-flow-${from}-${to}`, format, flowRows(table, request.query.unit ?? 'ha'), [
        { name: '流量表（公顷）', rows: flowRows(table, 'ha') },
        { name: '流量表（亩）', rows: flowRows(table, 'mu') },
      ]);
    },
  );
};
