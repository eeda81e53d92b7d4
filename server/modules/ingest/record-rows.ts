// One source record to one line of PostgreSQL COPY text, with the checks that must refuse the
// whole package: a value too long for its field, a number that is not one or does not fit, a
// geometry that is not a polygon or lies far outside China. Hot path: a million records pass
// through here, so it builds strings directly and allocates a location only when it fails.
import { packageError, type IngestLocation } from './errors.ts';
import type { FieldSpec, LayerSpec } from './layer-specs.ts';
import type { CopyBuffer } from './copy-buffer.ts';
import { DECIMAL_TEXT, geometryTypeZh, type SourceLayer, type SourceRecord } from './readers/types.ts';

export interface FieldMapping {
  /** for each spec field, the index of the source field that fills it, or -1 */
  sourceIndex: number[];
  /** source fields the layer's schema does not know: kept in extra_attributes */
  extraIndex: number[];
  unknownFields: string[];
  missingFields: string[];
  missingMandatory: string[];
}

export function mapFields(spec: LayerSpec, layer: SourceLayer): FieldMapping {
  const byName = new Map(layer.fields.map((field, index) => [field.name.toUpperCase(), index]));
  const sourceIndex = spec.fields.map((field) => byName.get(field.source) ?? -1);
  const known = new Set(spec.fields.map((field) => field.source));
  const extraIndex: number[] = [];
  const unknownFields: string[] = [];
  layer.fields.forEach((field, index) => {
    if (!known.has(field.name.toUpperCase())) {
      extraIndex.push(index);
      unknownFields.push(field.name);
    }
  });
  const missing = spec.fields.filter((_, index) => sourceIndex[index] === -1);
  return {
    sourceIndex,
    extraIndex,
    unknownFields,
    missingFields: missing.map((field) => field.source),
    missingMandatory: missing.filter((field) => field.mandatory).map((field) => field.source),
  };
}


export interface RowContext {
  spec: LayerSpec;
  layer: SourceLayer;
  mapping: FieldMapping;
  bounds: [number, number, number, number];
  at: IngestLocation;
  /** the location of attribute errors: a shapefile's .dbf rather than its .shp */
  attributesAt: IngestLocation;
}

/** Writes the record's COPY line into `out`; throws IngestError on a value that cannot be stored. */
export function writeCopyLine(out: CopyBuffer, record: SourceRecord, context: RowContext): void {
  const { spec, layer, mapping, bounds } = context;
  out.ascii(String(record.index));
  for (let f = 0; f < spec.fields.length; f++) {
    const index = mapping.sourceIndex[f]!;
    const value = index < 0 ? null : record.values[index];
    out.tab();
    if (value === null || value === undefined) out.null();
    else {
      const field = spec.fields[f]!;
      const text = formatValue(value, field, layer.fields[index]!.name, record.index, context.attributesAt);
      if (field.type === 'text') out.text(text);
      else out.ascii(text);
    }
  }
  out.tab();
  const extra = extraAttributes(record, context);
  if (extra === null) out.null();
  else out.text(extra);
  out.tab();
  if (checkedGeometry(record, bounds, context.at)) out.hex(record.wkb!);
  else out.null();
  out.tab();
  if (record.issues && record.issues.length) out.text(JSON.stringify(record.issues));
  else out.null();
  out.endRow();
}

function formatValue(value: string | number | boolean, field: FieldSpec, sourceName: string, record: number, at: IngestLocation): string {
  if (field.type === 'text') {
    const text = typeof value === 'string' ? value : String(value);
    if (text.length > field.length) {
      throw packageError(
        'TEXT_TOO_LONG',
        `字段值长度 ${text.length} 超过该字段的上限 ${field.length}（${field.label}）`,
        `The value is ${text.length} characters long; ${field.source} holds at most ${field.length}`,
        { ...at, record, field: sourceName },
        { length: text.length, limit: field.length, value: text.slice(0, 300) },
      );
    }
    return text;
  }
  if (typeof value === 'boolean' || (typeof value === 'string' && !DECIMAL_TEXT.test(value.trim()))) {
    throw packageError('FIELD_VALUE_INVALID', `${field.label}（${field.source}）应为数值，实际为"${String(value)}"`, `${field.source} must be a number, got "${String(value)}"`, { ...at, record, field: sourceName });
  }
  const number = typeof value === 'number' ? value : Number(value);
  const integerDigits = field.type === 'integer' ? field.length : field.length - field.scale;
  if (!Number.isFinite(number) || Math.abs(number) >= 10 ** integerDigits || (field.type === 'integer' && !Number.isInteger(number))) {
    throw packageError(
      'NUMBER_OUT_OF_RANGE',
      `${field.label}（${field.source}）的值 ${String(value)} 超出字段范围（${field.type === 'integer' ? `${field.length} 位整数` : `${field.length} 位，${field.scale} 位小数`}）`,
      `${field.source} = ${String(value)} does not fit the field (${field.type === 'integer' ? `${field.length}-digit integer` : `${field.length} digits, ${field.scale} decimals`})`,
      { ...at, record, field: sourceName },
    );
  }
  return typeof value === 'string' ? value.trim() : String(value);
}

function extraAttributes(record: SourceRecord, context: RowContext): string | null {
  const { extraIndex } = context.mapping;
  if (extraIndex.length === 0) return null;
  let extra: Record<string, unknown> | null = null;
  for (const index of extraIndex) {
    const value = record.values[index];
    if (value === null || value === undefined) continue;
    (extra ??= {})[context.layer.fields[index]!.name] = value;
  }
  return extra ? JSON.stringify(extra) : null;
}

/** Whether the record has a geometry to store; refuses one that is not a polygon or far outside China. */
export function checkedGeometry(record: SourceRecord, bounds: [number, number, number, number], at: IngestLocation): boolean {
  if (!record.wkb || !record.bbox) return false;
  if (record.geometryType !== 'Polygon' && record.geometryType !== 'MultiPolygon') {
    throw packageError('GEOMETRY_TYPE_MISMATCH', `几何类型应为面，实际为${geometryTypeZh(record.geometryType)}`, `Expected polygons, found ${String(record.geometryType)}`, { ...at, record: record.index }, { found: record.geometryType });
  }
  const [minX, minY, maxX, maxY] = record.bbox;
  if (minX < bounds[0] || minY < bounds[1] || maxX > bounds[2] || maxY > bounds[3]) {
    throw packageError(
      'COORDINATES_OUTSIDE_CHINA',
      `坐标远在中国范围之外（${minX.toFixed(3)}, ${minY.toFixed(3)}），请检查坐标系与数据`,
      `Coordinates far outside China (${minX.toFixed(3)}, ${minY.toFixed(3)}): check the coordinate system and the data`,
      { ...at, record: record.index },
      { bbox: record.bbox },
    );
  }
  return true;
}
