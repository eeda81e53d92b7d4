import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { asActor } from '../../db/context.ts';
import { errorResponses } from '../../errors.ts';
import { DayParam, DistrictCodeParam, RowIdParam, YearParam } from '../../http/params.ts';
import { requireRole, requireUser } from '../auth/plugin.ts';
import { applySubmission } from './apply.ts';
import { versionErrors } from './errors.ts';
import { VERSIONED_LAYERS, type VersionedLayer } from './layers.ts';
import { diffStates, featuresInBox, parcelHistory, parseDay, today } from './queries.ts';
import { decideOnSubmission } from '../submissions/decide.ts';
import { freezeBlockers } from './freeze-guard.ts';
import { freezeYear, listSnapshots, verifySnapshot } from './snapshots.ts';

export { STAFF_READERS as READERS } from '../auth/roles.ts';
import { STAFF_READERS as READERS } from '../auth/roles.ts';

export const LayerParam = Type.Union(
  (Object.keys(VERSIONED_LAYERS) as VersionedLayer[]).map((layer) => Type.Literal(layer)),
  { description: 'land_use 地类图斑 | basic_farmland 永久基本农田 | ownership 宗地', default: 'land_use' },
);
export { DayParam } from '../../http/params.ts';
const DistrictParam = DistrictCodeParam;

const VersionSchema = Type.Object({
  versionId: Type.Integer(),
  districtCode: Type.String(),
  bsm: Type.String(),
  validFrom: Type.String({ format: 'date' }),
  validTo: Type.Union([Type.String({ format: 'date' }), Type.Null()], { description: 'exclusive; null while current' }),
  submissionId: Type.String(),
  areaM2: Type.String({ description: 'ellipsoidal area on CGCS2000, m², exact decimal' }),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  bbox: Type.Array(Type.Number(), { minItems: 4, maxItems: 4, description: '[minLon, minLat, maxLon, maxLat], EPSG:4490' }),
});

const EdgeSchema = Type.Object({
  predecessorVersionId: Type.Integer(),
  successorVersionId: Type.Integer(),
  kind: Type.String({ description: 'split | merge | reclassification | boundary_change | ownership_change | attribute_change' }),
  changeDate: Type.String({ format: 'date' }),
  submissionId: Type.String(),
});

const SnapshotSchema = Type.Object({
  year: Type.Integer(),
  snapshotDate: Type.String({ format: 'date' }),
  frozenAt: Type.String({ format: 'date-time' }),
  frozenBy: Type.Union([Type.String(), Type.Null()]),
  checksum: Type.String({ description: 'SHA-256 over the versions valid on the snapshot day' }),
  parcelCounts: Type.Record(Type.String(), Type.Integer()),
});

const AppliedSchema = Type.Object({
  submissionId: Type.String(),
  districtCode: Type.String(),
  kind: Type.Union([Type.Literal('baseline'), Type.Literal('change')]),
  layers: Type.Array(Type.Object({ layer: Type.String(), created: Type.Integer(), closed: Type.Integer(), lineage: Type.Integer() })),
  ms: Type.Integer(),
});

const DiffSide = Type.Union([Type.Object({ versionId: Type.Integer(), class: Type.Union([Type.String(), Type.Null()]), areaM2: Type.String() }), Type.Null()]);
const DiffEntrySchema = Type.Object({
  bsm: Type.String(),
  districtCode: Type.String(),
  from: DiffSide,
  to: DiffSide,
  changes: Type.Record(Type.String(), Type.Object({ from: Type.Unknown(), to: Type.Unknown() })),
});

