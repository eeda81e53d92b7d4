import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { readAll, refusalOf } from '../support/ingest.ts';
import { openGeoJsonLayer } from '../../server/modules/ingest/readers/geojson.ts';
import { openGeoPackageLayers } from '../../server/modules/ingest/readers/geopackage.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-gpkg-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let serial = 0;

// --- GeoPackage 1.3 (OGC 12-128r18) written by hand, so no GDAL is needed

const CORE_TABLES = `
  CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
    organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
  CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
    description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
  CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
    srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
    CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name),
    CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
    CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
  INSERT INTO gpkg_spatial_ref_sys VALUES
    ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),
    ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL),
    ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84"]', NULL),
    ('China Geodetic Coordinate System 2000', 4490, 'EPSG', 4490, 'GEOGCS["China Geodetic Coordinate System 2000"]', NULL),
    ('CGCS2000 / 3-degree Gauss-Kruger zone 40', 4528, 'EPSG', 4528, 'PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 40"]', NULL),
    ('Xian 1980 / 3-degree Gauss-Kruger CM 120E', 2385, 'EPSG', 2385, 'PROJCS["Xian 1980 / 3-degree Gauss-Kruger CM 120E"]', NULL),
    ('Local grid', 990001, 'SHCH', 1, 'LOCAL_CS["Shanghai city grid"]', NULL);`;

function le(type: number, ...values: number[]): Buffer {
  const b = Buffer.alloc(5 + values.length * 8);
  b.writeUInt8(1, 0);
  b.writeUInt32LE(type, 1);
  values.forEach((v, i) => b.writeDoubleLE(v, 5 + i * 8));
  return b;
}

/** 2D little-endian ISO WKB of a one-ring polygon */
function polygonWkb(ring: number[][]): Buffer {
  const head = Buffer.alloc(13);
  head.writeUInt8(1, 0);
  head.writeUInt32LE(3, 1);
  head.writeUInt32LE(1, 5);
  head.writeUInt32LE(ring.length, 9);
  const body = Buffer.alloc(ring.length * 16);
  ring.forEach(([x, y], i) => { body.writeDoubleLE(x!, i * 16); body.writeDoubleLE(y!, i * 16 + 8); });
  return Buffer.concat([head, body]);
}

/** The same polygon as big-endian ISO WKB with Z (type 1003). */
function polygonWkbZBigEndian(ring: number[][]): Buffer {
  const head = Buffer.alloc(13);
  head.writeUInt8(0, 0);
  head.writeUInt32BE(1003, 1);
  head.writeUInt32BE(1, 5);
  head.writeUInt32BE(ring.length, 9);
  const body = Buffer.alloc(ring.length * 24);
  ring.forEach(([x, y], i) => { body.writeDoubleBE(x!, i * 24); body.writeDoubleBE(y!, i * 24 + 8); body.writeDoubleBE(12.5, i * 24 + 16); });
  return Buffer.concat([head, body]);
}

interface BlobStyle { envelope?: 0 | 1 | 2 | 3 | 4; bigEndianHeader?: boolean; empty?: boolean; extended?: boolean; srsId?: number }

/** GeoPackageBinary: "GP", version 0, flags, srs_id, envelope, WKB (§2.1.3). */
function gpBlob(wkb: Buffer, style: BlobStyle = {}): Buffer {
  const envelope = style.envelope ?? 1;
  const doubles = [0, 4, 6, 6, 8][envelope]!;
  const head = Buffer.alloc(8 + doubles * 8);
  head.write('GP', 0, 'latin1');
  head.writeUInt8(0, 2);
  head.writeUInt8((style.extended ? 0x20 : 0) | (style.empty ? 0x10 : 0) | (envelope << 1) | (style.bigEndianHeader ? 0 : 1), 3);
  if (style.bigEndianHeader) head.writeInt32BE(style.srsId ?? 4528, 4);
  else head.writeInt32LE(style.srsId ?? 4528, 4);
  for (let i = 0; i < doubles; i++) {
    if (style.bigEndianHeader) head.writeDoubleBE(1e6 + i, 8 + i * 8);
    else head.writeDoubleLE(1e6 + i, 8 + i * 8);
  }
  return Buffer.concat([head, wkb]);
}

type Cell = string | number | boolean | null | Uint8Array;
interface TableSpec { name: string; srsId?: number; columns?: string; rows?: Cell[][]; dataType?: string; register?: boolean }

