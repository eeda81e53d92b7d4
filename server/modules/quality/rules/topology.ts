// Topology rules: overlaps between parcels, parcels outside their district, permanent basic
// farmland off cultivated land, slivers below the minimum mapping area. Gaps are in gaps.ts.
import { CHECKED_LAYERS, literal, numberParam, codesParam, type CheckedLayer, type RowRule, type SetRule, type SetRuleContext } from '../rule.ts';
import { usableGeometry, usableSources } from './parcels.ts';
import { GRID, GROUP, hasField, text } from './sql.ts';

const BOTH: readonly CheckedLayer[] = ['DLTB', 'YJJBNTTB'];
/** Edge of the grid cells the outside-district rule settles parcels by (degrees, about 500 m). */
const INNER_CELL_DEG = 0.005;

export const overlaps: SetRule = {
  kind: 'set',
  id: 'TOPO_OVERLAP',
  category: 'topology',
  severity: 'error',
  title: { zh: '图斑重叠', en: 'Overlapping parcels' },
  description: {
    zh: '同一图层的图斑之间不得重叠；报告每处重叠的面积与形状。',
    en: 'Parcels of a layer must not overlap; each overlap is reported with its area and shape.',
  },
  // A vertex a district's GIS put on a neighbour's edge in Gauss-Kruger metres lies a fraction of a
  // millimetre off that edge once both are in longitude/latitude: overlaps thinner than minWidthM
  // are that reprojection, not two parcels claiming the same land.
  params: { minAreaM2: 0.01, minWidthM: 0.01 },
  paramSpecs: {
    minAreaM2: { type: 'number', minimum: 0, description: { zh: '报告的最小重叠面积（平方米）', en: 'smallest overlap reported (m²)' } },
    minWidthM: { type: 'number', minimum: 0, description: { zh: '报告的最小重叠平均宽度（米）', en: 'smallest mean width of an overlap reported (m)' } },
  },
  layers: BOTH,
  async run(context) {
    const minArea = literal(numberParam(context.params, 'minAreaM2'));
    const minWidth = literal(numberParam(context.params, 'minWidthM'));
    for (const layer of context.layers) {
      const [valid, repaired] = usableSources(context, layer);
      const notFaulty = repaired ? `AND b.record_no NOT IN (SELECT record_no FROM ${context.scratch.faults} WHERE layer = ${text(layer.code)})` : '';
      const twins = layer.code === 'YJJBNTTB' ? await cleanTwins(context) : null;
      // Pairs over the spatial index whose interiors intersect (DE-9IM II = 2): the same test as
      // a bare self-join; the overlap's shape and area are computed only for those.
      const pairs = [
        twins
          ? // Only pairs with at least one farmland parcel that is not a clean twin (see cleanTwins);
            // the lonely ones are set apart first, or the planner joins everything and filters late.
            `WITH lonely AS MATERIALIZED (
               SELECT a.* FROM ${valid} a WHERE NOT EXISTS (SELECT 1 FROM ${twins} t WHERE t.record_no = a.record_no))
             SELECT ${FIRST_OF_PAIR}
               FROM lonely a
               JOIN ${layer.table} b ON b.geom && a.geom AND b.submission_id = $1 AND b.record_no <> a.record_no
              WHERE (EXISTS (SELECT 1 FROM ${twins} t WHERE t.record_no = b.record_no) OR a.record_no < b.record_no)
                AND ST_Relate(a.geom, b.geom, '2********') ${notFaulty}`
          : `SELECT ${FIRST_OF_PAIR}
               FROM ${valid} a JOIN ${layer.table} b ON b.geom && a.geom AND b.submission_id = $1 AND a.record_no < b.record_no
              WHERE ST_Relate(a.geom, b.geom, '2********') ${notFaulty}`,
      ];
      if (repaired) {
        pairs.push(`SELECT ${FIRST_OF_PAIR}
                      FROM ${repaired} a JOIN ${valid} b ON b.geom && a.geom
                     WHERE ST_Relate(a.geom, b.geom, '2********')`);
        pairs.push(`SELECT ${FIRST_OF_PAIR}
                      FROM ${repaired} a JOIN ${repaired} b ON b.geom && a.geom AND a.record_no < b.record_no
                     WHERE ST_Relate(a.geom, b.geom, '2********')`);
      }
      for (const source of pairs) {
        await context.insertFindings(
          `WITH pairs AS MATERIALIZED (${source}),
                shaped AS (SELECT *, ST_CollectionExtract(ST_Intersection(ga, gb, ${GRID}), 3) AS ix FROM pairs),
                measured AS (SELECT *, ST_Area(ix::geography, true) AS area FROM shaped)
           SELECT $2::text, ra, ba, bb,
                  format('与图斑 %s（第 %s 条）重叠 %s 平方米', coalesce(bb, '无标识码'), rb, round(area::numeric, 2)),
                  format('overlaps parcel %s (record %s) by %s m²', coalesce(bb, 'without BSM'), rb, round(area::numeric, 2)),
                  jsonb_build_object('areaM2', round(area::numeric, 2), 'otherRecordNo', rb), ix
             FROM measured WHERE area >= ${minArea} AND 2 * area / nullif(ST_Perimeter(ix::geography, true), 0) >= ${minWidth}`,
          [context.submissionId, layer.code],
        );
      }
    }
  },
};

