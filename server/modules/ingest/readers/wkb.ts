// Geometry hand-over shared by the GeoJSON and GeoPackage readers: whatever the source wrote
// (GeoJSON coordinates, WKB, ISO WKB or EWKB in either byte order, with Z and/or M), the importer
// gets one form — 2D little-endian ISO WKB — so PostGIS never sees a dialect it could misread.
//
// Rings that are not closed, or too short to be a ring, are not refused here: the quality checks
// must report them as findings of the submission. They are repaired (closed) or left out of the
// stored geometry, and described as GeometryIssue so nothing is lost silently.
import { packageError, type IngestLocation } from '../errors.ts';
import type { GeometryTypeName } from './types.ts';

export interface GeometryIssue {
  kind: 'ring_not_closed' | 'too_few_points';
  /** 0-based polygon number within the geometry (polygons counted in order, also inside collections) */
  part: number;
  /** 0-based ring number within the polygon; 0 is the exterior */
  ring: number;
  /** the ring's first coordinate, to find the spot on a map */
  at: [number, number];
}

export type Bbox = [number, number, number, number];

export interface NormalisedGeometry {
  /** null when nothing storable is left (an empty geometry, or every polygon dropped) */
  wkb: Buffer | null;
  bbox: Bbox | null;
  /** the type as found; null only for an empty geometry (nothing to report) */
  geometryType: GeometryTypeName | null;
  issues: GeometryIssue[];
}

type Geom =
  | { type: 'Point' | 'LineString'; xy: number[] }
  | { type: 'Polygon'; rings: number[][] }
  | { type: 'MultiPoint' | 'MultiLineString' | 'MultiPolygon' | 'GeometryCollection'; parts: Geom[] };

const TYPE_CODES: Record<GeometryTypeName, number> = {
  Point: 1, LineString: 2, Polygon: 3, MultiPoint: 4, MultiLineString: 5, MultiPolygon: 6, GeometryCollection: 7,
};
const TYPE_NAMES = Object.keys(TYPE_CODES) as GeometryTypeName[];
const MEMBER_TYPE: Partial<Record<GeometryTypeName, GeometryTypeName>> = {
  MultiPoint: 'Point', MultiLineString: 'LineString', MultiPolygon: 'Polygon',
};
// Deep enough for any real collection; stops a crafted blob from exhausting the stack.
const MAX_NESTING = 32;

export function notFinite(at: IngestLocation, value: unknown): Error {
  return packageError(
    'COORDINATES_NOT_FINITE',
    '坐标不是有限数值（NaN、无穷大或非数字）',
    'A coordinate is not a finite number (NaN, infinity or not a number)',
    at,
    { value: String(value) },
  );
}

function checkXy(x: unknown, y: unknown, at: IngestLocation): void {
  // Z and M are checked by nobody on purpose: they are dropped, and NaN there is a common "no value".
  if (typeof x !== 'number' || !Number.isFinite(x)) throw notFinite(at, x);
  if (typeof y !== 'number' || !Number.isFinite(y)) throw notFinite(at, y);
}

// ---------------------------------------------------------------- GeoJSON → internal

function geoJsonInvalid(at: IngestLocation, en: string, zh: string): Error {
  return packageError('GEOJSON_INVALID', `几何对象不符合 GeoJSON 规范：${zh}`, `The geometry is not valid GeoJSON: ${en}`, at);
}

function position(p: unknown, out: number[], at: IngestLocation): void {
  if (!Array.isArray(p) || p.length < 2) throw geoJsonInvalid(at, 'a position needs at least two numbers', '坐标至少需要两个数值');
  checkXy(p[0], p[1], at);
  out.push(p[0] as number, p[1] as number);
}

function positions(list: unknown, at: IngestLocation): number[] {
  if (!Array.isArray(list)) throw geoJsonInvalid(at, 'coordinates must be an array', 'coordinates 必须是数组');
  const xy: number[] = [];
  for (const p of list) position(p, xy, at);
  return xy;
}

function arrayOf<T>(list: unknown, at: IngestLocation, item: (value: unknown) => T): T[] {
  if (!Array.isArray(list)) throw geoJsonInvalid(at, 'coordinates must be an array', 'coordinates 必须是数组');
  return list.map(item);
}