function writeGeoPackage(tables: TableSpec[], setup = ''): string {
  const file = path.join(tmp, `t${++serial}.gpkg`);
  const db = new sqlite.Database(file);
  try {
    db.exec(`PRAGMA application_id = 1196444487; PRAGMA user_version = 10300; ${setup} ${CORE_TABLES}`);
    for (const t of tables) {
      const columns = t.columns ?? 'fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom POLYGON, DLMC TEXT(60), XZQMC TEXT, TBMJ DOUBLE, BSM MEDIUMINT, SFJBNT BOOLEAN, GXSJ DATE, ZP BLOB';
      db.exec(`CREATE TABLE "${t.name}" (${columns})`);
      db.run('INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES (?, ?, ?, ?)', [t.name, t.dataType ?? 'features', t.name, t.srsId ?? 4528]);
      if ((t.dataType ?? 'features') === 'features' && t.register !== false) {
        db.run('INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)', [t.name, 'geom', 'POLYGON', t.srsId ?? 4528]);
      }
      for (const row of t.rows ?? []) {
        db.run(`INSERT INTO "${t.name}" VALUES (${row.map(() => '?').join(', ')})`, row as never);
      }
    }
  } finally {
    db.close();
  }
  return file;
}

const ring = [[40650000, 3460000], [40650050, 3460000], [40650050, 3460050], [40650000, 3460050], [40650000, 3460000]];
const row = (fid: number, geom: Cell, dlmc: Cell = '水田'): Cell[] => [fid, geom, dlmc, '崇明区', 2500.5, 1000 + fid, 1, '2023-12-31', new Uint8Array([1, 2])];


const openLayers = (file: string) => openGeoPackageLayers({ path: file, file: 'pkg/成果.gpkg' });

