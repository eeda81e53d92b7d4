import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { refusal } from '../support/ingest.ts';
import { geoJsonGeometryToWkb, normaliseWkb } from '../../server/modules/ingest/readers/wkb.ts';

const RFC = 'fixtures/geojson/rfc7946';
const at = { file: 'DLTB.geojson', layer: 'DLTB', record: 7 };
const rfc = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(`${RFC}/${name}`, 'utf8'));

// --- an independent writer and reader, so the tests do not check the code against itself

type Dims = { z?: boolean; m?: boolean };
type Style = Dims & { big?: boolean; flavour?: 'iso' | 'ewkb'; srid?: number };
const CODES: Record<string, number> = { Point: 1, LineString: 2, Polygon: 3, MultiPoint: 4, MultiLineString: 5, MultiPolygon: 6, GeometryCollection: 7 };

function wkbOf(g: { type: string; coordinates?: unknown; geometries?: unknown[] }, style: Style = {}, nested = false): Buffer {
  const parts: Buffer[] = [];
  const little = !style.big;
  const u32 = (n: number) => { const b = Buffer.alloc(4); if (little) b.writeUInt32LE(n >>> 0); else b.writeUInt32BE(n >>> 0); parts.push(b); };
  const f64 = (n: number) => { const b = Buffer.alloc(8); if (little) b.writeDoubleLE(n); else b.writeDoubleBE(n); parts.push(b); };
  const pos = (p: number[]) => { f64(p[0]!); f64(p[1]!); if (style.z) f64(p[2] ?? 7); if (style.m) f64(p[3] ?? 9); };
  const header = (type: string) => {
    parts.push(Buffer.from([little ? 1 : 0]));
    let code = CODES[type]!;
    if (style.flavour === 'ewkb') {
      if (style.z) code |= 0x80000000;
      if (style.m) code |= 0x40000000;
      if (style.srid !== undefined && !nested) code |= 0x20000000;
      u32(code);
      if (style.srid !== undefined && !nested) u32(style.srid);
    } else {
      u32(code + (style.z && style.m ? 3000 : style.z ? 1000 : style.m ? 2000 : 0));
    }
  };
  header(g.type);
  const c = g.coordinates as never;
  const list = (xs: number[][]) => { u32(xs.length); xs.forEach(pos); };
  switch (g.type) {
    case 'Point': pos(c); break;
    case 'LineString': list(c); break;
    case 'Polygon': u32((c as number[][][]).length); (c as number[][][]).forEach(list); break;
    case 'MultiPoint': u32((c as unknown[]).length); for (const p of c as unknown[]) parts.push(wkbOf({ type: 'Point', coordinates: p }, style, true)); break;
    case 'MultiLineString': u32((c as unknown[]).length); for (const l of c as unknown[]) parts.push(wkbOf({ type: 'LineString', coordinates: l }, style, true)); break;
    case 'MultiPolygon': u32((c as unknown[]).length); for (const p of c as unknown[]) parts.push(wkbOf({ type: 'Polygon', coordinates: p }, style, true)); break;
    default: u32(g.geometries!.length); for (const m of g.geometries!) parts.push(wkbOf(m as never, style, true));
  }
  return Buffer.concat(parts);
}

/** Reads 2D little-endian ISO WKB back into GeoJSON; throws on anything else. */
function geoJsonOf(wkb: Buffer): unknown {
  let pos = 0;
  const u32 = () => { const n = wkb.readUInt32LE(pos); pos += 4; return n; };
  const xy = () => { const p = [wkb.readDoubleLE(pos), wkb.readDoubleLE(pos + 8)]; pos += 16; return p; };
  const list = () => Array.from({ length: u32() }, xy);
  const read = (): Record<string, unknown> => {
    expect(wkb[pos++]).toBe(1);
    const code = u32();
    const type = Object.keys(CODES).find((name) => CODES[name] === code)!;
    switch (type) {
      case 'Point': return { type, coordinates: xy() };
      case 'LineString': return { type, coordinates: list() };
      case 'Polygon': return { type, coordinates: Array.from({ length: u32() }, list) };
      case 'GeometryCollection': return { type, geometries: Array.from({ length: u32() }, read) };
      default: return { type, coordinates: Array.from({ length: u32() }, () => read().coordinates) };
    }
  };
  const g = read();
  expect(pos).toBe(wkb.length);
  return g;
}


