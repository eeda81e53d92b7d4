// Change-package rules (变更调查): what must hold before a change package can be applied over the
// parcels as they stand. The change fields (BGQBSM, BGRQ, BGLX) are read with the SQL functions of
// migrations/0009. "Current" means the parcel's open version: a change replaces the state as it
// is now, never a past one.
import { LAYER_BY_CODE } from '../../versions/layers.ts';
import { CHECKED_LAYERS, literal, numberParam, type CheckedLayer, type SetRule, type SetRuleContext } from '../rule.ts';
import { usableSources } from './parcels.ts';
import { GRID, text } from './sql.ts';

const ALL: readonly CheckedLayer[] = ['DLTB', 'YJJBNTTB', 'ZD'];

function versionsTable(code: CheckedLayer): string {
  return LAYER_BY_CODE[code]!.versions;
}

/** Where a finding without geometry of its own is shown: the record's parcel, else the predecessor's. */
const SHOWN_AT = `coalesce(ST_PointOnSurface(x.geom), x.at)`;

export const changeDate: SetRule = {
  kind: 'set',
  id: 'CHG_DATE',
  category: 'logic',
  severity: 'error',
  packages: ['change'],
  title: { zh: '变更日期缺失或不在调查年度内', en: 'Change date missing or outside the survey year' },
  description: {
    zh: '变更记录须有变更日期（BGRQ）：土地利用变更调查的日期须在调查年度内，且须晚于已冻结的最后一个年度快照（12月31日）。',
    en: 'Every change record needs its change date (BGRQ): within the survey year for a land-use change survey, and after the last frozen snapshot (31 December).',
  },
  params: {},
  paramSpecs: {},
  layers: ALL,
  async run(context) {
    const change = context.change;
    if (!change) return;
    const inYear = change.surveyKind === 'land_use_change';
    for (const layer of context.layers) {
      await context.insertFindings(
        `SELECT $2::text, x.record_no, x.bsm::text, NULL::text,
                CASE WHEN x.raw IS NULL THEN '缺少变更日期（BGRQ）'
                     WHEN x.d IS NULL THEN format('变更日期“%s”不是有效日期（应为 YYYY-MM-DD 或 YYYYMMDD）', x.raw)
                     WHEN $4::date IS NOT NULL AND x.d <= $4::date THEN format('变更日期 %s 不晚于已冻结的快照（%s），冻结后的更正应作为以后年度的变更', x.d, $4::date)
                     ELSE format('变更日期 %s 不在调查年度 %s 年内', x.d, $3::int) END,
                CASE WHEN x.raw IS NULL THEN 'no change date (BGRQ)'
                     WHEN x.d IS NULL THEN format('change date "%s" is not a date (YYYY-MM-DD or YYYYMMDD)', x.raw)
                     WHEN $4::date IS NOT NULL AND x.d <= $4::date THEN format('change date %s is not after the frozen snapshot (%s): record a late correction as a change of a later year', x.d, $4::date)
                     ELSE format('change date %s is outside the survey year %s', x.d, $3::int) END,
                jsonb_build_object('BGRQ', x.raw, 'surveyYear', $3::int, 'frozenThrough', $4::date),
                ST_PointOnSurface(x.geom)
           FROM (SELECT s.record_no, s.bsm, s.geom, change_attr(s.extra_attributes, 'BGRQ') AS raw, change_date(s.extra_attributes) AS d
                   FROM ${layer.table} s WHERE s.submission_id = $1) x
          WHERE x.d IS NULL OR ($4::date IS NOT NULL AND x.d <= $4::date) OR (${inYear} AND extract(year FROM x.d)::int <> $3::int)`,
        [context.submissionId, layer.code, change.year, change.frozenThrough],
      );
    }
  },
};

