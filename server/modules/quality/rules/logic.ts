// Logic rules: attributes that must agree with each other (三调 数据库逻辑一致性).
import { codesParam, literal, numberParam, type CheckedLayer, type ParamSpec, type RowRule, type RowRuleContext } from '../rule.ts';
import { blank, filled, GROUP, hasField } from './sql.ts';

const BOTH: readonly CheckedLayer[] = ['DLTB', 'YJJBNTTB'];
const CULTIVATED = `${GROUP} = '01'`;

/**
 * The record's DLBM is a code of the classification. Rules that depend on the class hold back on
 * an unknown code: that is ATTR_CODE_DLBM's finding, and its consequences would only repeat it.
 */
function knownClass(context: RowRuleContext): string {
  return `(${context.codeList('dlbm')} ? s.dlbm)`;
}

const toleranceSpec: ParamSpec = { type: 'number', minimum: 0, description: { zh: '允许误差（平方米）', en: 'tolerance (m²)' } };

function needs(context: RowRuleContext, ...columns: string[]): boolean {
  return columns.every((column) => hasField(context, column));
}

export const cultivatedGrade: RowRule = {
  kind: 'row',
  id: 'LOGIC_CULTIVATED_GRADE',
  category: 'logic',
  severity: 'error',
  title: { zh: '耕地缺少坡度级别', en: 'Cultivated land without slope grade' },
  description: { zh: '耕地（01 类）图斑必须填写 GDPDJB（耕地坡度级别）1–5。', en: 'Cultivated land (class 01) must have GDPDJB 1-5.' },
  params: { grades: ['1', '2', '3', '4', '5'] },
  paramSpecs: { grades: { type: 'codes', description: { zh: '有效的坡度级别', en: 'valid slope grades' } } },
  layers: BOTH,
  sql(context) {
    if (!needs(context, 'dlbm', 'gdpdjb')) return null;
    return {
      when: `${knownClass(context)} AND ${CULTIVATED} AND (s.gdpdjb IS NULL OR NOT (s.gdpdjb = ANY(${literal(codesParam(context.params, 'grades'))})))`,
      zh: `format('耕地（%s）的耕地坡度级别为 %s，应为 1–5', s.dlbm, coalesce(nullif(btrim(s.gdpdjb), ''), '空'))`,
      en: `format('cultivated land (%s) has GDPDJB %s; it needs 1-5', s.dlbm, coalesce(nullif(btrim(s.gdpdjb), ''), 'empty'))`,
      details: `jsonb_build_object('dlbm', s.dlbm, 'gdpdjb', s.gdpdjb)`,
    };
  },
};

export const cultivatedPlanting: RowRule = {
  kind: 'row',
  id: 'LOGIC_CULTIVATED_PLANTING',
  category: 'logic',
  severity: 'error',
  title: { zh: '耕地种植属性有误', en: 'Cultivated land planting attribute wrong' },
  description: {
    zh: '耕地（01 类）图斑必须填写耕地适用的种植属性（粮食作物、非粮作物、粮与非粮轮作、休耕、未耕种等）。',
    en: 'Cultivated land (class 01) must carry a planting attribute (ZZSXDM) that applies to cultivated land.',
  },
  params: { codes: ['LS', 'FLS', 'LYFL', 'XG', 'LLJZ', 'WG'] },
  paramSpecs: { codes: { type: 'codes', description: { zh: '耕地适用的种植属性代码', en: 'ZZSXDM codes for cultivated land' } } },
  layers: BOTH,
  sql(context) {
    if (!needs(context, 'dlbm', 'zzsxdm')) return null;
    return {
      when: `${knownClass(context)} AND ${CULTIVATED} AND (s.zzsxdm IS NULL OR NOT (s.zzsxdm = ANY(${literal(codesParam(context.params, 'codes'))})))`,
      zh: `format('耕地（%s）的种植属性为 %s，应为耕地适用的种植属性', s.dlbm, coalesce(nullif(btrim(s.zzsxdm), ''), '空'))`,
      en: `format('cultivated land (%s) has ZZSXDM %s; it needs a planting attribute for cultivated land', s.dlbm, coalesce(nullif(btrim(s.zzsxdm), ''), 'empty'))`,
      details: `jsonb_build_object('dlbm', s.dlbm, 'zzsxdm', s.zzsxdm)`,
    };
  },
};

