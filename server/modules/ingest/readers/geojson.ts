// GeoJSON layers (RFC 7946, and the 2008 draft's "crs" member that Chinese tools still write).
// The file is read twice: a first pass validates every feature and learns what the importer
// needs before the first record (fields, count, extent, CRS), the second yields records. Nothing
// but the feature at hand is held in memory.
import { createRequire } from 'node:module';
import { crsFromEpsg, crsFromGeoJsonMember, inferCrs, type CrsResolution } from '../crs.ts';
import { packageError, type IngestLocation } from '../errors.ts';
import { readDocument, type GeoJsonSource } from './geojson-stream.ts';
import type { LayerCandidate, SourceField, SourceFieldType, SourceLayer, SourceRecord } from './types.ts';
import { geoJsonGeometryToWkb, notFinite, type Bbox, type NormalisedGeometry } from './wkb.ts';

// geojson-validation ships no typings; only its Feature screen (with the error trace) is used.
const gjv = createRequire(import.meta.url)('geojson-validation') as { isFeature(feature: unknown, trace: true): string[] };

export interface GeoJsonLayerOptions {
  /** path of the file inside the package, for messages */
  file: string;
  /** layer name (the file's base name) */
  name: string;
  /** opens the file from the start; called once per pass */
  open: GeoJsonSource;
  /** largest feature or top-level member held in memory */
  maxValueBytes?: number;
}

type Value = string | number | boolean | null;

// geojson-validation follows the 2008 spec and refuses these; here they are findings for the
// quality checks (GeometryIssue), not reasons to refuse the package.
const RING_FINDINGS = ['The first and last positions must be equivalent', 'coordinates must have at least four positions'];
const NOT_A_NUMBER = 'Position must only contain numbers';

/** Which JSON kinds a field's values took, to settle its type after the first pass. */
interface FieldStats {
  string: boolean;
  number: boolean;
  fraction: boolean;
  boolean: boolean;
}

function invalid(at: IngestLocation, zh: string, en: string, extra: Record<string, unknown> = {}): Error {
  return packageError('GEOJSON_INVALID', `要素不符合 GeoJSON 规范：${zh}`, `The feature is not valid GeoJSON: ${en}`, at, extra);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Empty rings crash geojson-validation's closure check, so they are refused before it runs. */
function hasEmptyRing(geometry: unknown, depth = 0): boolean {
  if (!isObject(geometry) || depth > 32) return false;
  const c = geometry.coordinates;
  if (geometry.type === 'Polygon') return Array.isArray(c) && c.some((ring) => Array.isArray(ring) && ring.length === 0);
  if (geometry.type === 'MultiPolygon') return Array.isArray(c) && c.some((poly) => hasEmptyRing({ type: 'Polygon', coordinates: poly }));
  if (geometry.type === 'GeometryCollection' && Array.isArray(geometry.geometries)) return geometry.geometries.some((g) => hasEmptyRing(g, depth + 1));
  return false;
}

/** Screens one feature's structure; ring closure and length are left for the WKB repair to report. */
function screenFeature(feature: unknown, at: IngestLocation): void {
  if (!isObject(feature)) throw invalid(at, '要素必须是 JSON 对象', 'a feature must be a JSON object');
  if (hasEmptyRing(feature.geometry)) throw invalid(at, '多边形含有空的环', 'a polygon has an empty ring');
  let trace: string[];
  try {
    trace = gjv.isFeature(feature, true);
  } catch {
    trace = ['malformed coordinates'];
  }
  const complaints = trace.filter((message) => !RING_FINDINGS.some((finding) => message.endsWith(finding)));
  const number = complaints.find((message) => message.includes(NOT_A_NUMBER));
  if (number) throw notFinite(at, number.replace(/^.*Item (.*) at index.*$/, '$1'));
  if (complaints.length) {
    // geojson-validation explains in English: the English message and the details carry it.
    const text = complaints.slice(0, 3).join('; ');
    throw invalid(at, '几何或成员结构有误（校验说明见 details.complaints）', text, { complaints: complaints.slice(0, 10) });
  }
  if (feature.properties !== null && !isObject(feature.properties)) {
    throw invalid(at, 'properties 必须是对象或 null', '"properties" must be an object or null');
  }
  if ('id' in feature && typeof feature.id !== 'string' && typeof feature.id !== 'number') {
    throw invalid(at, 'id 必须是字符串或数值', '"id" must be a string or a number');
  }
}

/** Twice the signed area of a GeoJSON ring: negative for clockwise. */
function signedArea(ring: unknown): number {
  if (!Array.isArray(ring)) return 0;
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i++) {
    const [x1, y1] = ring[i] as number[];
    const [x2, y2] = ring[i + 1] as number[];
    sum += x1! * y2! - x2! * y1!;
  }
  return sum;
}

