import fs from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readAll, refusalOf } from '../support/ingest.ts';
import { openGeoJsonLayer } from '../../server/modules/ingest/readers/geojson.ts';
import type { SourceLayer } from '../../server/modules/ingest/readers/types.ts';
import { geoJsonGeometryToWkb } from '../../server/modules/ingest/readers/wkb.ts';

const DIR = 'fixtures/geojson';

/** A source that serves bytes in fixed-size chunks and counts how often it is opened. */
function source(content: string | Buffer, chunkSize = 64 * 1024) {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const source = {
    opens: 0,
    open: () => {
      source.opens++;
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
      return Readable.from(chunks);
    },
  };
  return source;
}

async function open(content: string | Buffer, chunkSize?: number): Promise<SourceLayer> {
  return openGeoJsonLayer({ file: 'pkg/DLTB.geojson', name: 'DLTB', open: source(content, chunkSize).open });
}


const square = (x: number, y: number, d = 0.01) => `{"type":"Polygon","coordinates":[[[${x},${y}],[${x + d},${y}],[${x + d},${y + d}],[${x},${y + d}],[${x},${y}]]]}`;
const feature = (geometry: string, properties = '{"DLMC":"水田"}') => `{"type":"Feature","properties":${properties},"geometry":${geometry}}`;
const collection = (...features: string[]) => `{"type":"FeatureCollection","features":[${features.join(',')}]}`;
const cgcs2000 = (...features: string[]) =>
  `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},"features":[${features.join(',')}]}`;

describe('GeoJSON layer from RFC 7946 §1.5', () => {
  const file = `${DIR}/rfc7946/1.5-featurecollection.geojson`;

  it('reads the example collection with the RFC 7946 default CRS', async () => {
    const layer = await openGeoJsonLayer({ file: '1.5.geojson', name: 'example', open: () => fs.createReadStream(file) });
    expect(layer).toMatchObject({ format: 'geojson', name: 'example', featureCount: 3, encoding: { name: 'utf-8', source: 'format' } });
    expect(layer.crs).toMatchObject({ epsg: 4326, source: 'rfc7946-default' });
    // prop1 is 0.0 in one feature and an object in another: text, with the object as JSON
    expect(layer.fields).toEqual([{ name: 'prop0', type: 'string' }, { name: 'prop1', type: 'string' }]);
    const records = await readAll(layer);
    expect(records.map((r) => [r.index, r.geometryType, r.values])).toEqual([
      [1, 'Point', ['value0', null]],
      [2, 'LineString', ['value0', '0']],
      [3, 'Polygon', ['value0', '{"this":"that"}']],
    ]);
    const geometries = (JSON.parse(fs.readFileSync(file, 'utf8')) as { features: { geometry: unknown }[] }).features.map((f) => f.geometry);
    records.forEach((r, i) => expect(r.wkb!.equals(geoJsonGeometryToWkb(geometries[i], {}).wkb!)).toBe(true));
    expect(records[1]!.bbox).toEqual([102, 0, 105, 1]);
  });

  it('refuses a bare geometry (A.1) as a layer', async () => {
    const error = await refusalOf(openGeoJsonLayer({ file: 'A.1.geojson', name: 'A1', open: () => fs.createReadStream(`${DIR}/rfc7946/A.1-point.geojson`) }));
    expect(error.code).toBe('GEOJSON_INVALID');
    expect(error.location.record).toBeUndefined();
    expect(error.en).toContain('not Point');
  });
});

