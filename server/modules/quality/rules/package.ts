// Rules about the package as a whole, before any record: is it the kind of package its survey
// takes, and can it ever be applied? Each gives at most one finding per layer, the one that
// explains everything else a district operator would otherwise see.
import { LAYER_BY_CODE } from '../../versions/layers.ts';
import type { CheckedLayer, SetRule, SetRuleContext } from '../rule.ts';

const ALL: readonly CheckedLayer[] = ['DLTB', 'YJJBNTTB', 'ZD'];

const LAYER_NAMES_EN: Record<CheckedLayer, string> = { DLTB: 'land-use parcels (DLTB)', YJJBNTTB: 'permanent basic farmland (YJJBNTTB)', ZD: 'ownership parcels (ZD)' };

const SURVEY_KIND_NAMES: Record<string, { zh: string; en: string }> = {
  land_use_change: { zh: '土地利用变更调查', en: 'land-use change survey' },
  cadastral_change: { zh: '地籍变更调查', en: 'cadastral change survey' },
  special: { zh: '专项调查', en: 'special survey' },
};

/** Where a package-wide finding is shown: the extent of the package's parcels. */
function packageExtent(context: SetRuleContext): string {
  const parts = context.layers.map((layer) => `SELECT geom FROM ${layer.table} WHERE submission_id = $1 AND geom IS NOT NULL`).join(' UNION ALL ');
  return `(SELECT ST_Multi(ST_SetSRID(ST_Extent(p.geom)::geometry, 4490)) FROM (${parts}) p)`;
}

export const packageKind: SetRule = {
  kind: 'set',
  id: 'PKG_KIND_MATCHES_SURVEY',
  category: 'logic',
  severity: 'error',
  title: { zh: '成果包类型与调查任务不符', en: 'Package of the wrong kind for its survey' },
  description: {
    zh: '全国土地调查只接收覆盖全区的基础成果（无变更字段），变更调查只接收变更成果（带 BGQBSM 变更前标识码、BGRQ 变更日期）。类型不符的成果包只报告这一条问题，两类成果各自的检查（变更检查，或缝隙、控制面积等全区检查）不执行。',
    en: 'A national survey takes baselines that cover the district (no change fields); a change survey takes change packages (with BGQBSM, the predecessors, and BGRQ, the change date). A package of the other kind gets this one finding, and the checks of either kind (the change checks, or the whole-district checks such as gaps and the control area) are not run.',
  },
  params: {},
  paramSpecs: {},
  layers: ALL,
  async run(context) {
    const { survey, delivered } = context.kinds;
    if (survey === delivered || context.layers.length === 0) return;
    const first = context.layers[0]!.code;
    const fields = Object.fromEntries([...context.imported].filter(([, facts]) => facts.changeFields.length > 0).map(([code, facts]) => [code, facts.changeFields]));
    if (delivered === 'baseline') {
      const scope = context.change!;
      const name = SURVEY_KIND_NAMES[scope.surveyKind] ?? { zh: '变更调查', en: 'change survey' };
      await context.insertFindings(
        `SELECT $2::text, NULL::int, NULL::text, NULL::text,
                format('本成果包是基础调查成果：图层中没有变更字段（BGQBSM 变更前标识码、BGRQ 变更日期），而调查任务是 %s 年度%s，只接收变更成果，因此未执行变更检查。基础成果请在本区的全国土地调查任务下上传；变更成果的每个新图斑须填写 BGQBSM 与 BGRQ。', $3::int, $4::text),
                format('This is a baseline package: its layers have no change fields (BGQBSM, the predecessors; BGRQ, the change date), but its survey is the %s %s, which takes change packages only, so the change checks were not run. Upload a baseline under the national survey; in a change package every new parcel gives BGQBSM and BGRQ.', $3::int, $5::text),
                jsonb_build_object('surveyKind', $6::text, 'packageKind', 'baseline', 'surveyYear', $3::int),
                ${packageExtent(context)}`,
        [context.submissionId, first, scope.year, name.zh, name.en, scope.surveyKind],
      );
      return;
    }
    const list = Object.entries(fields).map(([code, names]) => `${code}（${names.join('、')}）`).join('、');
    const listEn = Object.entries(fields).map(([code, names]) => `${code} (${names.join(', ')})`).join(', ');
    await context.insertFindings(
      `SELECT $2::text, NULL::int, NULL::text, NULL::text,
              format('本成果包是变更调查成果：图层 %s 带有变更字段，而本调查任务是全国土地调查，只接收覆盖全区的基础成果，因此未执行全区检查（缝隙、控制面积、永久基本农田）。变更成果请在相应年度的变更调查任务下上传。', $3::text),
              format('This is a change package: layers %s carry change fields, but its survey is a national survey, which takes baselines covering the whole district, so the whole-district checks (gaps, control area, basic farmland) were not run. Upload a change package under the change survey of its year.', $4::text),
              jsonb_build_object('surveyKind', 'national', 'packageKind', 'change', 'changeFields', $5::jsonb),
              ${packageExtent(context)}`,
      [context.submissionId, first, list, listEn, JSON.stringify(fields)],
    );
  },
};

