// Area rules: the recorded 图斑面积 against the ellipsoidal area (shared/domain/AREA.md), and the
// district's total against its control area (控制面积).
import { literal, numberParam, type RowRule, type SetRule } from '../rule.ts';
import { hasField } from './sql.ts';

export const recordedArea: RowRule = {
  kind: 'row',
  id: 'AREA_TBMJ',
  category: 'area',
  severity: 'error',
  title: { zh: '图斑面积与椭球面积不符', en: 'TBMJ differs from the ellipsoidal area' },
  description: {
    zh: '记录的图斑面积（TBMJ / YJJBNTTBMJ）应等于按 CGCS2000 椭球计算的面积，允许误差默认 0.01 平方米（两者均舍入到分）。',
    en: 'The recorded area (TBMJ / YJJBNTTBMJ) must equal the ellipsoidal area on CGCS2000; tolerance 0.01 m² by default (both are rounded to the cent).',
  },
  params: { toleranceM2: 0.01 },
  paramSpecs: { toleranceM2: { type: 'number', minimum: 0, description: { zh: '允许误差（平方米）', en: 'tolerance (m²)' } } },
  layers: ['DLTB', 'YJJBNTTB'],
  sql(context) {
    const column = context.layer.areaColumn;
    if (!hasField(context, column)) return null;
    // Invalid geometry has no meaningful area: GEOM_INVALID reports it instead.
    return {
      when: `${context.geometryUsable} AND s.${column} IS NOT NULL AND abs(s.${column} - s.area_m2) > ${literal(numberParam(context.params, 'toleranceM2'))}`,
      zh: `format('记录面积 %s 平方米，椭球面积 %s 平方米，相差 %s 平方米', s.${column}, s.area_m2, s.${column} - s.area_m2)`,
      en: `format('recorded %s m², ellipsoidal %s m², %s m² apart', s.${column}, s.area_m2, s.${column} - s.area_m2)`,
      details: `jsonb_build_object('recordedM2', s.${column}, 'ellipsoidalM2', s.area_m2, 'differenceM2', s.${column} - s.area_m2)`,
    };
  },
};

export const districtTotal: SetRule = {
  kind: 'set',
  id: 'AREA_DISTRICT_TOTAL',
  // a change package holds only what changed: the whole district is checked after applying it
  packages: ['baseline'],
  category: 'area',
  severity: 'error',
  title: { zh: '图斑面积之和与控制面积不符', en: 'District total differs from its control area' },
  description: {
    zh: '全区地类图斑面积之和应等于本区控制面积；允许误差为固定值加上各图斑面积舍入到分的累计（0.01 × √图斑数）。',
    en: "The district's parcels must add up to its control area, within a fixed tolerance plus the rounding of each recorded area to the cent (0.01 × √parcels).",
  },
  params: { toleranceM2: 1 },
  paramSpecs: { toleranceM2: { type: 'number', minimum: 0, description: { zh: '固定允许误差（平方米）', en: 'fixed tolerance (m²)' } } },
  layers: ['DLTB'],
  async run(context) {
    if (!context.layers.some((layer) => layer.code === 'DLTB')) return;
    await context.insertFindings(
      `WITH total AS (SELECT sum(tbmj) AS recorded, count(*) AS parcels FROM staged_land_use_parcels WHERE submission_id = $1),
            control AS (SELECT control_area_m2 AS area, name, boundary FROM admin_units WHERE code = $2),
            compared AS (SELECT t.*, c.area, c.name, c.boundary, t.recorded - c.area AS difference,
                                ${literal(numberParam(context.params, 'toleranceM2'))} + 0.01 * sqrt(t.parcels) AS allowed
                           FROM total t, control c WHERE c.area IS NOT NULL AND t.recorded IS NOT NULL)
       SELECT 'DLTB', NULL::int, NULL::text, NULL::text,
              format('%s图斑面积之和 %s 平方米，控制面积 %s 平方米，相差 %s 平方米（允许 %s）', name, recorded, area, difference, round(allowed::numeric, 2)),
              format('the parcels add up to %s m², the control area of %s is %s m²: %s m² apart (allowed %s)', recorded, name, area, difference, round(allowed::numeric, 2)),
              jsonb_build_object('recordedM2', recorded, 'controlM2', area, 'differenceM2', difference, 'allowedM2', round(allowed::numeric, 2), 'parcels', parcels),
              ST_PointOnSurface(boundary)
         FROM compared WHERE abs(difference) > allowed`,
      [context.submissionId, context.districtCode],
    );
  },
};

export const areaRules = [recordedArea, districtTotal];
