// GeoPackage layers (OGC 12-128r18, GeoPackage 1.3): every feature table listed in gpkg_contents.
// node-sqlite3-wasm reads the file through SQLite's own page cache with positioned reads, so a
// large GeoPackage is never loaded whole, and it needs no native build on the server.
//
// Each records() call opens its own connection and closes it when iteration ends, however it
// ends: the importer may stop at the first refused record.
import fs from 'node:fs';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import { crsFromEpsg, type CrsResolution } from '../crs.ts';
import { packageError, type IngestLocation } from '../errors.ts';
import { geoPackageGeometry } from './geopackage-blob.ts';
import type { GeometryTypeName, LayerCandidate, SourceField, SourceFieldType, SourceLayer, SourceRecord } from './types.ts';

type Database = InstanceType<typeof sqlite.Database>;
type Row = Record<string, unknown>;

export interface GeoPackageOptions {
  /** the GeoPackage on disk (already extracted from the package) */
  path: string;
  /** path inside the package, for messages */
  file: string;
  /** largest geometry blob read into memory (default 64 MiB) */
  maxRecordBytes?: number;
}

// 'GPKG' (1.2 and later), 'GP10' and 'GP11' (1.0, 1.1)
const APPLICATION_IDS = new Set([0x47504b47, 0x47503130, 0x47503131]);

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

function unreadable(at: IngestLocation, cause: unknown): Error {
  // SQLite's reason is English: it travels in the details and the English message only.
  const reason = cause instanceof Error ? cause.message : String(cause);
  return packageError('GEOPACKAGE_UNREADABLE', 'GeoPackage 文件无法读取（不是有效的 SQLite 数据库，原因见 details.reason）',
    `The GeoPackage cannot be read (not a valid SQLite database): ${reason}`, at, { reason });
}

function invalid(at: IngestLocation, zh: string, en: string): Error {
  return packageError('GEOPACKAGE_INVALID', `GeoPackage 结构不符合规范：${zh}`, `The GeoPackage does not follow the standard: ${en}`, at);
}