function clockwiseExteriors(geometry: unknown, depth = 0): number {
  if (!isObject(geometry) || depth > 32) return 0;
  const c = geometry.coordinates;
  if (geometry.type === 'Polygon' && Array.isArray(c)) return signedArea(c[0]) < 0 ? 1 : 0;
  if (geometry.type === 'MultiPolygon' && Array.isArray(c)) {
    return c.reduce((n: number, poly) => n + (Array.isArray(poly) && signedArea(poly[0]) < 0 ? 1 : 0), 0);
  }
  if (geometry.type === 'GeometryCollection' && Array.isArray(geometry.geometries)) {
    return geometry.geometries.reduce((n: number, g) => n + clockwiseExteriors(g, depth + 1), 0);
  }
  return 0;
}

function fieldType(stats: FieldStats): SourceFieldType {
  const kinds = Number(stats.string) + Number(stats.number) + Number(stats.boolean);
  if (stats.string || kinds !== 1) return 'string';
  if (stats.boolean) return 'boolean';
  return stats.fraction ? 'number' : 'integer';
}

/** A property value as the field's type holds it; nested objects and arrays travel as JSON text. */
function fieldValue(value: unknown, type: SourceFieldType): Value {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') return JSON.stringify(value);
  if (type === 'string') return String(value);
  return value as Value;
}

/** What the first pass learns; everything the layer must tell before its first record. */
class LayerScan {
  readonly stats = new Map<string, FieldStats>();
  idStats: FieldStats | null = null;
  count = 0;
  bbox: Bbox | null = null;
  clockwise = 0;
  /** first feature with coordinates outside longitude/latitude ranges, in case the CRS is geographic */
  outOfRange: { record: number; bbox: Bbox } | null = null;

  constructor(private readonly at: IngestLocation) {}

  feature(value: unknown, index: number): void {
    const at = { ...this.at, record: index };
    screenFeature(value, at);
    const feature = value as { geometry: unknown; properties: Record<string, unknown> | null; id?: unknown };
    this.count++;
    if ('id' in feature) this.idStats = note(this.idStats ?? blankStats(), feature.id);
    for (const [key, v] of Object.entries(feature.properties ?? {})) this.stats.set(key, note(this.stats.get(key) ?? blankStats(), v));
    if (feature.geometry === null) return;
    const { bbox } = geoJsonGeometryToWkb(feature.geometry, at);
    this.clockwise += clockwiseExteriors(feature.geometry);
    if (!bbox) return;
    const b = this.bbox;
    this.bbox = b ? [Math.min(b[0], bbox[0]), Math.min(b[1], bbox[1]), Math.max(b[2], bbox[2]), Math.max(b[3], bbox[3])] : bbox;
    if (!this.outOfRange && !withinDegrees(bbox)) this.outOfRange = { record: index, bbox };
  }
}

function blankStats(): FieldStats {
  return { string: false, number: false, fraction: false, boolean: false };
}

function note(stats: FieldStats, value: unknown): FieldStats {
  if (typeof value === 'number') {
    stats.number = true;
    if (!Number.isInteger(value)) stats.fraction = true;
  } else if (typeof value === 'boolean') stats.boolean = true;
  else if (value !== null && value !== undefined) stats.string = true;
  return stats;
}

function withinDegrees(b: Bbox): boolean {
  return b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90;
}

function layerCrs(member: unknown, scan: LayerScan, at: IngestLocation, warnings: string[]): CrsResolution {
  const declared = crsFromGeoJsonMember(member, at);
  if (declared) return declared;
  if (scan.bbox && !withinDegrees(scan.bbox)) {
    // Chinese data is often projected metres without a "crs" member; RFC 7946 cannot apply there.
    const inferred = inferCrs(scan.bbox, at);
    warnings.push(`未声明坐标系，根据坐标推断为 EPSG:${inferred.epsg}（${inferred.name}） / No "crs" member; inferred EPSG:${inferred.epsg} (${inferred.name}) from the coordinates`);
    return inferred;
  }
  warnings.push('未声明坐标系，按 RFC 7946 视为 WGS 84（EPSG:4326） / No "crs" member; WGS 84 (EPSG:4326) assumed as RFC 7946 requires');
  return crsFromEpsg(4326, 'rfc7946-default')!;
}

export async function openGeoJsonLayer(options: GeoJsonLayerOptions): Promise<SourceLayer> {
  return (await scanGeoJsonLayer(options)).open();
}

