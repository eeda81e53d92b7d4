// The versioned layers: which table holds a layer's versions, which staging table its packages
// land in, and the attribute columns a version carries (the same names in both).
import { LAYER_SPECS, type LayerKind } from '../ingest/layer-specs.ts';

export type VersionedLayer = Exclude<LayerKind, 'district_boundary'>;

export interface VersionedLayerInfo {
  layer: VersionedLayer;
  /** the 三调 layer code of its packages */
  code: 'DLTB' | 'YJJBNTTB' | 'ZD';
  label: string;
  versions: 'land_use_parcels' | 'basic_farmland_parcels' | 'ownership_parcels';
  staged: 'staged_land_use_parcels' | 'staged_basic_farmland_parcels' | 'staged_ownership_parcels';
  /** attribute columns copied from staging to a version (schema fields, in order) */
  attributes: readonly string[];
  /** whether the version table keeps fields beyond the schema (extra_attributes) */
  keepsExtra: boolean;
  /** the class column whose change makes a reclassification */
  classColumn: string;
}

function attributesOf(code: string, exclude: readonly string[] = []): string[] {
  const spec = LAYER_SPECS.find((item) => item.code === code);
  if (!spec) throw new Error(`no layer spec ${code}`);
  return spec.fields.map((field) => field.column).filter((column) => column !== 'bsm' && !exclude.includes(column));
}

export const VERSIONED_LAYERS: Record<VersionedLayer, VersionedLayerInfo> = {
  land_use: {
    layer: 'land_use', code: 'DLTB', label: '地类图斑', versions: 'land_use_parcels', staged: 'staged_land_use_parcels',
    attributes: attributesOf('DLTB'), keepsExtra: false, classColumn: 'dlbm',
  },
  basic_farmland: {
    layer: 'basic_farmland', code: 'YJJBNTTB', label: '永久基本农田图斑', versions: 'basic_farmland_parcels', staged: 'staged_basic_farmland_parcels',
    attributes: attributesOf('YJJBNTTB'), keepsExtra: false, classColumn: 'dlbm',
  },
  ownership: {
    layer: 'ownership', code: 'ZD', label: '宗地', versions: 'ownership_parcels', staged: 'staged_ownership_parcels',
    attributes: attributesOf('ZD'), keepsExtra: true, classColumn: 'tdyt',
  },
};

export const LAYER_BY_CODE: Record<string, VersionedLayerInfo> = Object.fromEntries(Object.values(VERSIONED_LAYERS).map((info) => [info.code, info]));

export function isVersionedLayer(value: string): value is VersionedLayer {
  return value in VERSIONED_LAYERS;
}
