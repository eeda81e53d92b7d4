// DBF field lists of the three layers, from the project's copy of the 三调 schema
// (fixtures/reference/layers.json). DLTB carries types and widths there; YJJBNTTB only names, so its
// fields take DLTB's definition where the name is shared and the widths below otherwise.
import fs from 'node:fs';
import type { DbfField } from './shapefile-writer.ts';

export const LAYERS_FILE = new URL('../../../fixtures/reference/layers.json', import.meta.url);

interface LayerField {
  name: string;
  type: 'Char' | 'Double' | 'Int';
  length: number;
  decimals: number | null;
}

/** Fields YJJBNTTB has that DLTB lacks. Widths are our choice (the official table is not public). */
const YJJBNTTB_OWN: Record<string, DbfField> = {
  XZQDM: { name: 'XZQDM', type: 'C', length: 12 },
  XZQMC: { name: 'XZQMC', type: 'C', length: 100 },
  YJJBNTTBBH: { name: 'YJJBNTTBBH', type: 'C', length: 8 },
  YJJBNTTBMJ: { name: 'YJJBNTTBMJ', type: 'N', length: 15, decimals: 2 },
  YJJBNTMJ: { name: 'YJJBNTMJ', type: 'N', length: 15, decimals: 2 },
};

/** XZQ (行政区) fields: the ones the brief names. */
export const XZQ_FIELDS: readonly DbfField[] = [
  { name: 'XZQDM', type: 'C', length: 12 },
  { name: 'XZQMC', type: 'C', length: 100 },
  { name: 'KZMJ', type: 'N', length: 15, decimals: 2 },
  { name: 'DCMJ', type: 'N', length: 15, decimals: 2 },
  { name: 'MSSM', type: 'C', length: 2 },
];

/** 要素代码. DLTB's is the 三调 code; YJJBNTTB's is a plausible placeholder (not verified). */
export const YSDM = { DLTB: '2001010100', YJJBNTTB: '2001020100' } as const;

function toDbf(field: LayerField): DbfField {
  if (field.type === 'Char') return { name: field.name, type: 'C', length: field.length };
  return { name: field.name, type: 'N', length: field.length, decimals: field.type === 'Int' ? 0 : (field.decimals ?? 0) };
}

let cache: { DLTB: DbfField[]; YJJBNTTB: DbfField[] } | null = null;

export function layerFields(): { DLTB: DbfField[]; YJJBNTTB: DbfField[] } {
  if (cache) return cache;
  const json = JSON.parse(fs.readFileSync(LAYERS_FILE, 'utf8')) as { DLTB: { fields: LayerField[] }; YJJBNTTB: { fields: string[] } };
  const dltb = json.DLTB.fields.map(toDbf);
  const byName = new Map(dltb.map((f) => [f.name, f]));
  const yjjbnttb = json.YJJBNTTB.fields.map((name) => {
    const field = YJJBNTTB_OWN[name] ?? byName.get(name);
    if (!field) throw new Error(`layers.json: no width known for YJJBNTTB.${name}`);
    return field;
  });
  cache = { DLTB: dltb, YJJBNTTB: yjjbnttb };
  return cache;
}