describe('geoJsonGeometryToWkb', () => {
  it('encodes POINT(100 0) from RFC 7946 A.1 as the well-known bytes', () => {
    const out = geoJsonGeometryToWkb(rfc('A.1-point.geojson'), at);
    expect(out.wkb!.toString('hex')).toBe('0101000000' + '0000000000005940' + '0000000000000000');
    expect(out).toMatchObject({ geometryType: 'Point', bbox: [100, 0, 100, 0], issues: [] });
  });

  it.each([
    'A.2-linestring.geojson', 'A.3-polygon-with-holes.geojson', 'A.4-multipoint.geojson', 'A.5-multilinestring.geojson',
    'A.6-multipolygon.geojson', 'A.7-geometrycollection.geojson', '3.1.9-antimeridian-multipolygon.geojson',
  ])('round-trips RFC 7946 %s', (name) => {
    const geometry = rfc(name);
    const out = geoJsonGeometryToWkb(geometry, at);
    expect(geoJsonOf(out.wkb!)).toEqual(geometry);
    expect(out.geometryType).toBe(geometry.type);
    expect(out.issues).toEqual([]);
  });

  it('gives the extent of the whole geometry', () => {
    expect(geoJsonGeometryToWkb(rfc('A.6-multipolygon.geojson'), at).bbox).toEqual([100, 0, 103, 3]);
    expect(geoJsonGeometryToWkb(rfc('3.1.9-antimeridian-multipolygon.geojson'), at).bbox).toEqual([-180, 40, 180, 50]);
  });

  it('drops Z and M from positions', () => {
    const out = geoJsonGeometryToWkb({ type: 'LineString', coordinates: [[121.5, 31.2, 4.5], [121.6, 31.3, 5, 1]] }, at);
    expect(geoJsonOf(out.wkb!)).toEqual({ type: 'LineString', coordinates: [[121.5, 31.2], [121.6, 31.3]] });
  });

  it('refuses Infinity (1e400 in JSON) and non-numbers with the record', () => {
    const infinite = refusal(() => geoJsonGeometryToWkb({ type: 'Point', coordinates: [Infinity, 31] }, at));
    expect(infinite.code).toBe('COORDINATES_NOT_FINITE');
    expect(infinite.location).toEqual(at);
    const text = refusal(() => geoJsonGeometryToWkb({ type: 'LineString', coordinates: [[121, 31], ['121', 31]] }, at));
    expect(text.code).toBe('COORDINATES_NOT_FINITE');
    expect(text.location.record).toBe(7);
  });

  it('refuses a position with one number as GEOJSON_INVALID', () => {
    const error = refusal(() => geoJsonGeometryToWkb({ type: 'LineString', coordinates: [[121, 31], [121]] }, at));
    expect(error.code).toBe('GEOJSON_INVALID');
    expect(error.location.record).toBe(7);
  });

  it('closes an open ring and reports it', () => {
    const out = geoJsonGeometryToWkb({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] }, at);
    expect(geoJsonOf(out.wkb!)).toEqual({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] });
    expect(out.issues).toEqual([{ kind: 'ring_not_closed', part: 0, ring: 0, at: [0, 0] }]);
  });

  it('leaves out a hole with too few points and keeps the polygon', () => {
    const out = geoJsonGeometryToWkb({ type: 'Polygon', coordinates: [
      [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]],
      [[1, 1], [2, 1], [1, 1]],
    ] }, at);
    expect(geoJsonOf(out.wkb!)).toEqual({ type: 'Polygon', coordinates: [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]] });
    expect(out.issues).toEqual([{ kind: 'too_few_points', part: 0, ring: 1, at: [1, 1] }]);
  });

  it('counts an unclosed three-position ring as closed first, then too short', () => {
    const out = geoJsonGeometryToWkb({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1]]] }, at);
    expect(out.issues.map((i) => i.kind)).toEqual(['ring_not_closed']);
    expect(geoJsonOf(out.wkb!)).toEqual({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] });
  });

  it('drops the polygon whose exterior is too short, keeping the other parts', () => {
    const out = geoJsonGeometryToWkb({ type: 'MultiPolygon', coordinates: [
      [[[0, 0], [1, 0], [0, 0]]],
      [[[5, 5], [6, 5], [6, 6], [5, 5]]],
    ] }, at);
    expect(out.issues).toEqual([{ kind: 'too_few_points', part: 0, ring: 0, at: [0, 0] }]);
    expect(geoJsonOf(out.wkb!)).toEqual({ type: 'MultiPolygon', coordinates: [[[[5, 5], [6, 5], [6, 6], [5, 5]]]] });
    expect(out.bbox).toEqual([5, 5, 6, 6]);
  });

  it('returns no WKB but the type when nothing storable is left', () => {
    const out = geoJsonGeometryToWkb({ type: 'Polygon', coordinates: [[[0, 0], [1, 0]]] }, at);
    expect(out).toMatchObject({ wkb: null, bbox: null, geometryType: 'Polygon' });
    expect(out.issues).toHaveLength(2);
  });

  it('treats an empty geometry as no geometry', () => {
    expect(geoJsonGeometryToWkb({ type: 'MultiPolygon', coordinates: [] }, at)).toEqual({ wkb: null, bbox: null, geometryType: null, issues: [] });
  });

  it('numbers polygons across a collection for issue parts', () => {
    const out = geoJsonGeometryToWkb({ type: 'GeometryCollection', geometries: [
      { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] },
      { type: 'Point', coordinates: [3, 3] },
      { type: 'Polygon', coordinates: [[[5, 5], [6, 5], [6, 6]]] },
    ] }, at);
    expect(out.issues).toEqual([{ kind: 'ring_not_closed', part: 1, ring: 0, at: [5, 5] }]);
  });
});