/** A pair's columns with the lower record number first, whichever side found it. */
const FIRST_OF_PAIR = `CASE WHEN a.record_no < b.record_no THEN a.record_no ELSE b.record_no END AS ra,
  CASE WHEN a.record_no < b.record_no THEN a.bsm ELSE b.bsm END AS ba,
  CASE WHEN a.record_no < b.record_no THEN b.record_no ELSE a.record_no END AS rb,
  CASE WHEN a.record_no < b.record_no THEN b.bsm ELSE a.bsm END AS bb,
  CASE WHEN a.record_no < b.record_no THEN a.geom ELSE b.geom END AS ga,
  CASE WHEN a.record_no < b.record_no THEN b.geom ELSE a.geom END AS gb`;

/**
 * Two farmland parcels whose twins (scratch.ts: the DLTB parcel of the very same geometry) are two
 * DLTB parcels the DLTB pass found overlapping nothing overlap exactly as much as their twins do:
 * not at all, or less than the smallest overlap reported. Such pairs need no ST_Relate. Returns a
 * temporary table of those clean twins, or null when the package has no twins table.
 */
async function cleanTwins(context: SetRuleContext): Promise<string | null> {
  if (!context.scratch.twins) return null;
  await context.exec(`DROP TABLE IF EXISTS qc_clean_twins`);
  await context.exec(
    `CREATE TEMP TABLE qc_clean_twins ON COMMIT DROP AS
       SELECT record_no FROM ${context.scratch.twins}
        WHERE twin NOT IN (SELECT record_no FROM qc_findings WHERE run_id = $1 AND rule_id = 'TOPO_OVERLAP' AND layer = 'DLTB'
                           UNION ALL SELECT (details->>'otherRecordNo')::int FROM qc_findings WHERE run_id = $1 AND rule_id = 'TOPO_OVERLAP' AND layer = 'DLTB')`,
    [context.runId],
  );
  await context.exec(`ALTER TABLE qc_clean_twins ADD PRIMARY KEY (record_no); ANALYZE qc_clean_twins`);
  return 'qc_clean_twins';
}