describe('GeoJSON layer in EPSG:4490 with a crs member', () => {
  const text = fs.readFileSync(`${DIR}/dltb-cgcs2000.geojson`);

  it('takes the declared CRS and the union of property types, keeping id', async () => {
    const layer = await open(text);
    expect(layer.crs).toMatchObject({ epsg: 4490, source: 'declared' });
    expect(layer.featureCount).toBe(5);
    expect(layer.fields).toEqual([
      { name: 'id', type: 'integer' },
      { name: 'DLMC', type: 'string' },
      { name: 'DLBM', type: 'string' },
      { name: 'XZQMC', type: 'string' },
      { name: 'TBMJ', type: 'number' },
      { name: 'BSM', type: 'integer' },
      { name: 'SFJBNT', type: 'boolean' },
      { name: 'LY', type: 'string' },
    ]);
    expect(layer.warnings).toEqual(['1 个面的外环为顺时针 / 1 exterior rings are clockwise (RFC 7946 §3.1.6)']);
  });

  it('yields Chinese values, JSON text for nested values, and ring findings instead of refusals', async () => {
    const records = await readAll(await open(text));
    expect(records.map((r) => r.values)).toEqual([
      [1, '水田', '0101', '崇明区', 1523.75, 1001, true, '{"来源":"外业调查"}'],
      [2, '旱地', '0103', '崇明区', 880, 1002, false, null],
      [3, '水田', '0101', '崇明区', 412.5, 1003, null, null],
      [4, '果园', '0201', '崇明区', 96.25, 1004, false, '["遥感","外业"]'],
      [5, '坑塘水面', '1104', '崇明区', null, 1005, null, null],
    ]);
    expect(records.map((r) => r.issues)).toEqual([
      undefined,
      undefined,
      [{ kind: 'ring_not_closed', part: 0, ring: 0, at: [121.54, 31.6] }],
      [{ kind: 'too_few_points', part: 1, ring: 0, at: [121.58, 31.6] }],
      undefined,
    ]);
    expect(records[3]).toMatchObject({ geometryType: 'MultiPolygon', bbox: [121.56, 31.6, 121.57, 31.61] });
    expect(records[4]).toMatchObject({ index: 5, geometryType: null, wkb: null, bbox: null });
  });

  it('reads the same records whatever the chunk size (chunks split characters)', async () => {
    const whole = await readAll(await open(text));
    for (const size of [1, 7, 100]) expect(await readAll(await open(text, size))).toEqual(whole);
  });

  it('reads the file twice: once to learn the layer, once for records', async () => {
    const src = source(text);
    const layer = await openGeoJsonLayer({ file: 'DLTB.geojson', name: 'DLTB', open: src.open });
    expect(src.opens).toBe(1);
    await readAll(layer);
    expect(src.opens).toBe(2);
  });

  it('tolerates a UTF-8 byte order mark', async () => {
    const layer = await open(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]), 2);
    expect((await readAll(layer))[0]!.values[1]).toBe('水田');
  });
});

describe('GeoJSON layer in projected metres without a crs member', () => {
  it('infers CGCS2000 3-degree zone 40 from the eastings and says so', async () => {
    const layer = await openGeoJsonLayer({ file: 'zone40.geojson', name: 'DLTB', open: () => fs.createReadStream(`${DIR}/dltb-zone40.geojson`) });
    expect(layer.crs).toMatchObject({ epsg: 4528, kind: 'projected', source: 'inferred' });
    expect(layer.warnings.join('\n')).toContain('EPSG:4528');
    expect(layer.fields).toEqual([{ name: 'DLMC', type: 'string' }, { name: 'XZQMC', type: 'string' }, { name: 'TBMJ', type: 'number' }]);
    const records = await readAll(layer);
    expect(records.map((r) => r.geometryType)).toEqual(['Polygon', 'Polygon', 'LineString']);
    expect(records[0]!.bbox).toEqual([40650000, 3460000, 40650050, 3460050]);
  });
});