/** The SQLite header (first 100 bytes): "SQLite format 3" and the text encoding (offset 56, 1 = UTF-8). */
function readHeader(path: string, at: IngestLocation): { utf8: boolean } {
  const header = Buffer.alloc(100);
  let length = 0;
  try {
    const fd = fs.openSync(path, 'r');
    try {
      length = fs.readSync(fd, header, 0, 100, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw unreadable(at, error);
  }
  if (length < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\0') throw unreadable(at, 'no SQLite header');
  return { utf8: header.readUInt32BE(56) === 1 };
}

// node-sqlite3-wasm locks a file with a "<file>.lock" directory that a second connection cannot
// share, so every reader of one GeoPackage (the layer list, each layer's records) uses one
// connection, closed when its last user is done.
const connections = new Map<string, { db: Database; users: number }>();

function acquire(file: string, at: IngestLocation): Database {
  const key = path.resolve(file);
  const open = connections.get(key);
  if (open) {
    open.users++;
    return open.db;
  }
  let db: Database;
  try {
    db = new sqlite.Database(key, { readOnly: true, fileMustExist: true });
  } catch (error) {
    throw unreadable(at, error);
  }
  try {
    // Exclusive mode keeps the WAL index in memory: the WASM file layer has no shared memory, and
    // without this a WAL-mode GeoPackage (as QGIS leaves them) cannot be opened at all.
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.get('SELECT count(*) FROM sqlite_master');
  } catch (error) {
    db.close();
    throw unreadable(at, error);
  }
  connections.set(key, { db, users: 1 });
  return db;
}

function release(file: string): void {
  const key = path.resolve(file);
  const open = connections.get(key);
  if (!open || --open.users > 0) return;
  connections.delete(key);
  open.db.close();
}

/** GeoPackage data types (§1.1.1.1.3), then SQLite's affinity rules for anything else. */
function fieldOf(name: string, declared: string): SourceField | null {
  const type = declared.trim().toUpperCase();
  const text = /^(TEXT|VARCHAR|CHARACTER VARYING|CHAR)\s*\((\d+)\)$/.exec(type);
  if (text) return { name, type: 'string', length: Number(text[2]) };
  if (type === 'BOOLEAN') return { name, type: 'boolean' };
  if (type === 'DATE') return { name, type: 'date' };
  if (type === 'BLOB' || type.startsWith('BLOB(')) return null;
  if (type.includes('INT')) return { name, type: 'integer' };
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT') || type === 'DATETIME') return { name, type: 'string' };
  if (type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB') || type.includes('NUMERIC') || type.includes('DECIMAL')) {
    return { name, type: 'number' };
  }
  return { name, type: 'string' };
}

function crsOfSrs(db: Database, srsId: number, at: IngestLocation): CrsResolution {
  const srs = db.get('SELECT srs_name, organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?', srsId) as Row | null;
  const organization = typeof srs?.organization === 'string' ? srs.organization.trim().toUpperCase() : '';
  // srs_id 0 and -1 are the spec's "undefined geographic / Cartesian" entries: the data says nothing.
  if (!srs || srsId === 0 || srsId === -1 || organization === 'NONE') {
    throw packageError('CRS_UNDETERMINED', `图层未定义坐标系（srs_id ${srsId}）；请在提交时声明 EPSG 代码`,
      `The layer has no defined coordinate system (srs_id ${srsId}); declare the EPSG code when submitting`, at, { srsId });
  }
  const code = Number(srs.organization_coordsys_id);
  const resolution = organization === 'EPSG' ? crsFromEpsg(code, 'declared') : null;
  if (resolution) return resolution;
  const named = `${String(srs.organization)}:${String(srs.organization_coordsys_id)}（${String(srs.srs_name)}）`;
  throw packageError('CRS_UNSUPPORTED', `图层的坐标系 ${named} 不受支持，请转换为 CGCS2000 后再提交`,
    `The layer's coordinate system ${named.replace('（', ' (').replace('）', ')')} is not supported; convert to CGCS2000 before submitting`,
    at, { srsId, organization: srs.organization, code: srs.organization_coordsys_id });
}

function openTable(info: TableInfo, options: GeoPackageOptions, appWarning: string | null, utf8: boolean): SourceLayer {
  const at: IngestLocation = { file: options.file, layer: info.table };
  const db = acquire(options.path, at);
  try {
    return describeLayer(db, info, options, appWarning, utf8);
  } catch (error) {
    if (error instanceof sqlite.SQLite3Error) throw unreadable(at, error);
    throw error;
  } finally {
    release(options.path);
  }
}

/** A stored value as its field's type holds it; SQLite's loose typing lets any column hold anything. */
function fieldValue(value: unknown, type: SourceFieldType): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (typeof value === 'bigint') {
    if (type === 'boolean') return value !== 0n;
    // Identifiers beyond 2^53 keep every digit as text rather than be rounded.
    return Number.isSafeInteger(Number(value)) && type !== 'string' && type !== 'date' ? Number(value) : value.toString();
  }
  if (type === 'boolean' && typeof value === 'number') return value !== 0;
  if ((type === 'string' || type === 'date') && typeof value !== 'string') return String(value);
  return value as string | number;
}

interface TableInfo {
  table: string;
  geometryColumn: string;
  srsId: number;
  /** gpkg_geometry_columns.geometry_type_name */
  geometryType: string | null;
}

const DECLARED_TYPES: Record<string, GeometryTypeName> = {
  POINT: 'Point', MULTIPOINT: 'MultiPoint', LINESTRING: 'LineString', MULTILINESTRING: 'MultiLineString',
  POLYGON: 'Polygon', MULTIPOLYGON: 'MultiPolygon', CURVEPOLYGON: 'Polygon', MULTISURFACE: 'MultiPolygon',
  CIRCULARSTRING: 'LineString', COMPOUNDCURVE: 'LineString', MULTICURVE: 'MultiLineString',
};

function describeLayer(db: Database, info: TableInfo, options: GeoPackageOptions, appWarning: string | null, utf8: boolean): SourceLayer {
  const at: IngestLocation = { file: options.file, layer: info.table };
  const kind = db.get("SELECT type FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')", info.table) as Row | null;
  if (!kind) throw invalid(at, `gpkg_contents 列出的表 ${info.table} 不存在`, `table ${info.table} listed in gpkg_contents does not exist`);
  const crs = crsOfSrs(db, info.srsId, at);
  const declaredGeometryType = DECLARED_TYPES[(info.geometryType ?? '').toUpperCase()] ?? null;
  const warnings = appWarning ? [appWarning] : [];

  const columns = db.all(`PRAGMA table_info(${quote(info.table)})`) as Row[];
  if (!columns.some((c) => c.name === info.geometryColumn)) {
    throw invalid(at, `几何列 ${info.geometryColumn} 不存在`, `geometry column ${info.geometryColumn} does not exist`);
  }
  const fields: SourceField[] = [];
  const skipped: string[] = [];
  const integerKeys = columns.filter((c) => Number(c.pk) > 0);
  for (const column of columns) {
    const name = String(column.name);
    if (name === info.geometryColumn) continue;
    // The INTEGER PRIMARY KEY is the feature id (fid), a storage detail rather than an attribute.
    if (integerKeys.length === 1 && Number(column.pk) === 1 && String(column.type).toUpperCase() === 'INTEGER') continue;
    const field = fieldOf(name, String(column.type ?? ''));
    if (field) fields.push(field);
    else skipped.push(name);
  }
  if (skipped.length) warnings.push(`二进制（BLOB）字段未导入：${skipped.join('、')} / BLOB columns not imported: ${skipped.join(', ')}`);
  const count = db.get(`SELECT count(*) AS n FROM ${quote(info.table)}`) as Row;

  // Text is fetched as bytes and decoded here, so bad UTF-8 is refused instead of garbled.
  // A geometry past the cap is not fetched at all: SQLite tells a blob's length without reading it.
  const cap = Math.floor(options.maxRecordBytes ?? 64 * 1024 * 1024);
  const geometry = quote(info.geometryColumn);
  const select = [
    `CASE WHEN length(${geometry}) <= ${cap} THEN ${geometry} END AS g`,
    `length(${geometry}) AS gl`,
    ...fields.map((f, i) => (utf8 && (f.type === 'string' || f.type === 'date') ? `CAST(${quote(f.name)} AS BLOB)` : quote(f.name)) + ` AS c${i}`),
  ].join(', ');
  const sql = `SELECT ${select} FROM ${quote(info.table)}${kind.type === 'table' ? ' ORDER BY rowid' : ''}`;

  return {
    format: 'geopackage',
    name: info.table,
    file: options.file,
    fields,
    featureCount: Number(count.n),
    crs,
    encoding: null,
    warnings,
    declaredGeometryType,
    records: () => readRows(options.path, sql, fields, at, utf8, cap),
  };
}

async function* readRows(file: string, sql: string, fields: SourceField[], at: IngestLocation, utf8: boolean, cap: number): AsyncGenerator<SourceRecord> {
  const db = acquire(file, at);
  let statement: ReturnType<Database['prepare']> | null = null;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let index = 0;
  try {
    try {
      statement = db.prepare(sql);
    } catch (error) {
      throw unreadable(at, error);
    }
    const rows = statement.iterate();
    for (;;) {
      let next: IteratorResult<Row>;
      try {
        next = rows.next() as IteratorResult<Row>;
      } catch (error) {
        throw unreadable({ ...at, record: index + 1 }, error);
      }
      if (next.done) return;
      index++;
      const row = next.value;
      const values = fields.map((field, i) => {
        let value = row[`c${i}`];
        if (utf8 && value instanceof Uint8Array && (field.type === 'string' || field.type === 'date')) {
          try {
            value = decoder.decode(value);
          } catch {
            throw packageError('TEXT_UNDECODABLE', '文本不是有效的 UTF-8 编码', 'The text is not valid UTF-8', { ...at, record: index, field: field.name });
          }
        }
        return fieldValue(value, field.type);
      });
      const blob = row.g;
      if (Number(row.gl ?? 0) > cap) {
        throw packageError('RECORD_TOO_LARGE', `几何数据过大：${String(row.gl)} 字节，单条记录上限 ${cap} 字节`,
          `The geometry is too large: ${String(row.gl)} bytes; one record may hold at most ${cap}`, { ...at, record: index }, { sizeBytes: Number(row.gl), limitBytes: cap });
      }
      const record: SourceRecord = { index, geometryType: null, wkb: null, bbox: null, values };
      if (blob !== null && blob !== undefined) {
        if (!(blob instanceof Uint8Array)) {
          throw packageError('GEOMETRY_UNREADABLE', '几何列中不是二进制数据', 'The geometry column holds something other than a blob', { ...at, record: index });
        }
        const geometry = geoPackageGeometry(blob, { ...at, record: index });
        Object.assign(record, { geometryType: geometry.geometryType, wkb: geometry.wkb, bbox: geometry.bbox });
        if (geometry.issues.length) record.issues = geometry.issues;
      }
      yield record;
    }
  } finally {
    statement?.finalize();
    release(file);
  }
}

/** Every feature table of a GeoPackage as a layer, in gpkg_contents order. */
export async function openGeoPackageLayers(options: GeoPackageOptions): Promise<SourceLayer[]> {
  const candidates = await listGeoPackageLayers(options);
  const layers: SourceLayer[] = [];
  for (const candidate of candidates) layers.push(await candidate.open());
  return layers;
}

/**
 * The feature tables with their column names; a table's CRS and schema are read by open(), so
 * a table the platform skips cannot refuse the package.
 */
export async function listGeoPackageLayers(options: GeoPackageOptions): Promise<LayerCandidate[]> {
  const at: IngestLocation = { file: options.file };
  const { utf8 } = readHeader(options.path, at);
  const db = acquire(options.path, at);
  try {
    let present: Set<string>;
    let applicationId: number;
    try {
      applicationId = Number((db.get('PRAGMA application_id') as Row).application_id);
      const tables = db.all("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')") as Row[];
      present = new Set(tables.map((t) => String(t.name)));
    } catch (error) {
      throw unreadable(at, error);
    }
    const missing = ['gpkg_spatial_ref_sys', 'gpkg_contents', 'gpkg_geometry_columns'].filter((t) => !present.has(t));
    if (missing.length) {
      throw invalid(at, `缺少 ${missing.join('、')} 表，这不是 GeoPackage 文件`, `${missing.join(', ')} missing, so this is not a GeoPackage`);
    }
    // Some writers leave application_id at 0; the gpkg_* tables already show what the file is.
    const appWarning = APPLICATION_IDS.has(applicationId >>> 0) ? null
      : `文件头 application_id 不是 GeoPackage 的值（0x${(applicationId >>> 0).toString(16)}） / application_id is not a GeoPackage value (0x${(applicationId >>> 0).toString(16)})`;

    const contents = db.all(
      `SELECT c.table_name AS t, g.column_name AS g, g.srs_id AS s, g.geometry_type_name AS gt FROM gpkg_contents c
       LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
       WHERE lower(c.data_type) = 'features' ORDER BY c.rowid`,
    ) as Row[];
    if (contents.length === 0) {
      throw packageError('GEOPACKAGE_EMPTY', 'GeoPackage 中没有要素表（gpkg_contents 中没有 data_type = features 的表）',
        'The GeoPackage holds no feature table (no data_type = features in gpkg_contents)', at);
    }
    return contents.map((row) => {
      const table = String(row.t);
      if (typeof row.g !== 'string') {
        throw invalid({ ...at, layer: table }, `要素表 ${table} 未在 gpkg_geometry_columns 中登记几何列`, `feature table ${table} has no entry in gpkg_geometry_columns`);
      }
      const info: TableInfo = { table, geometryColumn: row.g, srsId: Number(row.s), geometryType: typeof row.gt === 'string' ? row.gt : null };
      let fieldNames: string[] = [];
      try {
        fieldNames = (db.all(`PRAGMA table_info(${quote(table)})`) as Row[]).map((c) => String(c.name)).filter((n) => n !== info.geometryColumn);
      } catch {
        // a table that cannot be described is recognised by its name alone; open() refuses it if imported
      }
      return { format: 'geopackage' as const, name: table, file: options.file, fieldNames, open: async () => openTable(info, options, appWarning, utf8) };
    });
  } catch (error) {
    // A corrupt page can surface in any metadata query, not only the first.
    if (error instanceof sqlite.SQLite3Error) throw unreadable(at, error);
    throw error;
  } finally {
    release(options.path);
  }
}