export const versionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/submissions/:id/accept',
    {
      preHandler: requireRole('city_admin', 'city_auditor'),
      schema: {
        tags: ['versions'],
        summary: '验收质检通过的成果 / accept a submission that passed its checks',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Object({ id: Type.String(), state: Type.String(), districtCode: Type.String() }), ...errorResponses },
      },
    },
    async (request) => {
      // The decision route's 'accept' with no opinion (POST /api/submissions/{id}/decisions).
      const user = requireUser(request);
      const outcome = await decideOnSubmission(app.db, request.params.id, 'accept', user, { clientIp: request.ip });
      return { id: outcome.id, state: outcome.state, districtCode: outcome.districtCode };
    },
  );

  app.post(
    '/api/submissions/:id/reject',
    {
      preHandler: requireRole('city_admin', 'city_auditor'),
      schema: {
        tags: ['versions'],
        summary: '验收不通过，退回成果（须另交更正后的成果） / turn down a checked or accepted package',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 1000 }) }),
        response: { 200: Type.Object({ id: Type.String(), state: Type.String(), districtCode: Type.String() }), ...errorResponses },
      },
    },
    async (request) => {
      // The decision route's 'return' with the reason as its one rectification requirement.
      const user = requireUser(request);
      const outcome = await decideOnSubmission(app.db, request.params.id, 'return', user, { opinion: request.body.reason, rectification: [{ requirement: request.body.reason }], clientIp: request.ip });
      return { id: outcome.id, state: outcome.state, districtCode: outcome.districtCode };
    },
  );

  app.post(
    '/api/submissions/:id/apply',
    {
      preHandler: requireRole('city_admin', 'district_operator'),
      schema: {
        tags: ['versions'],
        summary: '将已验收的成果入库（市局，或本区操作员）：基础调查成果成为初始版本，变更成果生成新版本并关闭被替代版本 / apply an accepted submission to the parcel versions',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: AppliedSchema, ...errorResponses },
      },
    },
    async (request) => {
      const user = requireUser(request);
      // Row-level security shows a district operator its own district's submissions only.
      const visible = await asActor(app.db, request.actor, (tx) => tx.selectFrom('submissions').select('id').where('id', '=', request.params.id).executeTakeFirst());
      if (!visible) throw versionErrors.submissionNotFound(request.params.id);
      return applySubmission(app.db, request.params.id, user);
    },
  );

  app.get(
    '/api/snapshots',
    {
      preHandler: requireRole(...READERS, 'agency'),
      schema: { tags: ['versions'], summary: '已冻结的年度快照 / the frozen yearly snapshots', response: { 200: Type.Array(SnapshotSchema), ...errorResponses } },
    },
    async () => (await listSnapshots(app.db)).map(({ statistics: _statistics, ...snapshot }) => snapshot),
  );

  app.post(
    '/api/snapshots',
    {
      preHandler: requireRole('city_admin'),
      schema: {
        tags: ['versions'],
        summary: '冻结年度快照（12月31日的状态），此后该年度不可再修改 / freeze a year: its 12-31 state becomes unchangeable',
        body: Type.Object({ year: YearParam }),
        response: { 201: SnapshotSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const { statistics: _statistics, ...snapshot } = await freezeYear(app.db, request.body.year, { id: user.id, role: user.role });
      return reply.code(201).send(snapshot);
    },
  );

  app.get(
    '/api/snapshots/:year/blockers',
    {
      preHandler: requireRole('city_admin', 'city_auditor', 'leading_group_office'),
      schema: {
        tags: ['versions'],
        summary: '冻结年度快照前尚缺什么（未入库的已验收成果、未结束的调查任务、既未入库也未声明无变化的区） / what still keeps a year from being frozen',
        params: Type.Object({ year: YearParam }),
        response: {
          200: Type.Array(
            Type.Object({
              reason: Type.String({ description: 'skipped | pending | no_survey | open | district' }),
              subject: Type.Union([Type.String(), Type.Null()], { description: 'first unfrozen year, submission id, survey id or district code' }),
              name: Type.Union([Type.String(), Type.Null()], { description: 'district code (pending), survey title (open), district name (district)' }),
              state: Type.Union([Type.String(), Type.Null()]),
            }),
          ),
          ...errorResponses,
        },
      },
    },
    // The same rules the snapshot trigger applies (freeze_blockers, migrations/0015), asked ahead.
    (request) => app.db.scriptTransaction((exec) => freezeBlockers(exec, request.params.year)),
  );

  app.get(
    '/api/snapshots/:year/verify',
    {
      preHandler: requireRole('city_admin', 'city_auditor'),
      schema: {
        tags: ['versions'],
        summary: '按数据重新计算快照校验值，核对是否一致 / recompute a snapshot’s checksum from the data',
        params: Type.Object({ year: YearParam }),
        response: {
          200: Type.Object({ year: Type.Integer(), checksum: Type.String(), recomputed: Type.String(), matches: Type.Boolean(), parcelCounts: Type.Record(Type.String(), Type.Integer()) }),
          ...errorResponses,
        },
      },
    },
    (request) => verifySnapshot(app.db, request.params.year),
  );

  app.get(
    '/api/parcels/:bsm',
    {
      preHandler: requireRole(...READERS),
      schema: {
        tags: ['versions'],
        summary: '图斑的全部历史版本与谱系（前后继关系，追溯至基础调查） / a parcel’s versions and lineage graph',
        params: Type.Object({ bsm: Type.String({ minLength: 1, maxLength: 18 }) }),
        querystring: Type.Object({ layer: Type.Optional(LayerParam) }),
        response: {
          200: Type.Object({
            layer: Type.String(),
            bsm: Type.String(),
            versions: Type.Array(VersionSchema),
            graph: Type.Object({ nodes: Type.Array(VersionSchema), edges: Type.Array(EdgeSchema) }),
          }),
          ...errorResponses,
        },
      },
    },
    (request) => asActor(app.db, request.actor, (tx) => parcelHistory(tx, request.query.layer ?? 'land_use', request.params.bsm)),
  );

  app.get(
    '/api/features',
    {
      preHandler: requireRole(...READERS),
      schema: {
        tags: ['versions'],
        summary: '某日某范围内的图斑（GeoJSON，分页） / the parcels in a box as of a day, GeoJSON, paged',
        querystring: Type.Object({
          layer: Type.Optional(LayerParam),
          bbox: Type.String({ pattern: '^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$', maxLength: 100, description: 'minLon,minLat,maxLon,maxLat (EPSG:4490)' }),
          asOf: Type.Optional(DayParam),
          districtCode: Type.Optional(DistrictParam),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 1000 })),
          after: Type.Optional(RowIdParam('nextAfter of the previous page', 0)),
        }),
        response: {
          200: Type.Object({
            type: Type.Literal('FeatureCollection'),
            asOf: Type.String(),
            layer: Type.String(),
            numberReturned: Type.Integer(),
            nextAfter: Type.Union([Type.Integer(), Type.Null()]),
            features: Type.Array(Type.Object({ type: Type.Literal('Feature'), id: Type.Integer(), geometry: Type.Unknown(), properties: Type.Record(Type.String(), Type.Unknown()) })),
          }),
          ...errorResponses,
        },
      },
    },
    (request) => {
      const bbox = request.query.bbox.split(',').map(Number) as [number, number, number, number];
      if (bbox.some((value) => !Number.isFinite(value)) || bbox[0] >= bbox[2] || bbox[1] >= bbox[3]) throw versionErrors.badBbox(request.query.bbox);
      return asActor(app.db, request.actor, (tx) =>
        featuresInBox(tx, {
          layer: request.query.layer ?? 'land_use',
          bbox,
          asOf: parseDay(request.query.asOf ?? today()),
          limit: request.query.limit ?? 1000,
          after: request.query.after ?? null,
          districtCode: request.query.districtCode ?? null,
        }),
      );
    },
  );

  app.get(
    '/api/changes',
    {
      preHandler: requireRole(...READERS),
      schema: {
        tags: ['versions'],
        summary: '两个日期（或年度快照）之间的差异：新增、灭失与变更的图斑及其变化的属性 / the difference between two days or snapshots',
        querystring: Type.Object({
          from: DayParam,
          to: DayParam,
          layer: Type.Optional(LayerParam),
          districtCode: Type.Optional(DistrictParam),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 1000, description: 'entries per list at most; the counts are always complete' })),
        }),
        response: {
          200: Type.Object({
            layer: Type.String(),
            from: Type.String(),
            to: Type.String(),
            counts: Type.Object({ added: Type.Integer(), retired: Type.Integer(), changed: Type.Integer() }),
            added: Type.Array(DiffEntrySchema),
            retired: Type.Array(DiffEntrySchema),
            changed: Type.Array(DiffEntrySchema),
            truncated: Type.Boolean(),
          }),
          ...errorResponses,
        },
      },
    },
    (request) =>
      asActor(app.db, request.actor, (tx) =>
        diffStates(tx, request.query.layer ?? 'land_use', parseDay(request.query.from), parseDay(request.query.to), request.query.districtCode ?? null, request.query.limit ?? 1000),
      ),
  );
};
