// District outlines for the generator: read fixtures/districts/shanghai-districts.geojson (approximate,
// generalised demo outlines — see that folder's README), project them to CGCS2000 3-degree
// Gauss-Kruger (zone-prefixed eastings) and index their edges so the tessellation can ask "which
// boundary edges come near this cell" and "is this point inside" cheaply.
import proj4 from 'proj4';
import { districtOutlines } from '../../geo/district-outlines.ts';
import { proj4Definition } from '../../modules/ingest/crs.ts';
import { ringSignedArea } from './polygon.ts';

export interface DistrictFeature {
  code: string;
  name: string;
  /** lon/lat polygons → rings → [lon, lat] positions (closed, densified: see server/geo/district-outlines.ts). */
  coordinates: number[][][][];
}

export function loadDistricts(): DistrictFeature[] {
  return districtOutlines().outlines;
}

export function findDistrict(code: string): DistrictFeature {
  const found = loadDistricts().find((district) => district.code === code);
  if (!found) throw new Error(`unknown district code ${code}; expected one of ${loadDistricts().map((d) => d.code).join(', ')}`);
  return found;
}

/** Zone 40 (CM 120°E) west of 121°30'E, else zone 41 (CM 123°E), judged by the outline's centroid. */
export function defaultZone(district: DistrictFeature): 40 | 41 {
  let area = 0;
  let cx = 0;
  for (const polygon of district.coordinates) {
    const ring = polygon[0]!;
    for (let k = 0; k + 1 < ring.length; k++) {
      const [x1, y1] = ring[k] as [number, number];
      const [x2, y2] = ring[k + 1] as [number, number];
      const cross = x1 * y2 - x2 * y1;
      area += cross;
      cx += (x1 + x2) * cross;
    }
  }
  const lon = cx / (3 * area);
  return lon < 121.5 ? 40 : 41;
}

export interface Projection {
  epsg: 4528 | 4529;
  /** lon/lat → [easting, northing] */
  forward(lon: number, lat: number): [number, number];
  /** [easting, northing] → lon/lat */
  inverse(x: number, y: number): [number, number];
}

export function projectionForZone(zone: 40 | 41): Projection {
  const epsg = zone === 40 ? 4528 : 4529;
  const converter = proj4(proj4Definition(4490), proj4Definition(epsg));
  return {
    epsg,
    forward: (lon, lat) => converter.forward([lon, lat]) as [number, number],
    inverse: (x, y) => converter.inverse([x, y]) as [number, number],
  };
}

/** A district outline in plane coordinates: open rings (no repeated closing point), counter-clockwise. */
export interface PlaneOutline {
  rings: Float64Array[];
  /** true for outer rings, false for holes (the demo outlines have none, but the clipper does not assume it). */
  outer: boolean[];
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  area: number;
}

export function projectOutline(district: DistrictFeature, projection: Projection): PlaneOutline {
  const rings: Float64Array[] = [];
  const outer: boolean[] = [];
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  let area = 0;
  for (const polygon of district.coordinates) {
    polygon.forEach((lonLatRing, index) => {
      const n = lonLatRing.length - 1; // GeoJSON rings repeat the first position
      const flat = new Float64Array(2 * n);
      for (let k = 0; k < n; k++) {
        const [x, y] = projection.forward(lonLatRing[k]![0]!, lonLatRing[k]![1]!);
        flat[2 * k] = x;
        flat[2 * k + 1] = y;
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
      }
      // Keep outer rings counter-clockwise and holes clockwise whatever the file says.
      const signed = ringSignedArea(flat);
      if ((index === 0) !== signed > 0) reverseRing(flat);
      area += index === 0 ? Math.abs(signed) : -Math.abs(signed);
      rings.push(flat);
      outer.push(index === 0);
    });
  }
  return { rings, outer, minX, minY, maxX, maxY, area };
}

export function reverseRing(flat: Float64Array): void {
  const n = flat.length >> 1;
  for (let a = 0, z = n - 1; a < z; a++, z--) {
    const x = flat[2 * a]!;
    const y = flat[2 * a + 1]!;
    flat[2 * a] = flat[2 * z]!;
    flat[2 * a + 1] = flat[2 * z + 1]!;
    flat[2 * z] = x;
    flat[2 * z + 1] = y;
  }
}

/**
 * Boundary segments of an outline with two indexes: square buckets (which segments may touch a box)
 * and horizontal bands (which segments a ray towards +x may cross — point-in-polygon).
 */
export class SegmentIndex {
  readonly count: number;
  readonly x1: Float64Array;
  readonly y1: Float64Array;
  readonly x2: Float64Array;
  readonly y2: Float64Array;
  /** ring index and segment index within the ring (segment k goes from vertex k to k+1) */
  readonly ring: Int32Array;
  readonly seg: Int32Array;
  private readonly buckets = new Map<number, number[]>();
  private readonly bands: number[][];
  private readonly bandHeight: number;
  private readonly bucketsX: number;

  constructor(
    readonly outline: PlaneOutline,
    readonly bucketSize: number,
  ) {
    let count = 0;
    for (const ring of outline.rings) count += ring.length >> 1;
    this.count = count;
    this.x1 = new Float64Array(count);
    this.y1 = new Float64Array(count);
    this.x2 = new Float64Array(count);
    this.y2 = new Float64Array(count);
    this.ring = new Int32Array(count);
    this.seg = new Int32Array(count);
    this.bucketsX = Math.ceil((outline.maxX - outline.minX) / bucketSize) + 3;
    const bandCount = Math.ceil((outline.maxY - outline.minY) / bucketSize) + 3;
    this.bandHeight = bucketSize;
    this.bands = Array.from({ length: bandCount }, () => []);
    let id = 0;
    outline.rings.forEach((flat, r) => {
      const n = flat.length >> 1;
      for (let k = 0; k < n; k++, id++) {
        const m = (k + 1) % n;
        this.x1[id] = flat[2 * k]!;
        this.y1[id] = flat[2 * k + 1]!;
        this.x2[id] = flat[2 * m]!;
        this.y2[id] = flat[2 * m + 1]!;
        this.ring[id] = r;
        this.seg[id] = k;
        this.register(id);
      }
    });
  }

