// ESRI shapefile polygon records to ISO WKB MultiPolygon. Shapefile rings are a flat list: outer
// rings run clockwise, holes counter-clockwise, and each hole belongs to the outer ring that
// contains it. Point coordinates are little-endian doubles in both formats, so rings are copied
// byte for byte into the WKB; only the headers are written.
import { packageError } from '../errors.ts';
import type { GeometryIssue } from './wkb.ts';

export interface PolygonRecordGeometry {
  wkb: Buffer | null;
  bbox: [number, number, number, number] | null;
  issues: GeometryIssue[];
}

interface Ring {
  start: number; // first point index
  count: number; // points as stored
  closeIt: boolean; // append the first point again
  signedArea: number;
}

const WKB_POLYGON = 3;
const WKB_MULTIPOLYGON = 6;

/**
 * `content` is one record's content (after the 8-byte record header) of shape type 5, 15 or 25;
 * Z and M values after the points are ignored.
 */
export function polygonRecordToWkb(content: Buffer): PolygonRecordGeometry {
  if (content.length < 44) throw packageError('SHAPE_RECORD_INVALID', '面记录长度不足', 'A polygon record is too short');
  const numParts = content.readInt32LE(36);
  const numPoints = content.readInt32LE(40);
  const pointsOffset = 44 + 4 * numParts;
  if (numParts < 0 || numPoints < 0 || pointsOffset + 16 * numPoints > content.length) {
    throw packageError('SHAPE_RECORD_INVALID', `面记录的环数（${numParts}）或点数（${numPoints}）超出记录长度`, `A polygon record declares more parts (${numParts}) or points (${numPoints}) than it holds`);
  }
  const issues: GeometryIssue[] = [];
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const outers: Ring[] = [];
  const holes: Ring[] = [];
  for (let part = 0; part < numParts; part++) {
    const start = content.readInt32LE(44 + 4 * part);
    const end = part + 1 < numParts ? content.readInt32LE(44 + 4 * (part + 1)) : numPoints;
    if (start < 0 || end > numPoints || end < start) {
      throw packageError('SHAPE_RECORD_INVALID', '面记录的环索引无效', 'A polygon record has invalid part indices');
    }
    let area = 0;
    let px = 0, py = 0;
    for (let i = start; i < end; i++) {
      const x = content.readDoubleLE(pointsOffset + 16 * i);
      const y = content.readDoubleLE(pointsOffset + 16 * i + 8);
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        throw packageError('COORDINATES_NOT_FINITE', '坐标含有 NaN 或无穷大', 'A coordinate is NaN or infinite', {}, { point: i - start, ring: part });
      }
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      if (i > start) area += px * y - x * py;
      px = x;
      py = y;
    }
    const count = end - start;
    if (count === 0) continue;
    const fx = content.readDoubleLE(pointsOffset + 16 * start);
    const fy = content.readDoubleLE(pointsOffset + 16 * start + 8);
    const closed = count > 1 && px === fx && py === fy;
    if (!closed) {
      area += px * fy - fx * py;
      issues.push({ kind: 'ring_not_closed', part: 0, ring: part, at: [fx, fy] });
    }
    if (count + (closed ? 0 : 1) < 4) {
      issues.push({ kind: 'too_few_points', part: 0, ring: part, at: [fx, fy] });
      continue;
    }
    const ring: Ring = { start, count, closeIt: !closed, signedArea: area / 2 };
    // Clockwise (negative in a y-up plane) is an outer ring in a shapefile.
    (ring.signedArea <= 0 ? outers : holes).push(ring);
  }
  if (outers.length === 0 && holes.length === 0) return { wkb: null, bbox: numPoints ? [minX, minY, maxX, maxY] : null, issues };
  // Files written with the opposite convention have only counter-clockwise rings: take them as
  // outers rather than lose them; the quality checks judge the result.
  const polygons: Ring[][] = outers.length ? outers.map((outer) => [outer]) : holes.splice(0).map((ring) => [ring]);
  for (const hole of holes) {
    const owner = polygons.length === 1 ? polygons[0]! : polygons.find((rings) => ringContainsRingStart(content, pointsOffset, rings[0]!, hole)) ?? null;
    if (owner) owner.push(hole);
    else polygons.push([hole]);
  }
  return { wkb: writeMultiPolygon(content, pointsOffset, polygons), bbox: [minX, minY, maxX, maxY], issues };
}

function ringContainsRingStart(content: Buffer, pointsOffset: number, outer: Ring, hole: Ring): boolean {
  const x = content.readDoubleLE(pointsOffset + 16 * hole.start);
  const y = content.readDoubleLE(pointsOffset + 16 * hole.start + 8);
  let inside = false;
  for (let i = outer.start, j = outer.start + outer.count - 1; i < outer.start + outer.count; j = i++) {
    const xi = content.readDoubleLE(pointsOffset + 16 * i);
    const yi = content.readDoubleLE(pointsOffset + 16 * i + 8);
    const xj = content.readDoubleLE(pointsOffset + 16 * j);
    const yj = content.readDoubleLE(pointsOffset + 16 * j + 8);
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function writeMultiPolygon(content: Buffer, pointsOffset: number, polygons: Ring[][]): Buffer {
  let size = 9;
  for (const rings of polygons) {
    size += 9;
    for (const ring of rings) size += 4 + 16 * (ring.count + (ring.closeIt ? 1 : 0));
  }
  const wkb = Buffer.allocUnsafe(size);
  wkb[0] = 1;
  wkb.writeUInt32LE(WKB_MULTIPOLYGON, 1);
  wkb.writeUInt32LE(polygons.length, 5);
  let pos = 9;
  for (const rings of polygons) {
    wkb[pos] = 1;
    wkb.writeUInt32LE(WKB_POLYGON, pos + 1);
    wkb.writeUInt32LE(rings.length, pos + 5);
    pos += 9;
    for (const ring of rings) {
      wkb.writeUInt32LE(ring.count + (ring.closeIt ? 1 : 0), pos);
      pos += 4;
      const from = pointsOffset + 16 * ring.start;
      pos += content.copy(wkb, pos, from, from + 16 * ring.count);
      if (ring.closeIt) pos += content.copy(wkb, pos, from, from + 16);
    }
  }
  return wkb;
}
