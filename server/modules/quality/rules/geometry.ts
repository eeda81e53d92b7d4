// Geometry rules: validity as delivered and after the transform to EPSG:4490 (with the reason and
// where), multipart parcels.
import type { CheckedLayer, RowRule, SetRule } from '../rule.ts';
import { findSpike } from '../spikes.ts';

const BOTH: readonly CheckedLayer[] = ['DLTB', 'YJJBNTTB'];

/** GEOS's reasons (ST_IsValidDetail) and the reader's repairs, in both languages. */
const REASONS: Record<string, [string, string]> = {
  'Self-intersection': ['自相交', 'self-intersection'],
  'Ring Self-intersection': ['环自相交', 'ring self-intersection'],
  'Too few points': ['点数过少', 'too few points'],
  'Hole lies outside shell': ['内环位于外环之外', 'hole lies outside its shell'],
  'Nested holes': ['内环嵌套', 'nested holes'],
  'Interior is disconnected': ['内部不连通', 'interior is disconnected'],
  'Nested shells': ['外环嵌套', 'nested shells'],
  'Duplicate Rings': ['重复的环', 'duplicate rings'],
  'Invalid Coordinate': ['坐标无效', 'invalid coordinate'],
  'Ring is not closed': ['环未闭合', 'ring not closed'],
  spike: ['尖刺（环折返）', 'spike (the ring doubles back on itself)'],
  ring_not_closed: ['环未闭合（导入时已闭合）', 'ring not closed (closed on import)'],
  too_few_points: ['环点数少于 4 个（导入时已舍弃该环）', 'ring with fewer than 4 points (dropped on import)'],
  no_geometry: ['没有可用的几何图形', 'no usable geometry'],
};

function reasonText(reason: string): [string, string] {
  const key = Object.keys(REASONS).find((known) => reason.startsWith(known));
  return key ? REASONS[key]! : [reason, reason];
}

/** EPSG codes of longitude/latitude systems (coordinates in degrees); the others are Gauss-Kruger metres. */
const GEOGRAPHIC = new Set([4490, 4326]);

/** A coordinate pair as a message shows it: degrees to 7 decimals (about 1 cm), metres to 3 (1 mm). */
function formatAt(at: readonly number[], srid: number): string {
  const digits = GEOGRAPHIC.has(srid) ? 7 : 3;
  return at.map((v) => v.toFixed(digits)).join(', ');
}

/** A coordinate pair as details keep it: degrees to 9 decimals, metres to 5 (0.01 mm). */
function roundAt(at: readonly number[], srid: number): number[] {
  const scale = GEOGRAPHIC.has(srid) ? 1e9 : 1e5;
  return at.map((v) => Math.round(v * scale) / scale);
}

/** The place of a finding in its delivered CRS, as a message shows it (the surveyor's own coordinates). */
function placeText(at: readonly number[], srid: number): { zh: string; en: string } {
  if (srid === 4490) return { zh: `（${formatAt(at, srid)}）`, en: ` at ${formatAt(at, srid)}` };
  return { zh: `（EPSG:${srid} 坐标 ${formatAt(at, srid)}）`, en: ` at ${formatAt(at, srid)} (EPSG:${srid})` };
}

interface FaultRow {
  layer: CheckedLayer;
  record_no: number;
  bsm: string | null;
  reason: string | null;
  location: string | null;
  issues: { kind: string; at?: number[] }[] | null;
  /** the geometry as delivered (MultiPolygon GeoJSON), when it has a GEOS reason */
  geometry: string | null;
  /** its CRS, and so that of `location` */
  drawn_srid: number | null;
  /** the layer's delivered CRS: that of the reader's issue locations */
  delivered_srid: number;
}

/**
 * Stores findings whose place `at` is given in CRS `srid` (null: none): the finding's point is
 * that place in EPSG:4490, also kept in details.location; details.deliveredLocation keeps it as
 * delivered. Without a place, the finding points at the record's first stored vertex.
 */