export const changePredecessors: SetRule = {
  kind: 'set',
  id: 'CHG_PREDECESSOR',
  category: 'logic',
  severity: 'error',
  packages: ['change'],
  title: { zh: '变更前图斑不存在或非现状', en: 'Predecessor missing or not current' },
  description: {
    zh: '变更前标识码（BGQBSM）与灭失记录的标识码须是本区现状图斑（未被变更或灭失），其起始日期早于变更日期，且同一图斑只能在一个日期被替代；新图斑的标识码不得与其变更前图斑以外的现状图斑重复。',
    en: 'Every predecessor BSM (BGQBSM) and every retired BSM must name a current parcel of the district (not yet replaced or retired) that began before the change date, replaced on one date only; a new version may not take the BSM of a current parcel other than its predecessors.',
  },
  params: {},
  paramSpecs: {},
  layers: ALL,
  async run(context) {
    for (const layer of context.layers) {
      const versions = versionsTable(layer.code);
      await context.exec(`DROP TABLE IF EXISTS qc_named`);
      // Every (record, predecessor BSM) the package names, with the current version of that BSM.
      await context.exec(
        `CREATE TEMP TABLE qc_named ON COMMIT DROP AS
           SELECT n.record_no, n.bsm, n.geom, n.d, n.retires, n.named,
                  v.version_id, v.valid_from, v.geom AS at,
                  (SELECT max(valid_to) FROM ${versions} c WHERE c.district_code = $2 AND c.bsm = n.named AND c.valid_to IS NOT NULL) AS closed_on
             FROM (SELECT s.record_no, s.bsm, s.geom, change_date(s.extra_attributes) AS d, change_retires(s.extra_attributes) AS retires,
                          unnest(CASE WHEN change_retires(s.extra_attributes) THEN ARRAY[s.bsm::text] ELSE change_predecessors(s.extra_attributes) END) AS named
                     FROM ${layer.table} s WHERE s.submission_id = $1) n
             LEFT JOIN ${versions} v ON v.district_code = $2 AND v.bsm = n.named AND v.valid_to IS NULL`,
        [context.submissionId, context.districtCode],
      );
      await context.insertFindings(
        `SELECT $1::text, x.record_no, x.bsm::text, left(x.named, 18),
                CASE WHEN x.version_id IS NULL AND x.closed_on IS NULL THEN format('变更前图斑 %s 在本区不存在', x.named)
                     WHEN x.version_id IS NULL THEN format('变更前图斑 %s 已于 %s 被变更或灭失，不是现状图斑', x.named, x.closed_on)
                     ELSE format('变更日期 %s 不晚于变更前图斑 %s 的起始日期 %s', x.d, x.named, x.valid_from) END,
                CASE WHEN x.version_id IS NULL AND x.closed_on IS NULL THEN format('predecessor %s does not exist in the district', x.named)
                     WHEN x.version_id IS NULL THEN format('predecessor %s was replaced or retired on %s: it is not current', x.named, x.closed_on)
                     ELSE format('change date %s is not after predecessor %s began (%s)', x.d, x.named, x.valid_from) END,
                jsonb_build_object('predecessor', x.named, 'closedOn', x.closed_on, 'validFrom', x.valid_from),
                ${SHOWN_AT}
           FROM qc_named x
          WHERE x.version_id IS NULL OR (x.d IS NOT NULL AND x.d <= x.valid_from)`,
        [layer.code],
      );
      // One parcel replaced on two different dates, or both retired and replaced.
      await context.insertFindings(
        `SELECT $1::text, x.record_no, x.bsm::text, left(x.named, 18),
                format('图斑 %s 被多条记录以不同日期或方式替代（%s）', x.named, x.how),
                format('parcel %s is replaced by several records on different dates or in different ways (%s)', x.named, x.how),
                jsonb_build_object('predecessor', x.named, 'records', x.records), ${SHOWN_AT}
           FROM (SELECT n.*, c.how, c.records FROM qc_named n
                   JOIN (SELECT named, string_agg(DISTINCT coalesce(d::text, '?') || CASE WHEN retires THEN ' 灭失' ELSE '' END, ', ') AS how,
                                jsonb_agg(record_no ORDER BY record_no) AS records
                           FROM qc_named GROUP BY named
                          HAVING count(DISTINCT coalesce(d::text, '?')) > 1 OR (bool_or(retires) AND count(*) > 1)) c ON c.named = n.named) x`,
        [layer.code],
      );
      // A new version that takes the BSM of a current parcel it does not replace. The package's
      // records are filtered first, once (a materialized step): joined plainly, the planner put the
      // staged scan inside a nested loop over the district's current versions and evaluated the
      // jsonb functions for every pair (17 s for 87 records against 4,017 versions, embedded).
      await context.insertFindings(
        `WITH taken AS MATERIALIZED (
           SELECT s.record_no, s.bsm, s.geom FROM ${layer.table} s
            WHERE s.submission_id = $1 AND NOT change_retires(s.extra_attributes)
              AND NOT s.bsm::text = ANY(change_predecessors(s.extra_attributes))
              AND NOT EXISTS (SELECT 1 FROM qc_named n WHERE n.named = s.bsm::text))
         SELECT $3::text, s.record_no, s.bsm::text, NULL::text,
                format('标识码 %s 已属于本区现状图斑，但本记录未将其列为变更前图斑', s.bsm),
                format('BSM %s belongs to a current parcel this record does not name as its predecessor', s.bsm),
                jsonb_build_object('bsm', s.bsm), coalesce(ST_PointOnSurface(s.geom), ST_PointOnSurface(v.geom))
           FROM taken s JOIN ${versions} v ON v.district_code = $2 AND v.bsm = s.bsm AND v.valid_to IS NULL`,
        [context.submissionId, context.districtCode, layer.code],
      );
    }
  },
};