describe('GeoJSON structure', () => {
  it('reads a single Feature as a one-feature layer', async () => {
    const layer = await open(`{"type":"Feature","id":"F-1","properties":{"DLMC":"水田"},"geometry":${square(121.5, 31.6)}}`);
    expect(layer.featureCount).toBe(1);
    expect(layer.fields).toEqual([{ name: 'id', type: 'string' }, { name: 'DLMC', type: 'string' }]);
    expect((await readAll(layer)).map((r) => [r.index, r.values])).toEqual([[1, ['F-1', '水田']]]);
  });

  it('keeps the property id over the feature id, with a warning', async () => {
    const layer = await open(collection(`{"type":"Feature","id":9,"properties":{"id":"A"},"geometry":null}`));
    expect(layer.fields).toEqual([{ name: 'id', type: 'string' }]);
    expect((await readAll(layer))[0]!.values).toEqual(['A']);
    expect(layer.warnings.some((w) => w.includes('"id"'))).toBe(true);
  });

  it('keeps integers past 2^53 digit for digit, as text', async () => {
    const layer = await open(collection(feature('null', '{"BSM":310151000000000123}'), feature('null', '{"BSM":17}')));
    expect(layer.fields).toEqual([{ name: 'BSM', type: 'string' }]);
    expect((await readAll(layer)).map((r) => r.values)).toEqual([['310151000000000123'], ['17']]);
  });

  it('counts clockwise exteriors into one warning, never refusing', async () => {
    const clockwise = '{"type":"Polygon","coordinates":[[[121.5,31.6],[121.5,31.61],[121.51,31.61],[121.5,31.6]]]}';
    const layer = await open(collection(feature(clockwise), feature(clockwise), feature(square(121.6, 31.6))));
    expect(layer.warnings.filter((w) => w.includes('顺时针'))).toEqual(['2 个面的外环为顺时针 / 2 exterior rings are clockwise (RFC 7946 §3.1.6)']);
  });

  it.each([
    ['a top-level array', '[1, 2]'],
    ['a FeatureCollection without features', '{"type":"FeatureCollection"}'],
  ])('refuses %s', async (_name, text) => {
    const error = await refusalOf(open(text));
    expect(error.code).toBe('GEOJSON_INVALID');
    expect(error.location.record).toBeUndefined();
  });

  it.each([
    ['a feature without properties', 2, collection(feature(square(121.5, 31.6)), `{"type":"Feature","geometry":${square(121.5, 31.6)}}`)],
    ['a lower-case type', 3, collection(feature('null'), feature('null'), '{"type":"feature","properties":{},"geometry":null}')],
    ['a non-object feature', 2, collection(feature('null'), '42')],
    ['properties that are text', 1, collection(feature('null', '"水田"'))],
    ['a position with one number', 2, collection(feature('null'), feature('{"type":"LineString","coordinates":[[121.5,31.6],[121.6]]}'))],
    ['an empty ring', 2, collection(feature('null'), feature('{"type":"Polygon","coordinates":[[]]}'))],
    ['an unknown geometry type', 1, collection(feature('{"type":"Circle","coordinates":[121.5,31.6]}'))],
  ])('refuses %s as GEOJSON_INVALID with the feature number', async (_name, record, text) => {
    const error = await refusalOf(open(text));
    expect(error.code).toBe('GEOJSON_INVALID');
    expect(error.location).toMatchObject({ file: 'pkg/DLTB.geojson', layer: 'DLTB', record });
  });

  it.each([
    ['1e400 (Infinity)', 2, collection(feature(square(121.5, 31.6)), feature('{"type":"Point","coordinates":[1e400,31.6]}'))],
    ['a text coordinate', 1, collection(feature('{"type":"Point","coordinates":["121.5",31.6]}'))],
    ['a null coordinate', 3, collection(feature('null'), feature('null'), feature('{"type":"LineString","coordinates":[[121.5,31.6],[null,31.7]]}'))],
  ])('refuses %s as COORDINATES_NOT_FINITE with the feature number', async (_name, record, text) => {
    const error = await refusalOf(open(text));
    expect(error.code).toBe('COORDINATES_NOT_FINITE');
    expect(error.location.record).toBe(record);
  });

  it('refuses projected coordinates under a declared geographic CRS', async () => {
    const error = await refusalOf(open(cgcs2000(feature(square(121.5, 31.6)), feature(square(40650000, 3460000, 50)))));
    expect(error.code).toBe('COORDINATES_OUT_OF_RANGE');
    expect(error.location.record).toBe(2);
  });

  it('passes an unsupported crs member on as CRS_UNSUPPORTED', async () => {
    const text = `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:2385"}},"features":[${feature(square(40650000, 3460000, 50))}]}`;
    const error = await refusalOf(open(text));
    expect(error.code).toBe('CRS_UNSUPPORTED');
    expect(error.location.record).toBeUndefined();
  });
});

describe('GeoJSON bytes', () => {
  it('refuses invalid UTF-8 with the feature that holds it', async () => {
    // GBK bytes for 水田 where UTF-8 is required
    const before = Buffer.from(`{"type":"FeatureCollection","features":[${feature('null')},{"type":"Feature","properties":{"DLMC":"`, 'utf8');
    const text = Buffer.concat([before, Buffer.from([0xcb, 0xae, 0xcc, 0xef]), Buffer.from('"},"geometry":null}]}')]);
    for (const size of [3, 1024]) {
      const error = await refusalOf(open(text, size));
      expect(error.code).toBe('TEXT_UNDECODABLE');
      expect(error.location.record).toBe(2);
    }
  });

  it('refuses broken JSON with the line and the feature being read', async () => {
    const text = `{"type":"FeatureCollection",\n"features":[\n${feature('null')},\n{"type":"Feature","properties":{"DLMC":"水田",,"x":1},\n"geometry":null}]}`;
    const error = await refusalOf(open(text));
    expect(error.code).toBe('GEOJSON_UNREADABLE');
    expect(error.location.record).toBe(2);
    expect(error.details).toMatchObject({ line: 4 });
  });

  it('refuses a file cut short inside a feature', async () => {
    const whole = collection(feature(square(121.5, 31.6)), feature(square(121.6, 31.6)));
    const error = await refusalOf(open(whole.slice(0, whole.length - 40)));
    expect(error.code).toBe('GEOJSON_UNREADABLE');
    expect(error.location.record).toBe(2);
  });

  it.each([
    ['a PNG image', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d])],
    ['a shapefile', Buffer.from([0, 0, 0x27, 0x0a, 0, 0, 0, 0])],
    ['plain text', Buffer.from('地类图斑\n')],
    ['an empty file', Buffer.alloc(0)],
  ])('refuses %s as GEOJSON_UNREADABLE', async (_name, bytes) => {
    const error = await refusalOf(open(bytes));
    expect(error.code).toBe('GEOJSON_UNREADABLE');
    expect(error.location.record).toBeUndefined();
  });
});
