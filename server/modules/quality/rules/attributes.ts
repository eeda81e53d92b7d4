// Attribute rules: mandatory fields, code lists, unit codes, unique BSM (art. 19: what the
// surveyor entered must be complete and valid).
import type { CheckedLayer, RowRule, SetRule } from '../rule.ts';
import { blank, filled, hasField, layerFields, pointOf, text } from './sql.ts';

const BOTH: readonly CheckedLayer[] = ['DLTB', 'YJJBNTTB'];

export const mandatoryFields: RowRule = {
  kind: 'row',
  id: 'ATTR_MANDATORY',
  category: 'attribute',
  severity: 'error',
  title: { zh: '必填字段为空', en: 'Mandatory field empty' },
  description: {
    zh: '三调数据库标准规定必填的字段（标识码、要素代码、图斑编号、地类编码、权属与坐落单位、图斑面积等）不得为空。',
    en: 'Fields the 三调 schema marks mandatory (BSM, YSDM, TBBH, DLBM, ownership and location units, TBMJ, …) must not be empty.',
  },
  params: {},
  paramSpecs: {},
  layers: BOTH,
  sql(context) {
    const fields = layerFields(context.layer.code).filter((field) => field.mandatory && hasField(context, field.column));
    if (fields.length === 0) return null;
    const empty = (field: (typeof fields)[number]) => (field.type === 'text' ? blank(field.column) : `s.${field.column} IS NULL`);
    return {
      when: fields.map(empty).join(' OR '),
      zh: `'必填字段为空：' || concat_ws('、', ${fields.map((field) => `CASE WHEN ${empty(field)} THEN ${text(`${field.source}（${field.label}）`)} END`).join(', ')})`,
      en: `'Mandatory field empty: ' || concat_ws(', ', ${fields.map((field) => `CASE WHEN ${empty(field)} THEN ${text(field.source)} END`).join(', ')})`,
      details: `jsonb_build_object('fields', jsonb_strip_nulls(jsonb_build_array(${fields.map((field) => `CASE WHEN ${empty(field)} THEN ${text(field.source)} END`).join(', ')})))`,
    };
  },
};

/** A mandatory field missing from the file altogether: one finding for the layer, not one per record. */
export const missingFields: SetRule = {
  kind: 'set',
  id: 'ATTR_FIELDS_MISSING',
  category: 'attribute',
  severity: 'error',
  title: { zh: '缺少必填字段', en: 'Mandatory field missing from the layer' },
  description: { zh: '图层文件缺少三调标准规定的必填字段。', en: 'The layer file lacks a field the 三调 schema marks mandatory.' },
  params: {},
  paramSpecs: {},
  layers: BOTH,
  async run(context) {
    for (const layer of context.layers) {
      const missing = context.imported.get(layer.code)?.missingMandatoryFields ?? [];
      if (missing.length === 0) continue;
      await context.insertFindings(
        `SELECT $1::text, NULL::int, NULL::text, NULL::text,
                $2::text, $3::text, jsonb_build_object('fields', $4::jsonb), NULL::geometry`,
        [layer.code, `${layer.label}图层缺少必填字段：${missing.join('、')}`, `The ${layer.code} layer lacks mandatory fields: ${missing.join(', ')}`, JSON.stringify(missing)],
      );
    }
  },
};

interface CodeField {
  column: string;
  list: string;
  label: string;
}

/** One rule per coded field, so each can be switched and graded on its own. */
function codeListRule(field: CodeField, layers: readonly CheckedLayer[]): RowRule {
  const source = field.column.toUpperCase();
  return {
    kind: 'row',
    id: `ATTR_CODE_${source}`,
    category: 'attribute',
    severity: 'error',
    title: { zh: `${field.label}代码不在代码表中`, en: `${source} not in its code list` },
    description: {
      zh: `${source}（${field.label}）填写的代码必须是代码表中的代码。`,
      en: `${source} must hold a code of its code list (${field.list}).`,
    },
    params: {},
    paramSpecs: {},
    layers,
    sql(context) {
      if (!hasField(context, field.column)) return null;
      const column = `s.${field.column}`;
      return {
        when: `${filled(field.column)} AND NOT (${context.codeList(field.list)} ? ${column})`,
        zh: `format(${text(`${source}（${field.label}）代码 %s 不在代码表中`)}, ${column})`,
        en: `format(${text(`${source} code %s is not in its code list`)}, ${column})`,
        details: `jsonb_build_object('field', ${text(source)}, 'value', ${column})`,
      };
    },
  };
}

export const codeListRules: RowRule[] = [
  codeListRule({ column: 'dlbm', list: 'dlbm', label: '地类编码' }, BOTH),
  codeListRule({ column: 'qsxz', list: 'qsxz', label: '权属性质' }, BOTH),
  codeListRule({ column: 'gdlx', list: 'gdlx', label: '耕地类型' }, BOTH),
  codeListRule({ column: 'gdpdjb', list: 'gdpdjb', label: '耕地坡度级别' }, BOTH),
  codeListRule({ column: 'zzsxdm', list: 'zzsxdm', label: '种植属性代码' }, BOTH),
  codeListRule({ column: 'tbxhdm', list: 'tbxhdm', label: '图斑细化代码' }, BOTH),
  codeListRule({ column: 'czcsxm', list: 'czcsxm', label: '城镇村属性码' }, ['DLTB']),
];