  private bx(x: number): number {
    return Math.floor((x - this.outline.minX) / this.bucketSize) + 1;
  }

  private by(y: number): number {
    return Math.floor((y - this.outline.minY) / this.bucketSize) + 1;
  }

  private register(id: number): void {
    const x1 = this.x1[id]!;
    const y1 = this.y1[id]!;
    const x2 = this.x2[id]!;
    const y2 = this.y2[id]!;
    const bx0 = this.bx(Math.min(x1, x2));
    const bx1 = this.bx(Math.max(x1, x2));
    const by0 = this.by(Math.min(y1, y2));
    const by1 = this.by(Math.max(y1, y2));
    for (let by = by0; by <= by1; by++) {
      this.bands[by]!.push(id);
      for (let bx = bx0; bx <= bx1; bx++) {
        const size = this.bucketSize;
        const left = this.outline.minX + (bx - 1) * size;
        const bottom = this.outline.minY + (by - 1) * size;
        // Long diagonal edges cross few of the buckets in their bounding box: test exactly.
        if (!segmentTouchesBox(x1, y1, x2, y2, left, bottom, left + size, bottom + size)) continue;
        const key = by * this.bucketsX + bx;
        const list = this.buckets.get(key);
        if (list) list.push(id);
        else this.buckets.set(key, [id]);
      }
    }
  }

  /** Ids of segments that touch the box (exact segment/box test), each once, in ascending order. */
  segmentsInBox(minX: number, minY: number, maxX: number, maxY: number, out: number[]): number[] {
    out.length = 0;
    this.visitInBox(minX, minY, maxX, maxY, (id) => {
      if (!out.includes(id)) out.push(id);
      return false;
    });
    return out.sort((a, b) => a - b);
  }

  /** Does any segment touch the box? (the cheap form of segmentsInBox for classifying cells) */
  anyInBox(minX: number, minY: number, maxX: number, maxY: number): boolean {
    return this.visitInBox(minX, minY, maxX, maxY, () => true);
  }

  /**
   * Calls `visit` for each segment (possibly more than once: a segment sits in every bucket it
   * crosses) that touches the box; stops and answers true as soon as `visit` does.
   */
  private visitInBox(minX: number, minY: number, maxX: number, maxY: number, visit: (id: number) => boolean): boolean {
    const bx0 = Math.max(0, this.bx(minX));
    const bx1 = Math.min(this.bucketsX - 1, this.bx(maxX));
    const by0 = Math.max(0, this.by(minY));
    const by1 = Math.min(this.bands.length - 1, this.by(maxY));
    for (let by = by0; by <= by1; by++) {
      for (let bx = bx0; bx <= bx1; bx++) {
        const list = this.buckets.get(by * this.bucketsX + bx);
        if (!list) continue;
        for (const id of list) {
          if (segmentTouchesBox(this.x1[id]!, this.y1[id]!, this.x2[id]!, this.y2[id]!, minX, minY, maxX, maxY) && visit(id)) return true;
        }
      }
    }
    return false;
  }

  /** Even-odd point-in-polygon by a ray towards +x (holes count as outside). */
  contains(px: number, py: number): boolean {
    const band = this.bands[this.by(py)];
    if (!band) return false;
    let inside = false;
    for (const id of band) {
      const y1 = this.y1[id]!;
      const y2 = this.y2[id]!;
      if (y1 > py === y2 > py) continue;
      const x1 = this.x1[id]!;
      const x2 = this.x2[id]!;
      const x = x1 + ((py - y1) * (x2 - x1)) / (y2 - y1);
      if (x > px) inside = !inside;
    }
    return inside;
  }

  /** Distance from a point to the nearest boundary segment (brute force: used a few hundred times at most). */
  distance(px: number, py: number): number {
    let best = Infinity;
    for (let id = 0; id < this.count; id++) best = Math.min(best, pointSegmentDistance(px, py, this.x1[id]!, this.y1[id]!, this.x2[id]!, this.y2[id]!));
    return best;
  }
}

export function pointSegmentDistance(px: number, py: number, x1: number, y1: number, x2: number, y2: number): number {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const len2 = dx * dx + dy * dy;
  let t = len2 === 0 ? 0 : ((px - x1) * dx + (py - y1) * dy) / len2;
  t = Math.max(0, Math.min(1, t));
  return Math.hypot(px - (x1 + t * dx), py - (y1 + t * dy));
}

/** Does segment (x1,y1)-(x2,y2) touch the closed box? Liang-Barsky clipping. */
export function segmentTouchesBox(x1: number, y1: number, x2: number, y2: number, minX: number, minY: number, maxX: number, maxY: number): boolean {
  let t0 = 0;
  let t1 = 1;
  const dx = x2 - x1;
  const dy = y2 - y1;
  const p = [-dx, dx, -dy, dy];
  const q = [x1 - minX, maxX - x1, y1 - minY, maxY - y1];
  for (let k = 0; k < 4; k++) {
    const pk = p[k]!;
    const qk = q[k]!;
    if (pk === 0) {
      if (qk < 0) return false;
    } else {
      const r = qk / pk;
      if (pk < 0) {
        if (r > t1) return false;
        if (r > t0) t0 = r;
      } else {
        if (r < t0) return false;
        if (r < t1) t1 = r;
      }
    }
  }
  return true;
}