/**
 * The current versions a package's new DLTB parcels replace, with their geometry, as a FROM-source
 * (columns version_id, bsm, geom, area_m2). Parcels retired by a 灭失 record are not among them:
 * their land leaves the district's parcels on purpose, so it is neither a gap nor area to conserve.
 */
function replacedSource(): string {
  return `(SELECT DISTINCT v.version_id, v.bsm, v.geom, v.area_m2
             FROM (SELECT unnest(change_predecessors(s.extra_attributes)) AS named
                     FROM staged_land_use_parcels s WHERE s.submission_id = $1 AND NOT change_retires(s.extra_attributes)) n
             JOIN land_use_parcels v ON v.district_code = $2 AND v.bsm = n.named AND v.valid_to IS NULL)`;
}

/** Whether the package declares a boundary change (BGLX 界线调整) on any record. */
async function declaresBoundaryChange(context: SetRuleContext): Promise<boolean> {
  const [row] = await context.exec(
    `SELECT EXISTS (SELECT 1 FROM staged_land_use_parcels s WHERE s.submission_id = $1 AND change_moves_boundary(s.extra_attributes)) AS declared`,
    [context.submissionId],
  );
  return Boolean(row?.declared);
}

export const changeCoverage: SetRule = {
  kind: 'set',
  id: 'CHG_COVERAGE',
  category: 'topology',
  severity: 'error',
  packages: ['change'],
  title: { zh: '变更后出现缝隙或与未变更图斑重叠', en: 'Change leaves a gap or overlaps unchanged parcels' },
  description: {
    zh: '变更后的地类图斑仍须无缝覆盖本区：新图斑不得超出其所替代图斑的范围（即不得压盖未变更图斑），被替代图斑的范围须被新图斑完全覆盖；声明界线调整（BGLX 界线调整）时除外。未列出任何变更前图斑、而半数以上新图斑落在现状图斑上的成果包不是变更成果，只报告一条问题。',
    en: 'After the change the land-use parcels must still cover the district without gaps or overlaps: new parcels stay within the parcels they replace (so they overlap no unchanged parcel), and the parcels replaced are wholly covered by new ones, unless a boundary change is declared (BGLX 界线调整). A package that names no predecessor while half or more of its new parcels lie on current parcels is not a change package: one finding says so.',
  },
  // A piece cut from a parcel has its new vertices on the parent's geodesic edges (where the
  // ellipsoidal area puts them), which in the stored longitude/latitude lie a fraction of a
  // millimetre off the parent's straight edge: slivers thinner than minWidthM are that, not a change.
  params: { minAreaM2: 0.1, minWidthM: 0.01 },
  paramSpecs: {
    minAreaM2: { type: 'number', minimum: 0, description: { zh: '报告的最小面积（平方米）', en: 'smallest area reported (m²)' } },
    minWidthM: { type: 'number', minimum: 0, description: { zh: '报告的最小平均宽度（米）', en: 'smallest mean width reported (m)' } },
  },
  layers: ['DLTB'],
  async run(context) {
    if (!context.layers.some((layer) => layer.code === 'DLTB')) return;
    const declared = await declaresBoundaryChange(context);
    const minArea = literal(numberParam(context.params, 'minAreaM2'));
    const minWidth = literal(numberParam(context.params, 'minWidthM'));
    /** SQL: the piece `g` with area `area` is big and wide enough to report (mean width 2A/P). */
    const reportable = (g: string, area: string) => `${area} >= ${minArea} AND 2 * ${area} / nullif(ST_Perimeter(${g}::geography, true), 0) >= ${minWidth}`;
    await stageCoverageTables(context);
    if (await misfiledBaseline(context)) return;
    // A new parcel identical to one it replaces (a reclassification) reaches nowhere: no overlay.
    const identical = (a: string, b: string) => `${b}.geom ~= ${a}.geom AND ${b}.geom = ${a}.geom`;
    // New parcels reaching beyond what they replace: over unchanged parcels (an overlap) or,
    // without a declared boundary change, over land the district did not cover.
    await context.insertFindings(
      `WITH beyond AS (
              SELECT a.record_no, a.bsm, ST_CollectionExtract(ST_Difference(a.geom,
                     coalesce((SELECT ST_Union(r.geom, ${GRID}) FROM qc_replaced r WHERE r.geom && a.geom), 'SRID=4490;POLYGON EMPTY'::geometry), ${GRID}), 3) AS g
                FROM qc_added a WHERE NOT EXISTS (SELECT 1 FROM qc_replaced r WHERE ${identical('a', 'r')})),
            measured AS (SELECT b.*, ST_Area(b.g::geography, true) AS area,
                                -- by the area they share (snap-rounded pieces may cross a neighbour's edge by a hair)
                                (SELECT string_agg(u.bsm, ', ' ORDER BY u.bsm) FROM land_use_parcels u
                                  WHERE u.district_code = $1 AND u.valid_to IS NULL AND u.geom && b.g
                                    AND NOT EXISTS (SELECT 1 FROM qc_replaced r WHERE r.version_id = u.version_id)
                                    AND ST_Area(ST_Intersection(u.geom, b.g, ${GRID})::geography, true) >= ${minArea}) AS unchanged
                           FROM beyond b WHERE NOT ST_IsEmpty(b.g))
       SELECT 'DLTB', m.record_no, m.bsm::text, left(split_part(m.unchanged, ', ', 1), 18),
              CASE WHEN m.unchanged IS NOT NULL THEN format('新图斑超出其变更前图斑 %s 平方米，压盖未变更图斑 %s', round(m.area::numeric, 2), m.unchanged)
                   ELSE format('新图斑超出其变更前图斑 %s 平方米（原非本区图斑覆盖的范围）', round(m.area::numeric, 2)) END,
              CASE WHEN m.unchanged IS NOT NULL THEN format('the new parcel reaches %s m² beyond its predecessors, over unchanged parcels %s', round(m.area::numeric, 2), m.unchanged)
                   ELSE format('the new parcel reaches %s m² beyond its predecessors, over land no parcel of the district covered', round(m.area::numeric, 2)) END,
              jsonb_build_object('areaM2', round(m.area::numeric, 2), 'unchangedParcels', m.unchanged), ST_Multi(m.g)
         FROM measured m WHERE ${reportable('m.g', 'm.area')} AND (m.unchanged IS NOT NULL OR NOT $2::boolean)`,
      [context.districtCode, declared],
    );
    if (declared) return;
    // Land the replaced parcels covered that no new parcel covers: a gap.
    await context.insertFindings(
      `WITH uncovered AS (
              SELECT r.bsm, ST_CollectionExtract(ST_Difference(r.geom,
                     coalesce((SELECT ST_Union(a.geom, ${GRID}) FROM qc_added a WHERE a.geom && r.geom), 'SRID=4490;POLYGON EMPTY'::geometry), ${GRID}), 3) AS g
                FROM qc_replaced r WHERE NOT EXISTS (SELECT 1 FROM qc_added a WHERE ${identical('r', 'a')})),
            measured AS (SELECT u.*, ST_Area(u.g::geography, true) AS area FROM uncovered u WHERE NOT ST_IsEmpty(u.g))
       SELECT 'DLTB', NULL::int, m.bsm::text, NULL::text,
              format('被替代图斑 %s 有 %s 平方米未被任何新图斑覆盖（缝隙）', m.bsm, round(m.area::numeric, 2)),
              format('%s m² of replaced parcel %s is covered by no new parcel (a gap)', round(m.area::numeric, 2), m.bsm),
              jsonb_build_object('areaM2', round(m.area::numeric, 2), 'replaced', m.bsm), ST_Multi(m.g)
         FROM measured m WHERE ${reportable('m.g', 'm.area')}`,
    );
  },
};