export const terraceTypeOnlyOnSlopes: RowRule = {
  kind: 'row',
  id: 'LOGIC_GDLX_GRADE',
  category: 'logic',
  severity: 'error',
  title: { zh: '耕地类型与坡度级别不符', en: 'GDLX without slope grade 2-5' },
  description: { zh: 'GDLX（耕地类型：梯田/坡地）只填写于坡度级别 2–5 的耕地。', en: 'GDLX (terrace/slope) is filled only for slope grades 2-5.' },
  params: { grades: ['2', '3', '4', '5'] },
  paramSpecs: { grades: { type: 'codes', description: { zh: '填写耕地类型的坡度级别', en: 'grades that take GDLX' } } },
  layers: BOTH,
  sql(context) {
    if (!needs(context, 'gdlx', 'gdpdjb')) return null;
    return {
      when: `${filled('gdlx')} AND (s.gdpdjb IS NULL OR NOT (s.gdpdjb = ANY(${literal(codesParam(context.params, 'grades'))})))`,
      zh: `format('耕地类型 %s 只能用于坡度级别 2–5，此处坡度级别为 %s', s.gdlx, coalesce(nullif(btrim(s.gdpdjb), ''), '空'))`,
      en: `format('GDLX %s is only for slope grades 2-5; GDPDJB is %s', s.gdlx, coalesce(nullif(btrim(s.gdpdjb), ''), 'empty'))`,
      details: `jsonb_build_object('gdlx', s.gdlx, 'gdpdjb', s.gdpdjb)`,
    };
  },
};

export const deductionNeedsClass: RowRule = {
  kind: 'row',
  id: 'LOGIC_KCXS_KCDLBM',
  category: 'logic',
  severity: 'error',
  title: { zh: '有扣除系数而无扣除地类', en: 'KCXS without KCDLBM' },
  description: { zh: 'KCXS（扣除系数）大于 0 时必须填写 KCDLBM（扣除地类编码）。', en: 'KCXS > 0 requires KCDLBM.' },
  params: {},
  paramSpecs: {},
  layers: BOTH,
  sql(context) {
    if (!needs(context, 'kcxs', 'kcdlbm')) return null;
    return {
      when: `coalesce(s.kcxs, 0) > 0 AND ${blank('kcdlbm')}`,
      zh: `format('扣除系数为 %s，但未填写扣除地类编码', s.kcxs)`,
      en: `format('KCXS is %s but KCDLBM is empty', s.kcxs)`,
      details: `jsonb_build_object('kcxs', s.kcxs)`,
    };
  },
};

export const noDeductionOffCultivated: RowRule = {
  kind: 'row',
  id: 'LOGIC_NON_CULTIVATED_DEDUCTION',
  category: 'logic',
  severity: 'error',
  title: { zh: '非耕地有扣除', en: 'Deduction on non-cultivated land' },
  description: { zh: '非耕地图斑的 KCXS（扣除系数）应为 0，且不填 KCDLBM（扣除地类编码）。', en: 'Non-cultivated parcels have KCXS 0 and no KCDLBM.' },
  params: {},
  paramSpecs: {},
  layers: BOTH,
  sql(context) {
    if (!needs(context, 'dlbm', 'kcxs', 'kcdlbm')) return null;
    return {
      when: `${knownClass(context)} AND ${GROUP} <> '01' AND (coalesce(s.kcxs, 0) <> 0 OR ${filled('kcdlbm')})`,
      zh: `format('非耕地（%s）的扣除系数为 %s、扣除地类编码为 %s，应为 0 和空', s.dlbm, coalesce(s.kcxs, 0), coalesce(nullif(btrim(s.kcdlbm), ''), '空'))`,
      en: `format('non-cultivated parcel (%s) has KCXS %s and KCDLBM %s; expected 0 and empty', s.dlbm, coalesce(s.kcxs, 0), coalesce(nullif(btrim(s.kcdlbm), ''), 'empty'))`,
      details: `jsonb_build_object('dlbm', s.dlbm, 'kcxs', s.kcxs, 'kcdlbm', s.kcdlbm)`,
    };
  },
};