describe('GeoPackage layers', () => {
  it('lists feature tables with their SRS, fields and count, skipping fid, geometry and BLOB columns', async () => {
    const file = writeGeoPackage([
      { name: 'DLTB', rows: [row(1, gpBlob(polygonWkb(ring)))] },
      { name: 'XZQ', srsId: 4490, columns: 'fid INTEGER PRIMARY KEY, geom MULTIPOLYGON, XZQMC TEXT(100)' },
      { name: 'codes', dataType: 'attributes', columns: 'code TEXT' },
    ]);
    const layers = await openLayers(file);
    expect(layers.map((l) => [l.format, l.name, l.file, l.featureCount, l.crs.epsg, l.crs.source])).toEqual([
      ['geopackage', 'DLTB', 'pkg/成果.gpkg', 1, 4528, 'declared'],
      ['geopackage', 'XZQ', 'pkg/成果.gpkg', 0, 4490, 'declared'],
    ]);
    expect(layers[0]!.fields).toEqual([
      { name: 'DLMC', type: 'string', length: 60 },
      { name: 'XZQMC', type: 'string' },
      { name: 'TBMJ', type: 'number' },
      { name: 'BSM', type: 'integer' },
      { name: 'SFJBNT', type: 'boolean' },
      { name: 'GXSJ', type: 'date' },
    ]);
    expect(layers[0]!.warnings).toEqual(['二进制（BLOB）字段未导入：ZP / BLOB columns not imported: ZP']);
    expect(layers[0]!.encoding).toBeNull();
  });

  it('yields records in rowid order with typed values and normalised WKB, whatever the blob header', async () => {
    const wkb = polygonWkb(ring);
    const file = writeGeoPackage([{ name: 'DLTB', rows: [
      row(5, gpBlob(polygonWkbZBigEndian(ring), { envelope: 2, bigEndianHeader: true }), '水浇地'),
      row(1, gpBlob(wkb, { envelope: 0 })),
      row(3, gpBlob(wkb, { envelope: 3 }), '旱地'),
      row(2, gpBlob(wkb, { envelope: 4, bigEndianHeader: true })),
      row(4, null, '坑塘水面'),
      row(6, gpBlob(le(1, NaN, NaN), { empty: true })),
    ] }]);
    const records = await readAll((await openLayers(file))[0]!);
    expect(records.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(records.map((r) => r.values[0])).toEqual(['水田', '水田', '旱地', '坑塘水面', '水浇地', '水田']);
    expect(records[0]!.values).toEqual(['水田', '崇明区', 2500.5, 1001, true, '2023-12-31']);
    for (const i of [0, 1, 2, 4]) {
      expect(records[i]!.wkb!.equals(wkb)).toBe(true);
      expect(records[i]).toMatchObject({ geometryType: 'Polygon', bbox: [40650000, 3460000, 40650050, 3460050] });
    }
    expect(records[3]).toMatchObject({ geometryType: null, wkb: null, bbox: null });
    expect(records[5]).toMatchObject({ geometryType: null, wkb: null, bbox: null });
  });

  it('reports ring faults as issues, not refusals', async () => {
    const open = ring.slice(0, 4);
    const file = writeGeoPackage([{ name: 'DLTB', rows: [row(1, gpBlob(polygonWkb(open)))] }]);
    const [record] = await readAll((await openLayers(file))[0]!);
    expect(record!.issues).toEqual([{ kind: 'ring_not_closed', part: 0, ring: 0, at: [40650000, 3460000] }]);
    expect(record!.wkb!.equals(polygonWkb(ring))).toBe(true);
  });

  it('keeps integers beyond 2^53 as text and stores booleans as booleans', async () => {
    const file = writeGeoPackage([{ name: 'DLTB', columns: 'fid INTEGER PRIMARY KEY, geom POLYGON, BSM INTEGER, SFJBNT BOOLEAN', rows: [
      [1, null, 2n ** 60n as never, 0],
    ] }]);
    expect((await readAll((await openLayers(file))[0]!))[0]!.values).toEqual([String(2n ** 60n), false]);
  });

  it('reads two layers of one file at the same time and closes the file when both are done', async () => {
    const blob = gpBlob(polygonWkb(ring));
    const file = writeGeoPackage([
      { name: 'A', rows: [row(1, blob), row(2, blob)] },
      { name: 'B', rows: [row(1, blob), row(2, blob)] },
    ]);
    const [a, b] = await openLayers(file);
    const ia = a!.records();
    const ib = b!.records();
    expect((await ia.next()).value.index).toBe(1);
    expect((await ib.next()).value.index).toBe(1);
    expect((await ia.next()).value.index).toBe(2);
    await ia.return(undefined);
    expect((await ib.next()).value.index).toBe(2);
    expect((await ib.next()).done).toBe(true);
    // node-sqlite3-wasm locks with a "<file>.lock" directory; it must be gone once nobody reads
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it('closes the database when iteration is abandoned', async () => {
    const blob = gpBlob(polygonWkb(ring));
    const file = writeGeoPackage([{ name: 'DLTB', rows: [row(1, blob), row(2, blob), row(3, blob)] }]);
    const [layer] = await openLayers(file);
    for await (const record of layer!.records()) if (record.index === 1) break;
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    expect((await readAll(layer!)).length).toBe(3);
  });

  it('reads a WAL-mode GeoPackage (as QGIS leaves them)', async () => {
    const file = writeGeoPackage([{ name: 'DLTB', rows: [row(1, gpBlob(polygonWkb(ring)))] }], 'PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL;');
    expect(fs.readFileSync(file).subarray(18, 20)).toEqual(Buffer.from([2, 2]));
    expect((await readAll((await openLayers(file))[0]!)).length).toBe(1);
  });
});

describe('GeoPackage refusals', () => {
  it('refuses a file that is not SQLite', async () => {
    const file = path.join(tmp, 'not.gpkg');
    fs.writeFileSync(file, '{"type":"FeatureCollection","features":[]}'.padEnd(200));
    const error = await refusalOf(openLayers(file));
    expect(error.code).toBe('GEOPACKAGE_UNREADABLE');
    expect(error.location).toEqual({ file: 'pkg/成果.gpkg' });
  });

  it('refuses an SQLite file without the GeoPackage tables', async () => {
    const file = path.join(tmp, 'plain.sqlite');
    const db = new sqlite.Database(file);
    db.exec('CREATE TABLE t (a TEXT)');
    db.close();
    const error = await refusalOf(openLayers(file));
    expect(error.code).toBe('GEOPACKAGE_INVALID');
    expect(error.location.record).toBeUndefined();
  });

  it('refuses a GeoPackage without feature tables', async () => {
    const error = await refusalOf(openLayers(writeGeoPackage([{ name: 'codes', dataType: 'attributes', columns: 'code TEXT' }])));
    expect(error.code).toBe('GEOPACKAGE_EMPTY');
    expect(error.location.record).toBeUndefined();
  });

  it('refuses a feature table missing from gpkg_geometry_columns, naming it', async () => {
    const error = await refusalOf(openLayers(writeGeoPackage([{ name: 'DLTB', register: false }])));
    expect(error.code).toBe('GEOPACKAGE_INVALID');
    expect(error.location).toMatchObject({ layer: 'DLTB' });
    expect(error.location.record).toBeUndefined();
  });

  it.each([
    ['undefined geographic (srs_id 0)', 0, 'CRS_UNDETERMINED'],
    ['undefined Cartesian (srs_id -1)', -1, 'CRS_UNDETERMINED'],
    ['Xian 1980 (EPSG:2385)', 2385, 'CRS_UNSUPPORTED'],
    ['a local grid outside EPSG', 990001, 'CRS_UNSUPPORTED'],
  ])('refuses a layer in %s, naming the table', async (_name, srsId, code) => {
    const error = await refusalOf(openLayers(writeGeoPackage([{ name: 'DLTB', rows: [row(1, null)] }, { name: 'JBNTBHTB', srsId }])));
    expect(error.code).toBe(code);
    expect(error.location).toMatchObject({ file: 'pkg/成果.gpkg', layer: 'JBNTBHTB' });
    expect(error.location.record).toBeUndefined();
  });

  it.each<[string, Cell, string]>([
    ['a blob without the GP magic', polygonWkb(ring), 'GEOMETRY_UNREADABLE'],
    ['an envelope indicator of 5', Buffer.concat([Buffer.from([0x47, 0x50, 0, 0x0b, 0, 0, 0, 0]), polygonWkb(ring)]), 'GEOMETRY_UNREADABLE'],
    ['an extended (0x20) blob', gpBlob(polygonWkb(ring), { extended: true }), 'GEOMETRY_UNSUPPORTED'],
    ['a NaN coordinate', gpBlob(le(1, NaN, 3460000)), 'COORDINATES_NOT_FINITE'],
    ['text in the geometry column', 'POLYGON((0 0, 1 0, 1 1, 0 0))', 'GEOMETRY_UNREADABLE'],
  ])('refuses %s with the record number', async (_name, geom, code) => {
    const good = gpBlob(polygonWkb(ring));
    const [layer] = await openLayers(writeGeoPackage([{ name: 'DLTB', rows: [row(1, good), row(2, good), row(3, geom)] }]));
    const error = await refusalOf(readAll(layer!));
    expect(error.code).toBe(code);
    expect(error.location).toMatchObject({ layer: 'DLTB', record: 3 });
  });

  it('refuses text that is not UTF-8 with the record and field', async () => {
    const gbk = Buffer.from([0xcb, 0xae, 0xcc, 0xef]); // 水田 in GBK
    const file = writeGeoPackage([{ name: 'DLTB', columns: 'fid INTEGER PRIMARY KEY, geom POLYGON, DLMC TEXT', rows: [[1, null, '水田'], [2, null, 'x']] }]);
    const db = new sqlite.Database(file);
    db.run('UPDATE DLTB SET DLMC = CAST(? AS TEXT) WHERE fid = 2', [gbk]);
    db.close();
    const error = await refusalOf(readAll((await openLayers(file))[0]!));
    expect(error.code).toBe('TEXT_UNDECODABLE');
    expect(error.location).toMatchObject({ record: 2, field: 'DLMC' });
  });
});

const ogr2ogr = (() => {
  try {
    execFileSync('ogr2ogr', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('GeoPackage written by GDAL', () => {
  it('reads what ogr2ogr makes of dltb-zone40.geojson like the GeoJSON reader does', async (context) => {
    // GDAL is a cross-check on this machine, never a requirement: a fresh `npm test` has only Node.
    context.skip(!ogr2ogr, 'ogr2ogr is not on PATH');
    const source = 'fixtures/geojson/dltb-zone40.geojson';
    const file = path.join(tmp, 'ogr.gpkg');
    execFileSync('ogr2ogr', ['-f', 'GPKG', file, source, '-a_srs', 'EPSG:4528', '-nln', 'DLTB']);
    const [layer, ...rest] = await openLayers(file);
    expect(rest).toEqual([]);
    const geojson = await openGeoJsonLayer({ file: source, name: 'DLTB', open: () => fs.createReadStream(source) });
    expect(layer!.crs).toMatchObject({ epsg: 4528, source: 'declared' });
    expect(layer!.fields.map((f) => [f.name, f.type])).toEqual(geojson.fields.map((f) => [f.name, f.type]));
    expect(layer!.featureCount).toBe(geojson.featureCount);
    const fromGpkg = await readAll(layer!);
    const fromJson = await readAll(geojson);
    expect(fromGpkg.map((r) => ({ ...r, wkb: r.wkb?.toString('hex') }))).toEqual(fromJson.map((r) => ({ ...r, wkb: r.wkb?.toString('hex') })));
  });
});