function fromGeoJson(g: unknown, at: IngestLocation, depth: number): Geom {
  if (depth > MAX_NESTING) throw geoJsonInvalid(at, 'collections nested too deeply', '几何集合嵌套过深');
  if (typeof g !== 'object' || g === null) throw geoJsonInvalid(at, 'a geometry must be an object', '几何必须是对象');
  const { type, coordinates: c, geometries } = g as { type?: unknown; coordinates?: unknown; geometries?: unknown };
  switch (type) {
    case 'Point': { const xy: number[] = []; position(c, xy, at); return { type, xy }; }
    case 'LineString': return { type, xy: positions(c, at) };
    case 'Polygon': return { type, rings: arrayOf(c, at, (ring) => positions(ring, at)) };
    case 'MultiPoint': return { type, parts: arrayOf(c, at, (p) => { const xy: number[] = []; position(p, xy, at); return { type: 'Point', xy }; }) };
    case 'MultiLineString': return { type, parts: arrayOf(c, at, (line) => ({ type: 'LineString', xy: positions(line, at) })) };
    case 'MultiPolygon':
      return { type, parts: arrayOf(c, at, (poly) => ({ type: 'Polygon', rings: arrayOf(poly, at, (ring) => positions(ring, at)) })) };
    case 'GeometryCollection':
      if (!Array.isArray(geometries)) throw geoJsonInvalid(at, '"geometries" must be an array', 'geometries 必须是数组');
      return { type, parts: geometries.map((member) => fromGeoJson(member, at, depth + 1)) };
    default:
      throw geoJsonInvalid(at, `unknown geometry type ${JSON.stringify(type)}`, `未知的几何类型 ${JSON.stringify(type)}`);
  }
}

/** Encodes a GeoJSON geometry object as 2D little-endian ISO WKB (Z/M dropped), repairing rings. */
export function geoJsonGeometryToWkb(geometry: unknown, at: IngestLocation): NormalisedGeometry {
  return finish(fromGeoJson(geometry, at, 0));
}

// ---------------------------------------------------------------- WKB → internal

function unreadable(at: IngestLocation, en: string, zh: string): Error {
  return packageError('GEOMETRY_UNREADABLE', `几何数据（WKB）无法解析：${zh}`, `The geometry (WKB) cannot be read: ${en}`, at);
}

class WkbReader {
  private readonly view: DataView;
  private pos = 0;
  private little = true;

  constructor(bytes: Uint8Array, private readonly at: IngestLocation) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(bytes: number): void {
    if (this.pos + bytes > this.view.byteLength) throw unreadable(this.at, 'the data ends early', '数据提前结束');
  }

  private uint32(): number {
    this.need(4);
    const value = this.view.getUint32(this.pos, this.little);
    this.pos += 4;
    return value;
  }

  private count(bytesEach: number): number {
    const n = this.uint32();
    // A count the remaining bytes cannot hold is corruption; checking first avoids huge allocations.
    this.need(n * bytesEach);
    return n;
  }

  private points(n: number, dims: number): number[] {
    const xy = new Array<number>(n * 2);
    for (let i = 0; i < n; i++) {
      const x = this.view.getFloat64(this.pos, this.little);
      const y = this.view.getFloat64(this.pos + 8, this.little);
      checkXy(x, y, this.at);
      xy[i * 2] = x;
      xy[i * 2 + 1] = y;
      this.pos += dims * 8;
    }
    return xy;
  }

  read(depth = 0): Geom {
    if (depth > MAX_NESTING) throw unreadable(this.at, 'collections nested too deeply', '几何集合嵌套过深');
    this.need(5);
    const order = this.view.getUint8(this.pos++);
    if (order > 1) throw unreadable(this.at, `byte order marker ${order}`, `字节序标记 ${order} 无效`);
    // Each nested geometry has its own byte order; a parent reads all of its own fields before
    // its members, so overwriting the order here never affects the parent.
    this.little = order === 1;
    const raw = this.uint32();
    // EWKB keeps Z/M/SRID in the high bits; ISO WKB adds 1000/2000/3000 to the type code.
    let hasZ = (raw & 0x80000000) !== 0;
    let hasM = (raw & 0x40000000) !== 0;
    if (raw & 0x20000000) this.uint32();
    let code = raw & 0x0fffffff;
    if (code >= 1000 && code < 4000) {
      const iso = Math.floor(code / 1000);
      hasZ ||= iso === 1 || iso === 3;
      hasM ||= iso === 2 || iso === 3;
      code %= 1000;
    }
    const type = TYPE_NAMES[code - 1];
    if (!type) {
      if (code >= 8 && code <= 17) {
        throw packageError('GEOMETRY_UNSUPPORTED', '不支持曲线、曲面等几何类型（WKB 类型 ' + code + '）',
          `Curved and surface geometry types are not supported (WKB type ${code})`, this.at, { wkbType: raw });
      }
      throw unreadable(this.at, `unknown geometry type code ${raw}`, `未知的几何类型代码 ${raw}`);
    }
    const dims = 2 + (hasZ ? 1 : 0) + (hasM ? 1 : 0);
    switch (type) {
      case 'Point': {
        this.need(dims * 8);
        const x = this.view.getFloat64(this.pos, this.little);
        const y = this.view.getFloat64(this.pos + 8, this.little);
        this.pos += dims * 8;
        // All-NaN is how WKB writes POINT EMPTY; any other NaN is a broken coordinate.
        if (Number.isNaN(x) && Number.isNaN(y)) return { type, xy: [] };
        checkXy(x, y, this.at);
        return { type, xy: [x, y] };
      }
      case 'LineString': return { type, xy: this.points(this.count(dims * 8), dims) };
      case 'Polygon': {
        const rings: number[][] = [];
        for (let r = this.count(4), i = 0; i < r; i++) rings.push(this.points(this.count(dims * 8), dims));
        return { type, rings };
      }
      default: {
        const parts: Geom[] = [];
        for (let n = this.count(5), i = 0; i < n; i++) {
          const part = this.read(depth + 1);
          const expected = MEMBER_TYPE[type];
          if (expected && part.type !== expected) {
            throw unreadable(this.at, `${type} holds a ${part.type}`, `${type} 中含有 ${part.type}`);
          }
          parts.push(part);
        }
        return { type, parts };
      }
    }
  }
}