export const outsideDistrict: SetRule = {
  kind: 'set',
  id: 'TOPO_OUTSIDE_DISTRICT',
  category: 'topology',
  severity: 'error',
  title: { zh: '图斑超出本区界线', en: 'Parcel outside its district' },
  description: {
    zh: '图斑应位于上传成果的区的界线之内；超出部分（平均宽度超过容差）报告其面积、形状及所落入的区。',
    en: 'Parcels must lie inside the uploading district; a part outside (wider on average than the tolerance) is reported with its area, shape and the district it falls in.',
  },
  params: { toleranceM: 0.05, minAreaM2: 0.01 },
  paramSpecs: {
    toleranceM: { type: 'number', minimum: 0, description: { zh: '界线容差：超出部分的最小平均宽度（米）', en: 'boundary tolerance: smallest mean width of a part outside (m)' } },
    minAreaM2: { type: 'number', minimum: 0, description: { zh: '报告的最小超出面积（平方米）', en: 'smallest part outside reported (m²)' } },
  },
  layers: BOTH,
  async run(context) {
    // The district as small indexed pieces (its area, and its outline): a parcel that does not
    // cross the outline is wholly inside or wholly outside, told by one vertex; only parcels that
    // cross it are cut against the few pieces around them. A million-vertex-heavy ST_Covers
    // against the whole outline per parcel is what this avoids.
    await context.exec(`DROP TABLE IF EXISTS qc_district_area, qc_district_line`);
    await context.exec(`CREATE TEMP TABLE qc_district_area ON COMMIT DROP AS SELECT ST_Subdivide(boundary, 64) AS g FROM admin_units WHERE code = $1`, [context.districtCode]);
    await context.exec(`CREATE TEMP TABLE qc_district_line ON COMMIT DROP AS SELECT ST_Subdivide(ST_Boundary(boundary), 32) AS g FROM admin_units WHERE code = $1`, [context.districtCode]);
    await context.exec(`CREATE INDEX ON qc_district_area USING gist (g); CREATE INDEX ON qc_district_line USING gist (g); ANALYZE qc_district_area; ANALYZE qc_district_line`);
    // Cells wholly inside the district, on two grids offset by half a cell: a parcel whose box
    // lies in one cell is inside, told by arithmetic on its box and a hash lookup, with no
    // geometry test. That settles most parcels (a parcel astride a line of one grid usually lies
    // within a cell of the other).
    const cell = INNER_CELL_DEG;
    const [origin] = await context.exec(`SELECT ST_XMin(boundary) AS x0, ST_YMin(boundary) AS y0 FROM admin_units WHERE code = $1`, [context.districtCode]);
    const x0 = Number(origin!.x0);
    const y0 = Number(origin!.y0);
    await context.exec(`DROP TABLE IF EXISTS qc_inner_cells`);
    await context.exec(
      `CREATE TEMP TABLE qc_inner_cells ON COMMIT DROP AS
         SELECT shift.grid, i::bigint * 1000000 + j AS key FROM admin_units d,
                LATERAL (VALUES (0, 0.0), (1, 0.5)) AS shift(grid, k),
                LATERAL generate_series(-1, floor((ST_XMax(d.boundary) - $2) / ${cell})::int) AS i,
                LATERAL generate_series(-1, floor((ST_YMax(d.boundary) - $3) / ${cell})::int) AS j
          WHERE d.code = $1
            AND ST_ContainsProperly(d.boundary, ST_MakeEnvelope($2 + (i + shift.k) * ${cell}, $3 + (j + shift.k) * ${cell},
                                                                $2 + (i + 1 + shift.k) * ${cell}, $3 + (j + 1 + shift.k) * ${cell}, 4490))`,
      [context.districtCode, x0, y0],
    );
    await context.exec(`ANALYZE qc_inner_cells`);
    const inCell = (grid: 0 | 1) => {
      const gx = x0 + grid * 0.5 * cell;
      const gy = y0 + grid * 0.5 * cell;
      const i = (bound: string) => `floor((${bound}(bb.b) - ${gx}::float8) / ${cell})`;
      const j = (bound: string) => `floor((${bound}(bb.b) - ${gy}::float8) / ${cell})`;
      return `(${i('ST_XMin')} = ${i('ST_XMax')} AND ${j('ST_YMin')} = ${j('ST_YMax')}
               AND (${i('ST_XMin')}::bigint * 1000000 + ${j('ST_YMin')}::bigint) IN (SELECT key FROM qc_inner_cells WHERE grid = ${grid}))`;
    };
    const vertex = (alias: string) => `ST_PointN(ST_ExteriorRing(ST_GeometryN(${alias}.geom, 1)), 1)`;
    for (const layer of context.layers) {
      for (const source of usableSources(context, layer)) {
        await context.insertFindings(
          // MATERIALIZED keeps each step where it is written: left to itself the planner pushes
          // the overlays of the last steps down into scans of every parcel.
          `WITH crossing AS MATERIALIZED (
                  SELECT DISTINCT ON (s.record_no) s.record_no, s.bsm, s.geom
                    FROM ${source} s JOIN qc_district_line l ON l.g && s.geom AND ST_Intersects(l.g, s.geom)
                   ORDER BY s.record_no),
                whole_outside AS MATERIALIZED (
                  SELECT s.record_no, s.bsm, s.geom FROM ${source} s CROSS JOIN LATERAL (SELECT Box2D(s.geom) AS b) bb
                   WHERE NOT ${inCell(0)} AND NOT ${inCell(1)}
                     AND s.record_no NOT IN (SELECT record_no FROM crossing)
                     AND NOT EXISTS (SELECT 1 FROM qc_district_area d WHERE d.g && ${vertex('s')} AND ST_Intersects(d.g, ${vertex('s')}))),
                -- A crossing parcel's area outside is its area less its parts in each piece (the
                -- pieces tile the district without overlap), so only parcels really outside are cut.
                inside AS MATERIALIZED (
                  SELECT c.record_no, c.bsm, c.geom,
                         (SELECT sum(ST_Area(ST_CollectionExtract(ST_Intersection(c.geom, d.g, ${GRID}), 3)::geography, true))
                            FROM qc_district_area d WHERE d.g && c.geom) AS area
                    FROM crossing c),
                beyond AS MATERIALIZED (
                  SELECT i.record_no, i.bsm, i.geom, ST_Area(i.geom::geography, true) AS whole FROM inside i
                   WHERE ST_Area(i.geom::geography, true) - i.area >= ${literal(numberParam(context.params, 'minAreaM2'))}),
                measured AS MATERIALIZED (
                  SELECT w.record_no, w.bsm, w.geom, w.geom AS part, ST_Area(w.geom::geography, true) AS area,
                         ST_Perimeter(w.geom::geography, true) AS perimeter, ST_Area(w.geom::geography, true) AS whole
                    FROM whole_outside w
                  UNION ALL
                  SELECT c.record_no, c.bsm, c.geom, c.part, ST_Area(c.part::geography, true), ST_Perimeter(c.part::geography, true), c.whole
                    FROM (SELECT b.*, ST_CollectionExtract(ST_Difference(b.geom, coalesce((SELECT ST_Union(d.g, ${GRID}) FROM qc_district_area d WHERE d.g && b.geom), 'SRID=4490;POLYGON EMPTY'::geometry), ${GRID}), 3) AS part
                            FROM beyond b) c
                   WHERE NOT ST_IsEmpty(c.part)),
                kept AS (SELECT m.*, (SELECT u.code || ' ' || u.name FROM admin_units u
                                       WHERE u.level = 'district' AND u.code <> $2 AND ST_Intersects(u.boundary, ST_PointOnSurface(m.part)) LIMIT 1) AS other
                           FROM measured m
                          WHERE m.area >= ${literal(numberParam(context.params, 'minAreaM2'))} AND 2 * m.area / nullif(m.perimeter, 0) >= ${literal(numberParam(context.params, 'toleranceM'))})
           SELECT $3::text, record_no, bsm, NULL::text,
                  format('图斑有 %s 平方米（%s%%）位于本区界线之外%s', round(area::numeric, 2), round((100 * area / nullif(whole, 0))::numeric, 1),
                         CASE WHEN other IS NOT NULL THEN '，落入 ' || other ELSE '' END),
                  format('%s m² (%s%%) of the parcel lies outside the district%s', round(area::numeric, 2), round((100 * area / nullif(whole, 0))::numeric, 1),
                         CASE WHEN other IS NOT NULL THEN ', in ' || other ELSE '' END),
                  jsonb_build_object('outsideAreaM2', round(area::numeric, 2), 'share', round((area / nullif(whole, 0))::numeric, 4), 'otherDistrict', other),
                  part
             FROM kept`,
          [context.submissionId, context.districtCode, layer.code],
        );
      }
    }
  },
};