/** The first pass over the file; the CRS is settled by open(), only for a layer that is imported. */
export async function scanGeoJsonLayer(options: GeoJsonLayerOptions): Promise<LayerCandidate> {
  const { file, name } = options;
  const at: IngestLocation = { file, layer: name };
  const scan = new LayerScan(at);
  const top: Record<string, unknown> = {};
  let sawFeaturesArray = false;
  for await (const items of readDocument(options.open, at, options.maxValueBytes)) {
    for (const item of items) {
      if (item.kind === 'feature') scan.feature(item.value, item.index);
      else if (item.kind === 'featuresArray') sawFeaturesArray = true;
      else top[item.key] = item.value;
    }
  }
  // A single Feature is read as a one-feature layer; it was small enough to hold as a member.
  if (top.type === 'Feature') scan.feature(top, 1);
  else checkCollection(top, sawFeaturesArray, at);
  const fieldNames = [...(scan.idStats !== null && !scan.stats.has('id') ? ['id'] : []), ...scan.stats.keys()];
  return { format: 'geojson', name, file, fieldNames, open: async () => resolveGeoJsonLayer(options, scan, top) };
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

function checkCollection(top: Record<string, unknown>, sawFeaturesArray: boolean, at: IngestLocation): void {
  if (top.type !== 'FeatureCollection') {
    const found = typeof top.type === 'string' ? top.type : null;
    throw packageError('GEOJSON_INVALID',
      found ? `GeoJSON 文件的顶层 type 必须是 FeatureCollection 或 Feature，实际为 ${found}` : 'GeoJSON 文件的顶层对象缺少 type 成员（应为 FeatureCollection 或 Feature）',
      found ? `The top-level "type" of a GeoJSON file must be FeatureCollection or Feature, not ${found}` : 'The top-level object of the GeoJSON file has no "type" member (FeatureCollection or Feature expected)',
      at, { type: top.type });
  }
  if (sawFeaturesArray) return;
  if (!('features' in top)) {
    throw packageError('GEOJSON_INVALID', 'FeatureCollection 缺少 features 成员（要素数组）', 'The FeatureCollection has no "features" member (the array of features)', at);
  }
  const kind = jsonKind(top.features);
  throw packageError('GEOJSON_INVALID', `FeatureCollection 的 features 成员必须是数组，实际为 ${kind}`, `The "features" member of the FeatureCollection must be an array, not ${kind}`, at, { found: kind });
}

function resolveGeoJsonLayer(options: GeoJsonLayerOptions, scan: LayerScan, top: Record<string, unknown>): SourceLayer {
  const { file, name, open } = options;
  const at: IngestLocation = { file, layer: name };
  const single = top.type === 'Feature';
  const warnings: string[] = [];
  const crs = layerCrs(top.crs, scan, at, warnings);
  if (crs.kind === 'geographic' && scan.outOfRange) {
    const [minX, minY, maxX, maxY] = scan.outOfRange.bbox;
    throw packageError('COORDINATES_OUT_OF_RANGE',
      `坐标超出经纬度范围（经度 −180…180，纬度 −90…90），与坐标系 EPSG:${crs.epsg} 不符`,
      `Coordinates are outside longitude −180…180 / latitude −90…90, which EPSG:${crs.epsg} requires`,
      { ...at, record: scan.outOfRange.record }, { bbox: [minX, minY, maxX, maxY], epsg: crs.epsg });
  }
  if (scan.clockwise > 0) {
    warnings.push(`${scan.clockwise} 个面的外环为顺时针 / ${scan.clockwise} exterior rings are clockwise (RFC 7946 §3.1.6)`);
  }

  const fields: SourceField[] = [];
  // A property called "id" wins: it is what the data's authors named, the member is a GeoJSON detail.
  const keepId = scan.idStats !== null && !scan.stats.has('id');
  if (scan.idStats && !keepId) warnings.push('要素的 id 成员与属性 id 同名，只保留属性 id / Feature "id" members not kept: a property is also named "id"');
  if (keepId) fields.push({ name: 'id', type: fieldType(scan.idStats!) });
  for (const [key, stats] of scan.stats) fields.push({ name: key, type: fieldType(stats) });
  const propertyFields = keepId ? fields.slice(1) : fields;

  const toRecord = (value: unknown, index: number): SourceRecord => {
    const feature = value as { geometry: unknown; properties: Record<string, unknown> | null; id?: unknown };
    const properties = feature.properties ?? {};
    const values = propertyFields.map((field) => fieldValue(properties[field.name], field.type));
    if (keepId) values.unshift(fieldValue(feature.id, fields[0]!.type));
    const geometry: NormalisedGeometry = feature.geometry === null
      ? { wkb: null, bbox: null, geometryType: null, issues: [] }
      : geoJsonGeometryToWkb(feature.geometry, { ...at, record: index });
    const record: SourceRecord = { index, geometryType: geometry.geometryType, wkb: geometry.wkb, bbox: geometry.bbox, values };
    if (geometry.issues.length) record.issues = geometry.issues;
    return record;
  };

  return {
    format: 'geojson',
    name,
    file,
    fields,
    featureCount: scan.count,
    crs,
    encoding: { name: 'utf-8', source: 'format' },
    warnings,
    extent: scan.bbox,
    async *records() {
      if (single) {
        yield toRecord(top, 1);
        return;
      }
      for await (const items of readDocument(open, at, options.maxValueBytes)) {
        for (const item of items) if (item.kind === 'feature') yield toRecord(item.value, item.index);
      }
    },
  };
}