/** Parses WKB, ISO WKB or EWKB (either byte order, any Z/M variant) into 2D little-endian ISO WKB. */
export function normaliseWkb(input: Uint8Array, at: IngestLocation): NormalisedGeometry {
  return finish(new WkbReader(input, at).read());
}

// ---------------------------------------------------------------- repair and write

function firstXy(rings: number[][]): [number, number] | null {
  for (const ring of rings) if (ring.length >= 2) return [ring[0]!, ring[1]!];
  return null;
}

function repairPolygon(rings: number[][], part: number, issues: GeometryIssue[]): number[][] | null {
  const kept: number[][] = [];
  let exteriorKept = true;
  rings.forEach((ring, index) => {
    const at = ring.length >= 2 ? [ring[0]!, ring[1]!] as [number, number] : firstXy(rings);
    let closed = ring;
    if (ring.length >= 2 && (ring[0] !== ring[ring.length - 2] || ring[1] !== ring[ring.length - 1])) {
      closed = [...ring, ring[0]!, ring[1]!];
      issues.push({ kind: 'ring_not_closed', part, ring: index, at: at! });
    }
    if (closed.length < 8) {
      if (at) issues.push({ kind: 'too_few_points', part, ring: index, at });
      if (index === 0) exteriorKept = false;
      return;
    }
    kept.push(closed);
  });
  // Holes without their exterior mean nothing, so the whole polygon goes.
  if (!exteriorKept || kept.length === 0) return null;
  return kept;
}

function repair(g: Geom, issues: GeometryIssue[], counter: { polygons: number }): Geom | null {
  switch (g.type) {
    case 'Point':
    case 'LineString':
      return g.xy.length === 0 ? null : g;
    case 'Polygon': {
      const rings = repairPolygon(g.rings, counter.polygons++, issues);
      return rings ? { type: g.type, rings } : null;
    }
    default: {
      const parts = g.parts.map((p) => repair(p, issues, counter)).filter((p): p is Geom => p !== null);
      return parts.length ? { type: g.type, parts } : null;
    }
  }
}

function size(g: Geom): number {
  switch (g.type) {
    case 'Point': return 21;
    case 'LineString': return 9 + g.xy.length * 8;
    case 'Polygon': return g.rings.reduce((sum, ring) => sum + 4 + ring.length * 8, 9);
    default: return g.parts.reduce((sum, part) => sum + size(part), 9);
  }
}

class WkbWriter {
  pos = 0;
  readonly bbox: Bbox = [Infinity, Infinity, -Infinity, -Infinity];
  constructor(readonly buf: Buffer) {}

  private header(type: GeometryTypeName): void {
    this.buf.writeUInt8(1, this.pos);
    this.buf.writeUInt32LE(TYPE_CODES[type], this.pos + 1);
    this.pos += 5;
  }

  private coords(xy: number[]): void {
    const b = this.bbox;
    for (let i = 0; i < xy.length; i += 2) {
      const x = xy[i]!;
      const y = xy[i + 1]!;
      this.buf.writeDoubleLE(x, this.pos);
      this.buf.writeDoubleLE(y, this.pos + 8);
      this.pos += 16;
      if (x < b[0]) b[0] = x;
      if (y < b[1]) b[1] = y;
      if (x > b[2]) b[2] = x;
      if (y > b[3]) b[3] = y;
    }
  }

  write(g: Geom): void {
    this.header(g.type);
    switch (g.type) {
      case 'Point': this.coords(g.xy); return;
      case 'LineString': this.pos = this.buf.writeUInt32LE(g.xy.length / 2, this.pos); this.coords(g.xy); return;
      case 'Polygon':
        this.pos = this.buf.writeUInt32LE(g.rings.length, this.pos);
        for (const ring of g.rings) { this.pos = this.buf.writeUInt32LE(ring.length / 2, this.pos); this.coords(ring); }
        return;
      default:
        this.pos = this.buf.writeUInt32LE(g.parts.length, this.pos);
        for (const part of g.parts) this.write(part);
    }
  }
}

function finish(g: Geom): NormalisedGeometry {
  const issues: GeometryIssue[] = [];
  const kept = repair(g, issues, { polygons: 0 });
  if (!kept) {
    // An empty geometry is no geometry; one emptied by repairs keeps its type so the findings have a subject.
    return { wkb: null, bbox: null, geometryType: issues.length ? g.type : null, issues };
  }
  const writer = new WkbWriter(Buffer.allocUnsafe(size(kept)));
  writer.write(kept);
  return { wkb: writer.buf, bbox: writer.bbox, geometryType: g.type, issues };
}
