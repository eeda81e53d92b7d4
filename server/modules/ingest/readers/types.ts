// What every format reader (shapefile, GeoJSON, GeoPackage) hands the importer: layers of
// records, each with its attributes and its geometry as WKB in the layer's own CRS. The importer
// never sees a format; a reader never sees the database.
import type { CrsResolution } from '../crs.ts';
import type { GeometryIssue } from './wkb.ts';

export type SourceFormat = 'shapefile' | 'geojson' | 'geopackage';

export type SourceFieldType = 'string' | 'number' | 'integer' | 'date' | 'boolean';

export interface SourceField {
  /** field name as written in the file (case kept) */
  name: string;
  type: SourceFieldType;
  /** declared width (DBF field length, GeoPackage TEXT(n)); undefined when the format has none */
  length?: number;
  decimals?: number;
}

export type GeometryTypeName =
  | 'Point' | 'MultiPoint' | 'LineString' | 'MultiLineString' | 'Polygon' | 'MultiPolygon' | 'GeometryCollection';

/** Geometry types as a Chinese message names them. */
export const GEOMETRY_TYPE_ZH: Record<GeometryTypeName, string> = {
  Point: '点', MultiPoint: '多点', LineString: '线', MultiLineString: '多线', Polygon: '面', MultiPolygon: '多面', GeometryCollection: '几何集合',
};

export function geometryTypeZh(type: GeometryTypeName | string | null | undefined): string {
  if (type === null || type === undefined) return '无几何';
  return GEOMETRY_TYPE_ZH[type as GeometryTypeName] ?? `类型 ${type}`;
}

export interface SourceRecord {
  /** 1-based record number within the layer, for error locations */
  index: number;
  /** null for a record without geometry (a null shape) */
  geometryType: GeometryTypeName | null;
  /** ISO WKB, little-endian, 2D (Z and M dropped), in the layer's CRS; null with geometryType null */
  wkb: Buffer | null;
  /** [minX, minY, maxX, maxY] of the geometry in the layer's CRS; null with geometryType null */
  bbox: [number, number, number, number] | null;
  /** attribute values aligned with SourceLayer.fields; text already decoded (never garbled bytes) */
  values: (string | number | boolean | null)[];
  /** ring faults repaired or left out of wkb, for the quality checks to report (GeoJSON, GeoPackage) */
  issues?: GeometryIssue[];
}

export interface SourceLayer {
  format: SourceFormat;
  /** layer name: the shapefile's base name, the GeoJSON file's base name, or the GeoPackage table */
  name: string;
  /** path inside the package of the layer's main file (.shp, .geojson, .gpkg) */
  file: string;
  /** where the attributes live when that is another file (a shapefile's .dbf) */
  attributesFile?: string;
  fields: SourceField[];
  /** number of records when the format tells it up front (DBF header, GeoPackage count), else null */
  featureCount: number | null;
  /** the layer's coordinate reference system, and how it was told */
  crs: CrsResolution;
  /** the text encoding used for attributes, and how it was chosen (shapefiles); null otherwise */
  encoding: { name: string; source: 'override' | 'cpg' | 'ldid' | 'detected' | 'format' } | null;
  /** notes for the import report: inferred CRS, tolerated missing .shx, ignored members … */
  warnings: string[];
  /** what the file declares for all its records (a shapefile header), so a layer of the wrong type is refused before reading */
  declaredGeometryType?: GeometryTypeName | null;
  /** [minX, minY, maxX, maxY] of every geometry, when the reader measured it before the first record (GeoJSON) */
  extent?: [number, number, number, number] | null;
  /** streams the records once, in file order; throws IngestError with the record's location */
  records(): AsyncGenerator<SourceRecord>;
  /** the same records in batches, where a reader can do it cheaper than one by one */
  batches?(): AsyncGenerator<SourceRecord[]>;
}

/** Numbers may arrive as their decimal text exactly as written (DBF N/F fields): this form. */
export const DECIMAL_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * A layer as far as telling whether the platform imports it: its name and field names. Its CRS
 * and text encoding are read only by open(), and only for layers that are imported, so a file
 * the platform skips cannot refuse the package with its .prj or its encoding.
 */
export interface LayerCandidate {
  format: SourceFormat;
  name: string;
  file: string;
  /** field names as far as they can be read without settling the encoding (for recognition) */
  fieldNames: string[];
  open(): Promise<SourceLayer>;
}