export const farmlandOnCultivated: SetRule = {
  kind: 'set',
  id: 'TOPO_FARMLAND_ON_CULTIVATED',
  // a change package holds only what changed: the whole district is checked after applying it
  packages: ['baseline'],
  category: 'topology',
  severity: 'error',
  title: { zh: '永久基本农田不在耕地上', en: 'Permanent basic farmland off cultivated land' },
  description: {
    zh: '永久基本农田图斑必须落在耕地（01 类）地类图斑上；报告不在耕地上的部分及其所在地类。',
    en: 'Permanent basic farmland must lie on cultivated (class 01) land-use parcels; the part that does not is reported with the classes it lies on.',
  },
  params: { toleranceM2: 0.01 },
  paramSpecs: { toleranceM2: { type: 'number', minimum: 0, description: { zh: '允许不在耕地上的面积（平方米）', en: 'area allowed off cultivated land (m²)' } } },
  layers: ['YJJBNTTB'],
  async run(context) {
    if (!context.layers.some((layer) => layer.code === 'YJJBNTTB')) return;
    const farmland = CHECKED_LAYERS.YJJBNTTB;
    const landUse = CHECKED_LAYERS.DLTB;
    const d = usableGeometry(context, landUse, 'd');
    for (const source of usableSources(context, farmland)) {
      // Most farmland parcels are drawn from a 耕地 parcel with the very same geometry (their twin,
      // scratch.ts), or one whose box and geometry match exactly over the index: those need no overlay.
      await context.insertFindings(
        `WITH open AS MATERIALIZED (
           SELECT f.* FROM ${source} f
            WHERE ${
              context.scratch.twins
                ? `NOT EXISTS (SELECT 1 FROM ${context.scratch.twins} t WHERE t.record_no = f.record_no AND left(t.twin_dlbm, 2) = '01')`
                : 'true'
            }
              AND NOT EXISTS (SELECT 1 FROM ${landUse.table} e WHERE e.submission_id = $1 AND e.geom ~= f.geom AND e.geom = f.geom AND left(e.dlbm, 2) = '01')),
         covered AS MATERIALIZED (
           SELECT o.*, c.cultivated, c.classes FROM open o
           CROSS JOIN LATERAL (
             SELECT ST_Union(${d.geom}, ${GRID}) FILTER (WHERE left(d.dlbm, 2) = '01') AS cultivated,
                    array_agg(DISTINCT d.dlbm) FILTER (WHERE left(d.dlbm, 2) IS DISTINCT FROM '01') AS classes
               FROM ${landUse.table} d ${d.join}
              WHERE d.submission_id = $1 AND d.geom && o.geom AND ${d.usable} AND ST_Intersects(${d.geom}, o.geom)) c),
         uncovered AS (
           SELECT c.*, CASE WHEN c.cultivated IS NULL THEN c.geom ELSE ST_CollectionExtract(ST_Difference(c.geom, c.cultivated, ${GRID}), 3) END AS part FROM covered c),
         measured AS (SELECT u.*, ST_Area(u.part::geography, true) AS area FROM uncovered u WHERE NOT ST_IsEmpty(u.part))
         SELECT 'YJJBNTTB', record_no, bsm, NULL::text,
                format('永久基本农田图斑有 %s 平方米不在耕地图斑上%s', round(area::numeric, 2),
                       CASE WHEN classes IS NOT NULL THEN '（所在地类 ' || array_to_string(classes, '、') || '）' ELSE '' END),
                format('%s m² of the permanent basic farmland parcel is not on cultivated land%s', round(area::numeric, 2),
                       CASE WHEN classes IS NOT NULL THEN ' (it lies on ' || array_to_string(classes, ', ') || ')' ELSE '' END),
                jsonb_build_object('areaM2', round(area::numeric, 2), 'landUseClasses', to_jsonb(classes)), part
           FROM measured WHERE area > ${literal(numberParam(context.params, 'toleranceM2'))}`,
        [context.submissionId],
      );
    }
  },
};

