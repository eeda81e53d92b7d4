// The layers a survey package may hold and how their fields map to the staging tables. DLTB and
// YJJBNTTB follow the 三调 schema (fixtures/reference/layers.json, the single source of their
// field widths); the 宗地 (ownership) and 行政区 layers are reconstructed from the cadastral
// and 三调 database standards. Column types here must agree with migrations/0007.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../config.ts';

export type LayerKind = 'land_use' | 'basic_farmland' | 'ownership' | 'district_boundary';

export interface FieldSpec {
  /** field name in the file (upper case, as 三调 shapefiles write it) */
  source: string;
  column: string;
  label: string;
  type: 'text' | 'numeric' | 'integer';
  /** characters for text; total digits for numeric */
  length: number;
  /** digits after the point (numeric) */
  scale: number;
  mandatory: boolean;
}

export interface LayerSpec {
  kind: LayerKind;
  /** the 三调 layer code, e.g. DLTB */
  code: string;
  label: string;
  stagedTable: 'staged_land_use_parcels' | 'staged_basic_farmland_parcels' | 'staged_ownership_parcels' | 'staged_district_boundaries';
  /** file / table names that name this layer (upper case, without extension) */
  aliases: string[];
  /** fields that identify the layer when its name does not */
  signature: string[];
  fields: FieldSpec[];
}

interface SchemaField {
  name: string;
  label: string;
  type: 'Char' | 'Double' | 'Int';
  length: number;
  decimals: number | null;
  mandatory: boolean;
}

function loadSchema(): Record<string, { fields: (SchemaField | string)[] }> {
  const file = path.join(REPO_ROOT, 'fixtures', 'reference', 'layers.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, { fields: (SchemaField | string)[] }>;
}

function toSpec(field: SchemaField): FieldSpec {
  return {
    source: field.name,
    column: field.name.toLowerCase(),
    label: field.label,
    type: field.type === 'Char' ? 'text' : field.type === 'Int' ? 'integer' : 'numeric',
    length: field.length,
    scale: field.decimals ?? 0,
    mandatory: field.mandatory,
  };
}

/** DLTB: every field typed in layers.json. */
function landUseFields(): FieldSpec[] {
  return (loadSchema().DLTB!.fields as SchemaField[]).map(toSpec);
}

/**
 * YJJBNTTB: layers.json lists only the field names. Fields it shares with DLTB take DLTB's
 * definition; its own are defined here, matching migrations/0007.
 */
function basicFarmlandFields(landUse: FieldSpec[]): FieldSpec[] {
  const own: Record<string, FieldSpec> = {
    XZQDM: text('XZQDM', '行政区代码', 12, true),
    XZQMC: text('XZQMC', '行政区名称', 100, true),
    YJJBNTTBBH: text('YJJBNTTBBH', '永久基本农田图斑编号', 8, true),
    YJJBNTTBMJ: numeric('YJJBNTTBMJ', '图斑面积', 15, 2, true),
    YJJBNTMJ: numeric('YJJBNTMJ', '永久基本农田面积', 15, 2, true),
  };
  return (loadSchema().YJJBNTTB!.fields as string[]).map((name) => {
    const field = own[name] ?? landUse.find((candidate) => candidate.source === name);
    if (!field) throw new Error(`layers.json: YJJBNTTB field ${name} has no definition`);
    return field;
  });
}

const text = (source: string, label: string, length: number, mandatory = false): FieldSpec => ({ source, column: source.toLowerCase(), label, type: 'text', length, scale: 0, mandatory });
const numeric = (source: string, label: string, length: number, scale: number, mandatory = false): FieldSpec => ({ source, column: source.toLowerCase(), label, type: 'numeric', length, scale, mandatory });

const LAND_USE_FIELDS = landUseFields();

export const LAYER_SPECS: readonly LayerSpec[] = [
  {
    kind: 'land_use',
    code: 'DLTB',
    label: '地类图斑',
    stagedTable: 'staged_land_use_parcels',
    aliases: ['DLTB', '地类图斑'],
    signature: ['DLBM', 'TBMJ', 'TBBH'],
    fields: LAND_USE_FIELDS,
  },
  {
    kind: 'basic_farmland',
    code: 'YJJBNTTB',
    label: '永久基本农田图斑',
    stagedTable: 'staged_basic_farmland_parcels',
    aliases: ['YJJBNTTB', 'YJJBNT', '永久基本农田图斑', '永久基本农田'],
    signature: ['YJJBNTTBBH'],
    fields: basicFarmlandFields(LAND_USE_FIELDS),
  },
  {
    kind: 'ownership',
    code: 'ZD',
    label: '宗地',
    stagedTable: 'staged_ownership_parcels',
    aliases: ['ZD', 'ZDJBXX', '宗地', '宗地基本信息', 'QSQY'],
    signature: ['ZDDM'],
    fields: [
      text('BSM', '标识码', 18, true), text('YSDM', '要素代码', 10, true), text('ZDDM', '宗地代码', 19, true),
      text('BDCDYH', '不动产单元号', 28), text('QSXZ', '权属性质', 2, true), text('QLLX', '权利类型', 3),
      text('QLRMC', '权利人名称', 255), text('ZL', '坐落', 255), text('TDYT', '土地用途', 5),
      numeric('ZDMJ', '宗地面积', 15, 2, true), text('BZ', '备注', 255),
    ],
  },
  {
    kind: 'district_boundary',
    code: 'XZQ',
    label: '行政区',
    stagedTable: 'staged_district_boundaries',
    aliases: ['XZQ', '行政区'],
    signature: ['XZQDM', 'KZMJ'],
    fields: [
      text('BSM', '标识码', 18), text('YSDM', '要素代码', 10), text('XZQDM', '行政区代码', 12, true),
      text('XZQMC', '行政区名称', 100, true), numeric('KZMJ', '控制面积', 18, 2), numeric('DCMJ', '调查面积', 18, 2),
      text('MSSM', '模式识别码', 2), text('BZ', '备注', 255),
    ],
  },
];

export function layerSpec(kind: LayerKind): LayerSpec {
  return LAYER_SPECS.find((spec) => spec.kind === kind)!;
}

/** Which 三调 layer a source layer is: by its name first, then by the fields it carries. */
export function recogniseLayer(name: string, fieldNames: string[]): LayerSpec | null {
  const upper = name.trim().toUpperCase();
  const byName = LAYER_SPECS.find((spec) => spec.aliases.includes(upper));
  if (byName) return byName;
  const fields = new Set(fieldNames.map((field) => field.toUpperCase()));
  // Most specific first: a YJJBNTTB layer also carries DLBM and TBBH.
  for (const kind of ['basic_farmland', 'ownership', 'land_use', 'district_boundary'] as const) {
    const spec = layerSpec(kind);
    if (spec.signature.every((field) => fields.has(field))) return spec;
  }
  return null;
}