/**
 * A package that replaces nothing, while at least half of its new parcels lie on the district's
 * current parcels, is not a change package: most likely a whole baseline uploaded under a change
 * survey. One finding says so, where measuring every parcel's overlap would report thousands and
 * take minutes (5.6 min for 4,091 parcels on the embedded engine, which serves nothing meanwhile).
 */
async function misfiledBaseline(context: SetRuleContext): Promise<boolean> {
  const [counts] = await context.exec(
    `SELECT (SELECT count(*) FROM qc_replaced)::int AS replaced, (SELECT count(*) FROM qc_added)::int AS added,
            (SELECT count(*) FROM qc_added a
              WHERE EXISTS (SELECT 1 FROM land_use_parcels u WHERE u.district_code = $1 AND u.valid_to IS NULL AND u.geom && a.geom
                               AND ST_Intersects(u.geom, ST_PointOnSurface(a.geom))))::int AS lying`,
    [context.districtCode],
  );
  const lying = Number(counts?.lying ?? 0);
  if (Number(counts?.replaced ?? 0) > 0 || lying === 0 || lying * 2 < Number(counts?.added ?? 0)) return false;
  await context.insertFindings(
    `SELECT 'DLTB', NULL::int, NULL::text, NULL::text,
            format('本成果包未列出任何变更前图斑（BGQBSM），却有 %s 个（共 %s 个）新图斑落在本区现状图斑上：它不是变更调查成果（可能是整套基础成果误传到变更调查任务）。请在正确的调查任务下上传，或为被替代的图斑填写 BGQBSM。', $1::int, $2::int),
            format('The package names no predecessor (BGQBSM), yet %s of its %s new parcels lie on current parcels of the district: it is not a change package (perhaps a whole baseline uploaded under a change survey). Upload it under the right survey, or give BGQBSM for the parcels it replaces.', $1::int, $2::int),
            jsonb_build_object('parcelsOnCurrent', $1::int, 'parcels', $2::int),
            (SELECT ST_Multi(ST_SetSRID(ST_Extent(a.geom)::geometry, 4490)) FROM qc_added a)`,
    [lying, Number(counts?.added ?? 0)],
  );
  return true;
}