describe('normaliseWkb', () => {
  const polygon = rfc('A.3-polygon-with-holes.geojson') as { type: string; coordinates: unknown };
  const plain = wkbOf(polygon);

  it.each<[string, Style]>([
    ['big-endian WKB', { big: true }],
    ['ISO WKB Z (1003)', { z: true }],
    ['ISO WKB M (2003)', { m: true }],
    ['ISO WKB ZM (3003), big-endian', { z: true, m: true, big: true }],
    ['EWKB Z with SRID 4490', { flavour: 'ewkb', z: true, srid: 4490 }],
    ['EWKB ZM, big-endian', { flavour: 'ewkb', z: true, m: true, big: true }],
  ])('turns %s into 2D little-endian ISO WKB', (_name, style) => {
    const out = normaliseWkb(wkbOf(polygon, style), at);
    expect(out.wkb!.equals(plain)).toBe(true);
    expect(out.geometryType).toBe('Polygon');
    expect(out.bbox).toEqual([100, 0, 101, 1]);
  });

  it('reads nested members in their own byte order', () => {
    const collection = rfc('A.7-geometrycollection.geojson') as { geometries: never[] };
    const [point, line] = collection.geometries;
    const mixed = Buffer.concat([Buffer.from([0, 0, 0, 0, 7, 0, 0, 0, 2]), wkbOf(point!), wkbOf(line!, { big: true, z: true })]);
    expect(geoJsonOf(normaliseWkb(mixed, at).wkb!)).toEqual(collection);
  });

  it('treats POINT EMPTY (NaN NaN) as no geometry', () => {
    expect(normaliseWkb(wkbOf({ type: 'Point', coordinates: [NaN, NaN] }), at)).toEqual({ wkb: null, bbox: null, geometryType: null, issues: [] });
  });

  it('refuses NaN and infinite coordinates with the record', () => {
    for (const bad of [[NaN, 31], [121, Infinity], [-Infinity, 31]]) {
      const error = refusal(() => normaliseWkb(wkbOf({ type: 'LineString', coordinates: [[121, 31], bad] }), at));
      expect(error.code).toBe('COORDINATES_NOT_FINITE');
      expect(error.location.record).toBe(7);
    }
  });

  it('ignores NaN in M, which writers use for "no measure"', () => {
    const out = normaliseWkb(wkbOf({ type: 'Point', coordinates: [121, 31, 0, NaN] }, { z: true, m: true }), at);
    expect(geoJsonOf(out.wkb!)).toEqual({ type: 'Point', coordinates: [121, 31] });
  });

  it('repairs rings the same way as GeoJSON', () => {
    const out = normaliseWkb(wkbOf({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]], [[0.2, 0.2], [0.4, 0.2]]] }, { big: true }), at);
    expect(out.issues).toEqual([
      { kind: 'ring_not_closed', part: 0, ring: 0, at: [0, 0] },
      { kind: 'ring_not_closed', part: 0, ring: 1, at: [0.2, 0.2] },
      { kind: 'too_few_points', part: 0, ring: 1, at: [0.2, 0.2] },
    ]);
    expect(geoJsonOf(out.wkb!)).toEqual({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] });
  });

  it('refuses truncated WKB, a bad byte order and unknown types', () => {
    expect(refusal(() => normaliseWkb(plain.subarray(0, plain.length - 3), at))).toMatchObject({ code: 'GEOMETRY_UNREADABLE', location: at });
    expect(refusal(() => normaliseWkb(Buffer.from([2, 1, 0, 0, 0]), at)).code).toBe('GEOMETRY_UNREADABLE');
    expect(refusal(() => normaliseWkb(Buffer.from([1, 99, 0, 0, 0]), at)).code).toBe('GEOMETRY_UNREADABLE');
    // a ring count far beyond the data must not allocate, just refuse
    expect(refusal(() => normaliseWkb(Buffer.from([1, 3, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f]), at)).code).toBe('GEOMETRY_UNREADABLE');
  });

  it('refuses a multi-geometry holding the wrong member type', () => {
    const wrong = Buffer.concat([Buffer.from([1, 6, 0, 0, 0, 1, 0, 0, 0]), wkbOf(rfc('A.1-point.geojson') as never)]);
    expect(refusal(() => normaliseWkb(wrong, at))).toMatchObject({ code: 'GEOMETRY_UNREADABLE', location: { record: 7 } });
  });

  it('refuses curves (CircularString, ISO Z curve polygon) as unsupported', () => {
    expect(refusal(() => normaliseWkb(Buffer.from([1, 8, 0, 0, 0, 0, 0, 0, 0]), at)).code).toBe('GEOMETRY_UNSUPPORTED');
    const curvePolygonZ = Buffer.alloc(9);
    curvePolygonZ.writeUInt8(1, 0);
    curvePolygonZ.writeUInt32LE(1010, 1);
    expect(refusal(() => normaliseWkb(curvePolygonZ, at))).toMatchObject({ code: 'GEOMETRY_UNSUPPORTED', location: { record: 7 } });
  });
});