async function insertPlacedFindings(
  context: Parameters<SetRule['run']>[0],
  findings: { layer: string; record_no: number; bsm: string | null; zh: string; en: string; details: Record<string, unknown>; at: number[] | null; srid: number }[],
): Promise<void> {
  if (findings.length === 0) return;
  await context.insertFindings(
    `SELECT f.layer, f.record_no, f.bsm, NULL::text, f.zh, f.en,
            f.details || CASE WHEN p.g IS NULL THEN '{}'::jsonb
                              ELSE jsonb_build_object('location', jsonb_build_array(round(ST_X(p.g)::numeric, 9), round(ST_Y(p.g)::numeric, 9))) END,
            coalesce(p.g, (SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN(x.original, 1)), 1) FROM ${context.scratch.faults} x WHERE x.layer = f.layer AND x.record_no = f.record_no))
       FROM jsonb_to_recordset($1::jsonb) AS f(layer text, record_no int, bsm text, zh text, en text, details jsonb, at jsonb, srid int)
       LEFT JOIN LATERAL (SELECT ST_Transform(ST_SetSRID(ST_MakePoint((f.at->>0)::float8, (f.at->>1)::float8), f.srid), 4490) AS g WHERE f.at IS NOT NULL) p ON true`,
    [JSON.stringify(findings)],
  );
}

export const invalidGeometry: SetRule = {
  kind: 'set',
  id: 'GEOM_INVALID',
  category: 'geometry',
  severity: 'error',
  title: { zh: '几何图形无效', en: 'Invalid geometry' },
  description: {
    zh: '图斑几何须有效：不得自相交、尖刺、环未闭合或点数过少；按提交时的坐标系判断，报告原因与位置。无效图形在叠加分析中按修复后的形状参与。',
    en: 'Parcel geometry must be valid: no self-intersection, spikes, unclosed rings or too few points; judged in the CRS the package delivered it in, with the reason and place. Overlay rules use the repaired shape.',
  },
  params: {},
  paramSpecs: {},
  layers: BOTH,
  async run(context) {
    // Judged as delivered: what the surveyor drew, in the coordinates of the file (scratch.ts).
    const rows = (await context.exec(
      `SELECT layer, record_no, bsm, reason, ST_AsGeoJSON(location) AS location, issues, ST_SRID(drawn) AS drawn_srid, delivered_srid,
              CASE WHEN reason IS NOT NULL AND reason <> 'no_geometry' THEN ST_AsGeoJSON(drawn) END AS geometry
         FROM ${context.scratch.faults} WHERE reason IS NOT NULL OR issues IS NOT NULL ORDER BY layer, record_no`,
    )) as unknown as FaultRow[];
    const findings = rows.map((row) => {
      const spike = row.geometry ? findSpike(JSON.parse(row.geometry) as { coordinates: number[][][][] }) : null;
      const reasons: string[] = [];
      let at: number[] | null = null;
      let srid = Number(row.drawn_srid ?? row.delivered_srid);
      if (spike) {
        reasons.push('spike');
        at = spike;
      } else if (row.reason) {
        reasons.push(row.reason);
      }
      if (!at && row.location) at = (JSON.parse(row.location) as { coordinates: number[] }).coordinates;
      for (const issue of row.issues ?? []) {
        reasons.push(issue.kind);
        if (!at && issue.at) {
          at = issue.at;
          srid = Number(row.delivered_srid);
        }
      }
      const [zh, en] = [0, 1].map((lang) => reasons.map((reason) => reasonText(reason)[lang]).join(lang ? '; ' : '；'));
      const place = at ? placeText(at, srid) : { zh: '', en: '' };
      return {
        layer: row.layer,
        record_no: row.record_no,
        bsm: row.bsm,
        zh: `几何图形无效：${zh}${place.zh}`,
        en: `invalid geometry: ${en}${place.en}`,
        details: { reasons, geosReason: row.reason, ...(at ? { deliveredLocation: roundAt(at, srid), deliveredSrid: srid } : {}) },
        at,
        srid,
      };
    });
    await insertPlacedFindings(context, findings);
  },
};

interface TransformFaultRow {
  layer: CheckedLayer;
  record_no: number;
  bsm: string | null;
  reason: string;
  delivered_srid: number;
  /** the stored vertex nearest the fault, in the delivered CRS; null when GEOS gave no place */
  x: number | null;
  y: number | null;
}