/**
 * The two sides of the coverage check as indexed temporary tables (a CTE has no index, and a
 * 50,000-parcel package joined to itself by bounding box without one is quadratic):
 * qc_replaced, the current versions the package replaces; qc_added, its usable new parcels.
 */
async function stageCoverageTables(context: SetRuleContext): Promise<void> {
  const sources = usableSources(context, CHECKED_LAYERS.DLTB);
  await context.exec(`DROP TABLE IF EXISTS qc_replaced, qc_added`);
  await context.exec(`CREATE TEMP TABLE qc_replaced ON COMMIT DROP AS SELECT * FROM ${replacedSource()} x`, [context.submissionId, context.districtCode]);
  await context.exec(`CREATE TEMP TABLE qc_added ON COMMIT DROP AS ${sources.map((source) => `SELECT record_no, bsm, geom FROM ${source} z`).join(' UNION ALL ')}`, [context.submissionId]);
  await context.exec(`ALTER TABLE qc_replaced ADD PRIMARY KEY (version_id); CREATE INDEX ON qc_replaced USING gist (geom); CREATE INDEX ON qc_added USING gist (geom); ANALYZE qc_replaced; ANALYZE qc_added`);
}

export const changeAreaConserved: SetRule = {
  kind: 'set',
  id: 'CHG_AREA_CONSERVED',
  category: 'area',
  severity: 'error',
  packages: ['change'],
  title: { zh: '变更前后面积不守恒', en: 'Area not conserved by the change' },
  description: {
    zh: '新图斑的椭球面积之和应等于其所替代图斑的面积之和（灭失图斑除外），即除灭失外全区总面积不变；允许误差为固定值加上 0.01 × √图斑数；声明界线调整（BGLX 界线调整）时不检查。',
    en: "The new parcels' ellipsoidal areas must add up to those of the parcels they replace (retired ones aside), so the district's total changes by nothing but what is retired; tolerance a fixed amount plus 0.01 × √parcels; not checked when a boundary change is declared (BGLX 界线调整).",
  },
  params: { toleranceM2: 1 },
  paramSpecs: { toleranceM2: { type: 'number', minimum: 0, description: { zh: '固定允许误差（平方米）', en: 'fixed tolerance (m²)' } } },
  layers: ['DLTB'],
  async run(context) {
    if (!context.layers.some((layer) => layer.code === 'DLTB')) return;
    if (await declaresBoundaryChange(context)) return;
    await context.insertFindings(
      `WITH replaced AS ${replacedSource()},
            totals AS (SELECT (SELECT coalesce(sum(area_m2), 0) FROM replaced) AS before, (SELECT count(*) FROM replaced) AS n_before,
                              (SELECT coalesce(sum(area_m2), 0) FROM staged_land_use_parcels s
                                WHERE s.submission_id = $1 AND s.geom IS NOT NULL AND NOT change_retires(s.extra_attributes)) AS after,
                              (SELECT count(*) FROM staged_land_use_parcels s WHERE s.submission_id = $1 AND NOT change_retires(s.extra_attributes)) AS n_after)
       SELECT 'DLTB', NULL::int, NULL::text, NULL::text,
              format('新图斑面积之和 %s 平方米，被替代图斑面积之和 %s 平方米，相差 %s 平方米（未声明界线调整）', t.after, t.before, t.after - t.before),
              format('new parcels add up to %s m², the parcels they replace to %s m²: %s m² apart (no boundary change declared)', t.after, t.before, t.after - t.before),
              jsonb_build_object('afterM2', t.after, 'beforeM2', t.before, 'differenceM2', t.after - t.before),
              (SELECT ST_PointOnSurface(ST_Collect(geom)) FROM staged_land_use_parcels s WHERE s.submission_id = $1 AND s.geom IS NOT NULL)
         FROM totals t
        WHERE abs(t.after - t.before) > ${literal(numberParam(context.params, 'toleranceM2'))} + 0.01 * sqrt(t.n_before + t.n_after)`,
      [context.submissionId, context.districtCode],
    );
  },
};

export const changeRules: readonly SetRule[] = [changeDate, changePredecessors, changeCoverage, changeAreaConserved];