export const linearWidth: RowRule = {
  kind: 'row',
  id: 'LOGIC_XZDWKD_LINEAR',
  category: 'logic',
  severity: 'error',
  title: { zh: '非线状地类填写了线状地物宽度', en: 'XZDWKD on a non-linear class' },
  description: { zh: 'XZDWKD（线状地物宽度）只填写于线状地类（铁路、公路、农村道路、河流、沟渠等）。', en: 'XZDWKD is filled only for linear classes (railways, roads, rivers, ditches, …).' },
  params: { classes: ['1001', '1002', '1003', '1004', '1006', '1009', '1101', '1107', '1107A'] },
  paramSpecs: { classes: { type: 'codes', description: { zh: '线状地类编码', en: 'linear class codes' } } },
  layers: ['DLTB'],
  sql(context) {
    if (!needs(context, 'dlbm', 'xzdwkd')) return null;
    return {
      when: `coalesce(s.xzdwkd, 0) <> 0 AND ${knownClass(context)} AND NOT (s.dlbm = ANY(${literal(codesParam(context.params, 'classes'))}))`,
      zh: `format('地类 %s 不是线状地类，不应填写线状地物宽度（%s 米）', coalesce(s.dlbm, '空'), s.xzdwkd)`,
      en: `format('class %s is not linear but XZDWKD is %s m', coalesce(s.dlbm, 'empty'), s.xzdwkd)`,
      details: `jsonb_build_object('dlbm', s.dlbm, 'xzdwkd', s.xzdwkd)`,
    };
  },
};

export const constructionAttribute: RowRule = {
  kind: 'row',
  id: 'LOGIC_CONSTRUCTION_CZCSXM',
  category: 'logic',
  severity: 'error',
  title: { zh: '建设用地缺少城镇村属性码', en: 'Construction land without CZCSXM' },
  description: {
    zh: '商服、工矿、住宅、公共管理与公共服务、特殊用地及城镇村道路、交通服务场站、空闲地等建设用地须填写 CZCSXM（城镇村属性码）。',
    en: 'Construction classes (05-09, 城镇村道路, 交通服务场站, 空闲地) must carry CZCSXM.',
  },
  params: { groups: ['05', '06', '07', '08', '09'], classes: ['1004', '1005', '1201'], except: ['0603'] },
  paramSpecs: {
    groups: { type: 'codes', description: { zh: '一级类（两位）', en: 'class groups (two digits)' } },
    classes: { type: 'codes', description: { zh: '另加的地类编码', en: 'further class codes' } },
    except: { type: 'codes', description: { zh: '不需要的地类编码', en: 'class codes exempt' } },
  },
  layers: ['DLTB'],
  sql(context) {
    if (!needs(context, 'dlbm', 'czcsxm')) return null;
    const { params } = context;
    return {
      when: `${knownClass(context)} AND (${GROUP} = ANY(${literal(codesParam(params, 'groups'))}) OR s.dlbm = ANY(${literal(codesParam(params, 'classes'))}))
             AND NOT (s.dlbm = ANY(${literal(codesParam(params, 'except'))})) AND ${blank('czcsxm')}`,
      zh: `format('建设用地（%s）未填写城镇村属性码', s.dlbm)`,
      en: `format('construction land (%s) has no CZCSXM', s.dlbm)`,
      details: `jsonb_build_object('dlbm', s.dlbm)`,
    };
  },
};

