// Geometry rules: validity (with the reason and where), multipart parcels.
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

interface FaultRow {
  layer: CheckedLayer;
  record_no: number;
  bsm: string | null;
  reason: string | null;
  location: string | null;
  issues: { kind: string; at?: number[] }[] | null;
  geometry: string | null;
}

export const invalidGeometry: SetRule = {
  kind: 'set',
  id: 'GEOM_INVALID',
  category: 'geometry',
  severity: 'error',
  title: { zh: '几何图形无效', en: 'Invalid geometry' },
  description: {
    zh: '图斑几何须有效：不得自相交、尖刺、环未闭合或点数过少；报告原因与位置。无效图形在叠加分析中按修复后的形状参与。',
    en: 'Parcel geometry must be valid: no self-intersection, spikes, unclosed rings or too few points; the reason and place are reported. Overlay rules use the repaired shape.',
  },
  params: {},
  paramSpecs: {},
  layers: BOTH,
  async run(context) {
    const rows = (await context.exec(
      `SELECT layer, record_no, bsm, reason, ST_AsGeoJSON(location) AS location, issues,
              CASE WHEN reason IS NOT NULL AND reason <> 'no_geometry' THEN ST_AsGeoJSON(original) END AS geometry
         FROM ${context.scratch.faults} ORDER BY layer, record_no`,
    )) as unknown as FaultRow[];
    const findings = rows.map((row) => {
      const spike = row.geometry ? findSpike(JSON.parse(row.geometry) as { coordinates: number[][][][] }) : null;
      const reasons: string[] = [];
      let at: number[] | null = null;
      if (spike) {
        reasons.push('spike');
        at = spike;
      } else if (row.reason) {
        reasons.push(row.reason);
      }
      if (!at && row.location) at = (JSON.parse(row.location) as { coordinates: number[] }).coordinates;
      for (const issue of row.issues ?? []) {
        reasons.push(issue.kind);
        if (!at && issue.at) at = issue.at;
      }
      const [zh, en] = [0, 1].map((lang) => reasons.map((reason) => reasonText(reason)[lang]).join(lang ? '; ' : '；'));
      const where = at ? `（${at.map((v) => v.toFixed(7)).join(', ')}）` : '';
      return {
        layer: row.layer,
        record_no: row.record_no,
        bsm: row.bsm,
        zh: `几何图形无效：${zh}${where}`,
        en: `invalid geometry: ${en}${at ? ` at ${at.map((v) => v.toFixed(7)).join(', ')}` : ''}`,
        details: { reasons, geosReason: row.reason, location: at },
        at,
      };
    });
    if (findings.length === 0) return;
    // Locations of the reader's repairs are in the file's coordinates only when it was EPSG:4490;
    // otherwise the finding points at the record's first vertex.
    await context.insertFindings(
      `SELECT f.layer, f.record_no, f.bsm, NULL::text, f.zh, f.en, f.details,
              CASE WHEN f.at IS NOT NULL AND abs((f.at->>0)::float8) <= 180 THEN ST_SetSRID(ST_MakePoint((f.at->>0)::float8, (f.at->>1)::float8), 4490)
                   ELSE (SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN(x.original, 1)), 1) FROM ${context.scratch.faults} x WHERE x.layer = f.layer AND x.record_no = f.record_no) END
         FROM jsonb_to_recordset($1::jsonb) AS f(layer text, record_no int, bsm text, zh text, en text, details jsonb, at jsonb)`,
      [JSON.stringify(findings)],
    );
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

export const geometryRules = [invalidGeometry, multipart];