export const classNameMatchesCode: RowRule = {
  kind: 'row',
  id: 'ATTR_DLMC_MATCHES_DLBM',
  category: 'attribute',
  severity: 'error',
  title: { zh: '地类名称与地类编码不符', en: 'DLMC does not match DLBM' },
  description: { zh: 'DLMC（地类名称）必须是 DLBM（地类编码）在三调工作分类中的名称。', en: 'DLMC must be the name the 三调 classification gives DLBM.' },
  params: {},
  paramSpecs: {},
  layers: BOTH,
  sql(context) {
    if (!hasField(context, 'dlbm') || !hasField(context, 'dlmc')) return null;
    const expected = `(${context.codeList('dlbm')} ->> s.dlbm)`;
    // An unknown DLBM is ATTR_CODE_DLBM's finding; an empty DLMC is ATTR_MANDATORY's.
    return {
      when: `${expected} IS NOT NULL AND ${filled('dlmc')} AND s.dlmc <> ${expected}`,
      zh: `format('地类名称 %s 与地类编码 %s（%s）不符', s.dlmc, s.dlbm, ${expected})`,
      en: `format('DLMC %s does not match DLBM %s (%s)', s.dlmc, s.dlbm, ${expected})`,
      details: `jsonb_build_object('dlbm', s.dlbm, 'dlmc', s.dlmc, 'expected', ${expected})`,
    };
  },
};

export const unitCodes: RowRule = {
  kind: 'row',
  id: 'ATTR_UNIT_CODE',
  category: 'attribute',
  severity: 'error',
  title: { zh: '权属/坐落单位代码有误', en: 'Ownership or location unit code wrong' },
  description: {
    zh: 'QSDWDM（权属单位代码）与 ZLDWDM（坐落单位代码）应为 19 位，且属于上传成果的区。',
    en: 'QSDWDM and ZLDWDM must be 19 characters and lie in the uploading district (their first six digits).',
  },
  params: {},
  paramSpecs: {},
  layers: BOTH,
  sql(context) {
    const columns = ['qsdwdm', 'zldwdm'].filter((column) => hasField(context, column));
    if (columns.length === 0) return null;
    const district = text(context.districtCode);
    const wrong = (column: string) => `(${filled(column)} AND (char_length(s.${column}) <> 19 OR s.${column} !~ '^[0-9]+$' OR left(s.${column}, 6) <> ${district}))`;
    const why = (column: string, lang: 'zh' | 'en') =>
      `CASE WHEN ${wrong(column)} THEN format(${text(`${column.toUpperCase()} %s %s`)}, s.${column},
         CASE WHEN char_length(s.${column}) <> 19 THEN ${text(lang === 'zh' ? '不是 19 位' : 'is not 19 characters')}
              WHEN s.${column} !~ '^[0-9]+$' THEN ${text(lang === 'zh' ? '含非数字字符' : 'holds non-digits')}
              ELSE ${text(lang === 'zh' ? `不属于本区 ${context.districtCode}` : `is not in district ${context.districtCode}`)} END) END`;
    return {
      when: columns.map(wrong).join(' OR '),
      zh: `concat_ws('；', ${columns.map((column) => why(column, 'zh')).join(', ')})`,
      en: `concat_ws('; ', ${columns.map((column) => why(column, 'en')).join(', ')})`,
      details: `jsonb_strip_nulls(jsonb_build_object(${columns.map((column) => `${text(column.toUpperCase())}, CASE WHEN ${wrong(column)} THEN s.${column} END`).join(', ')}))`,
    };
  },
};

export const uniqueBsm: SetRule = {
  kind: 'set',
  id: 'ATTR_BSM_UNIQUE',
  category: 'attribute',
  severity: 'error',
  title: { zh: '标识码重复', en: 'BSM not unique' },
  description: { zh: 'BSM（标识码）在图层内必须唯一。', en: 'BSM must be unique within its layer.' },
  params: {},
  paramSpecs: {},
  layers: BOTH,
  async run(context) {
    for (const layer of context.layers) {
      // Every record after the first that carries a BSM already used, naming the first.
      await context.insertFindings(
        `WITH repeated AS (
           SELECT bsm, min(record_no) AS first_record, count(*) AS n
             FROM ${layer.table} WHERE submission_id = $1 AND bsm IS NOT NULL AND btrim(bsm) <> ''
            GROUP BY bsm HAVING count(*) > 1)
         SELECT $2::text, s.record_no, s.bsm, s.bsm,
                format('标识码 %s 重复：与第 %s 条记录相同（共 %s 条）', s.bsm, r.first_record, r.n),
                format('BSM %s repeats record %s (%s records share it)', s.bsm, r.first_record, r.n),
                jsonb_build_object('firstRecordNo', r.first_record, 'count', r.n),
                ${pointOf('s')}
           FROM repeated r JOIN ${layer.table} s ON s.bsm = r.bsm AND s.submission_id = $1
          WHERE s.record_no <> r.first_record`,
        [context.submissionId, layer.code],
      );
    }
  },
};

export const attributeRules = [missingFields, mandatoryFields, ...codeListRules, classNameMatchesCode, unitCodes, uniqueBsm];