/** DLTB: TBMJ, KCMJ, TBDLMJ; YJJBNTTB: YJJBNTTBMJ, KCMJ, YJJBNTMJ. */
function areaColumns(context: RowRuleContext): { total: string; net: string } {
  return context.layer.code === 'DLTB' ? { total: 'tbmj', net: 'tbdlmj' } : { total: 'yjjbnttbmj', net: 'yjjbntmj' };
}

export const deductedArea: RowRule = {
  kind: 'row',
  id: 'LOGIC_KCMJ',
  category: 'logic',
  severity: 'error',
  title: { zh: '扣除面积计算有误', en: 'KCMJ not TBMJ × KCXS' },
  description: { zh: 'KCMJ（扣除面积）应等于图斑面积 × KCXS（扣除系数），误差不超过 0.01 平方米（另加舍入）。', en: 'KCMJ must equal TBMJ × KCXS to 0.01 m² (plus rounding).' },
  params: { toleranceM2: 0.01 },
  paramSpecs: { toleranceM2: toleranceSpec },
  layers: BOTH,
  sql(context) {
    const { total } = areaColumns(context);
    if (!needs(context, total, 'kcxs', 'kcmj')) return null;
    const expected = `(s.${total} * coalesce(s.kcxs, 0))`;
    // Rounding the product to the cent may move it by half a cent.
    return {
      when: `s.${total} IS NOT NULL AND abs(coalesce(s.kcmj, 0) - ${expected}) > ${literal(numberParam(context.params, 'toleranceM2'))} + 0.005`,
      zh: `format('扣除面积 %s 不等于图斑面积 %s × 扣除系数 %s = %s', coalesce(s.kcmj, 0), s.${total}, coalesce(s.kcxs, 0), round(${expected}, 2))`,
      en: `format('KCMJ %s is not %s × KCXS %s = %s', coalesce(s.kcmj, 0), s.${total}, coalesce(s.kcxs, 0), round(${expected}, 2))`,
      details: `jsonb_build_object('kcmj', s.kcmj, 'area', s.${total}, 'kcxs', s.kcxs, 'expected', round(${expected}, 2))`,
    };
  },
};

export const netArea: RowRule = {
  kind: 'row',
  id: 'LOGIC_TBDLMJ',
  category: 'logic',
  severity: 'error',
  title: { zh: '图斑地类面积计算有误', en: 'TBDLMJ not TBMJ − KCMJ' },
  description: {
    zh: 'TBDLMJ（图斑地类面积）应等于图斑面积 − 扣除面积（永久基本农田：YJJBNTMJ = YJJBNTTBMJ − KCMJ），误差不超过 0.01 平方米。',
    en: 'TBDLMJ must equal TBMJ − KCMJ to 0.01 m² (YJJBNTMJ = YJJBNTTBMJ − KCMJ for permanent basic farmland).',
  },
  params: { toleranceM2: 0.01 },
  paramSpecs: { toleranceM2: toleranceSpec },
  layers: BOTH,
  sql(context) {
    const { total, net } = areaColumns(context);
    if (!needs(context, total, net, 'kcmj')) return null;
    const expected = `(s.${total} - coalesce(s.kcmj, 0))`;
    const label = net.toUpperCase();
    return {
      when: `s.${total} IS NOT NULL AND abs(coalesce(s.${net}, 0) - ${expected}) > ${literal(numberParam(context.params, 'toleranceM2'))}`,
      zh: `format('${label} %s 不等于 %s − 扣除面积 %s = %s', coalesce(s.${net}, 0), s.${total}, coalesce(s.kcmj, 0), ${expected})`,
      en: `format('${label} %s is not %s − KCMJ %s = %s', coalesce(s.${net}, 0), s.${total}, coalesce(s.kcmj, 0), ${expected})`,
      details: `jsonb_build_object('net', s.${net}, 'area', s.${total}, 'kcmj', s.kcmj, 'expected', ${expected})`,
    };
  },
};

export const logicRules = [cultivatedGrade, cultivatedPlanting, terraceTypeOnlyOnSlopes, deductionNeedsClass, noDeductionOffCultivated, linearWidth, constructionAttribute, deductedArea, netArea];