export const slivers: RowRule = {
  kind: 'row',
  id: 'TOPO_SLIVER',
  category: 'topology',
  severity: 'warning',
  title: { zh: '图斑小于最小上图面积', en: 'Sliver below the minimum mapping area' },
  description: {
    zh: '图斑面积不得小于最小上图面积：建设用地和设施农用地 200 平方米，农用地（设施农用地除外）400 平方米，其他地类 600 平方米（可按调查配置）。',
    en: 'A parcel must not be smaller than the minimum mapping area: 200 m² for construction and facility agriculture, 400 m² for other agricultural land, 600 m² for the rest (configurable per survey).',
  },
  params: {
    constructionM2: 200,
    agriculturalM2: 400,
    otherM2: 600,
    constructionGroups: ['05', '06', '07', '08', '09', '10'],
    constructionClasses: ['1201', '1202'],
    agriculturalGroups: ['01', '02', '03', '04'],
  },
  paramSpecs: {
    constructionM2: { type: 'number', minimum: 0, description: { zh: '建设用地和设施农用地（平方米）', en: 'construction and facility agriculture (m²)' } },
    agriculturalM2: { type: 'number', minimum: 0, description: { zh: '农用地（平方米）', en: 'agricultural land (m²)' } },
    otherM2: { type: 'number', minimum: 0, description: { zh: '其他地类（平方米）', en: 'other classes (m²)' } },
    constructionGroups: { type: 'codes', description: { zh: '建设用地一级类', en: 'construction class groups' } },
    constructionClasses: { type: 'codes', description: { zh: '另按建设用地计的地类', en: 'further classes counted as construction' } },
    agriculturalGroups: { type: 'codes', description: { zh: '农用地一级类', en: 'agricultural class groups' } },
  },
  layers: ['DLTB'],
  sql(context) {
    if (!hasField(context, 'dlbm')) return null;
    const p = context.params;
    const threshold = `(CASE WHEN ${GROUP} = ANY(${literal(codesParam(p, 'constructionGroups'))}) OR s.dlbm = ANY(${literal(codesParam(p, 'constructionClasses'))}) THEN ${literal(numberParam(p, 'constructionM2'))}
      WHEN ${GROUP} = ANY(${literal(codesParam(p, 'agriculturalGroups'))}) THEN ${literal(numberParam(p, 'agriculturalM2'))}
      ELSE ${literal(numberParam(p, 'otherM2'))} END)`;
    return {
      when: `${context.geometryUsable} AND s.area_m2 < ${threshold}`,
      zh: `format('图斑面积 %s 平方米小于地类 %s 的最小上图面积 %s 平方米', s.area_m2, coalesce(s.dlbm, '空'), ${threshold})`,
      en: `format('%s m² is below the minimum mapping area of %s m² for class %s', s.area_m2, ${threshold}, coalesce(s.dlbm, 'empty'))`,
      details: `jsonb_build_object('areaM2', s.area_m2, 'minimumM2', ${threshold}, 'dlbm', s.dlbm)`,
      geom: 's.geom',
    };
  },
};

export const topologyRules = [overlaps, outsideDistrict, farmlandOnCultivated, slivers];