export const baselineExists: SetRule = {
  kind: 'set',
  id: 'PKG_BASELINE_EXISTS',
  category: 'logic',
  severity: 'error',
  packages: ['baseline'],
  title: { zh: '本区已有基础数据', en: 'The district already has a baseline' },
  description: {
    zh: '一个区的基础调查成果只能入库一次：本区某图层已有图斑版本，或已有另一套基础成果验收待入库时，本成果包即使通过其他检查也无法入库；之后的变化应以变更调查提交。',
    en: "A district's baseline is applied once: when the district already has versions of a layer, or another baseline is accepted and waiting to be applied, this package could never be applied, whatever else it passes; later changes come as change packages.",
  },
  params: {},
  paramSpecs: {},
  layers: ALL,
  async run(context) {
    for (const [k, layer] of context.layers.entries()) {
      const versions = LAYER_BY_CODE[layer.code]!.versions;
      await context.insertFindings(
        `WITH existing AS (SELECT count(*)::int AS n, min(valid_from) AS since FROM ${versions} WHERE district_code = $2),
              waiting AS (SELECT s.id FROM submissions s JOIN surveys v ON v.id = s.survey_id
                           WHERE s.district_code = $2 AND s.id <> $1 AND s.state = 'accepted' AND v.kind = 'national'
                           ORDER BY s.accepted_at LIMIT 1),
              district AS (SELECT name, boundary FROM admin_units WHERE code = $2)
         SELECT $3::text, NULL::int, NULL::text, NULL::text,
                CASE WHEN e.n > 0 THEN format('%s的%s已有基础数据（%s 个图斑版本，%s 起）：基础调查成果只能入库一次，本成果包验收后也无法入库。之后的变化请以变更调查成果提交。', d.name, $4::text, e.n, e.since)
                     ELSE format('%s已有一套基础调查成果验收待入库（提交编号 %s）：基础调查成果只能入库一次，本成果包无法再入库。', d.name, w.id) END,
                CASE WHEN e.n > 0 THEN format('District %s already has a baseline of %s (%s versions, from %s): a baseline is applied once, so this package could not be applied even if accepted. Submit later changes as change packages.', $2::text, $5::text, e.n, e.since)
                     ELSE format('District %s already has a baseline accepted and waiting to be applied (submission %s): a baseline is applied once, so this package could not be applied.', $2::text, w.id) END,
                jsonb_build_object('versions', e.n, 'since', e.since, 'acceptedSubmissionId', w.id),
                ST_PointOnSurface(d.boundary)
           FROM existing e CROSS JOIN district d LEFT JOIN waiting w ON true
          WHERE e.n > 0 OR (w.id IS NOT NULL AND $6::boolean)`,
        // a baseline waiting to be applied is reported once, not per layer
        [context.submissionId, context.districtCode, layer.code, layer.label, LAYER_NAMES_EN[layer.code], k === 0],
      );
    }
  },
};

export const packageRules: readonly SetRule[] = [packageKind, baselineExists];