export const invalidAfterTransform: SetRule = {
  kind: 'set',
  id: 'GEOM_INVALID_AFTER_TRANSFORM',
  category: 'geometry',
  severity: 'error',
  title: { zh: '坐标转换后几何图形无效', en: 'Geometry invalid after the transform to EPSG:4490' },
  description: {
    zh: '按提交的坐标系有效、转换为 CGCS2000 经纬度（EPSG:4490）后无效的图斑：一个顶点落在另一条边上或与之相距极近，转换把它移到了边的另一侧。报告原因与该顶点的位置；在那条边上此处插入一个共用顶点即可消除。平台以转换后的图形保存图斑，无效图形会使以后的叠加分析失败，因此默认阻断。',
    en: 'Parcels valid as delivered that the transform to CGCS2000 longitude/latitude (EPSG:4490) made invalid: a vertex lies on another edge or a hair from it, and the transform moved it across. The reason and that vertex are reported; inserting a shared vertex into that edge there removes it. The platform keeps parcels as transformed, and invalid geometry would make later overlays fail, so it blocks by default.',
  },
  params: {},
  paramSpecs: {},
  layers: BOTH,
  async run(context) {
    // The place is the stored vertex nearest to where GEOS found the fault: the vertex the
    // transform moved across an edge (GEOS's own point, on a crossing a nanodegree away, differs
    // between GEOS versions).
    const rows = (await context.exec(
      `SELECT layer, record_no, bsm, transform_reason AS reason, delivered_srid,
              ST_X(ST_Transform(v, delivered_srid)) AS x, ST_Y(ST_Transform(v, delivered_srid)) AS y
         FROM (SELECT f.*, ST_ClosestPoint(ST_Points(f.original), f.transform_location) AS v
                 FROM ${context.scratch.faults} f WHERE f.transform_reason IS NOT NULL) f
        ORDER BY layer, record_no`,
    )) as unknown as TransformFaultRow[];
    const findings = rows.map((row) => {
      const srid = Number(row.delivered_srid);
      const at = row.x === null || row.y === null ? null : [Number(row.x), Number(row.y)];
      const [zh, en] = reasonText(row.reason);
      const place = at ? placeText(at, srid) : { zh: '', en: '' };
      return {
        layer: row.layer,
        record_no: row.record_no,
        bsm: row.bsm,
        zh: `转换为 CGCS2000 经纬度（EPSG:4490）后几何图形无效：${zh}${place.zh}。按提交的坐标系图形有效：该处顶点落在另一条边上或与之相距极近，转换把它移到了边的另一侧。在那条边上此处插入一个共用顶点，或把该顶点移离那条边，即可消除`,
        en: `invalid after the transform to CGCS2000 longitude/latitude (EPSG:4490): ${en}${place.en}. Valid as delivered: the vertex there lies on another edge or a hair from it, and the transform moved it across. Inserting a shared vertex into that edge at this place, or moving the vertex off the edge, removes it`,
        details: { geosReason: row.reason, ...(at ? { deliveredLocation: roundAt(at, srid), deliveredSrid: srid } : {}) },
        at,
        srid,
      };
    });
    await insertPlacedFindings(context, findings);
  },
};

export const multipart: RowRule = {
  kind: 'row',
  id: 'GEOM_MULTIPART',
  category: 'geometry',
  severity: 'warning',
  title: { zh: '多部件图斑', en: 'Multipart parcel' },
  description: { zh: '一个图斑应是一个连续的面；由多个分离部分组成的图斑应拆分。', en: 'A parcel is one contiguous polygon; one made of separate parts should be split.' },
  params: {},
  paramSpecs: {},
  layers: BOTH,
  sql() {
    return {
      when: `ST_NumGeometries(s.geom) > 1`,
      zh: `format('图斑由 %s 个分离的部分组成', ST_NumGeometries(s.geom))`,
      en: `format('the parcel has %s separate parts', ST_NumGeometries(s.geom))`,
      details: `jsonb_build_object('parts', ST_NumGeometries(s.geom))`,
    };
  },
};

export const geometryRules = [invalidGeometry, invalidAfterTransform, multipart];
