// Geometry of yearly changes: cutting a parcel in two along a straight line through its centroid,
// and joining two neighbouring parcels into one. Rings are flat, open and counter-clockwise, as the
// tessellation produces them. Both operations tile exactly: a split's pieces share the cut edge
// with bit-identical end points and keep every vertex of the parent, a merge is the union by shared
// edges (the edges both parcels have cancel, every other edge is kept as it was).
//
// Where a cut meets an edge of the parent, the new vertex goes on that edge as the area formula
// models it (projectedRingArea): a straight Gauss-Kruger segment up to 60 m, the geodesic beyond.
// So the pieces' ellipsoidal areas add up to the parent's to ~1e-6 m², as the platform measures
// them (geography, geodesic edges). On a long edge the geodesic bows away from the straight plane
// segment by up to a few tenths of a millimetre: that is how far such a vertex lies off the plane
// segment of the neighbour across the edge.
import geographiclib from 'geographiclib-geodesic';
import { CGCS2000_A, CGCS2000_F } from '../../geo/ellipsoidal-area.ts';
import type { Projection } from './district.ts';
import { ringCentroid, ringSignedArea, unionBySharedEdges } from './polygon.ts';
import type { Rng } from './random.ts';

/** The point at fraction t of the edge (x1, y1) → (x2, y2), as the area formula models the edge. */
export type EdgePoint = (x1: number, y1: number, x2: number, y2: number, t: number) => [number, number];

/** Edges longer than this (m) are geodesics for projectedRingArea (its GEODESIC_EDGE_M). */
const GEODESIC_EDGE_M = 60;

/** Plane interpolation: the edge as a straight Gauss-Kruger segment. */
export const planeEdgePoint: EdgePoint = (x1, y1, x2, y2, t) => [x1 + t * (x2 - x1), y1 + t * (y2 - y1)];

/** The edge model of projectedRingArea: straight in the plane up to 60 m, the CGCS2000 geodesic beyond. */
export function surveyEdgePoint(projection: Pick<Projection, 'forward' | 'inverse'>): EdgePoint {
  const geodesic = new geographiclib.Geodesic.Geodesic(CGCS2000_A, CGCS2000_F);
  return (x1, y1, x2, y2, t) => {
    if (Math.hypot(x2 - x1, y2 - y1) <= GEODESIC_EDGE_M) return planeEdgePoint(x1, y1, x2, y2, t);
    const [lon1, lat1] = projection.inverse(x1, y1);
    const [lon2, lat2] = projection.inverse(x2, y2);
    const line = geodesic.InverseLine(lat1, lon1, lat2, lon2);
    const at = line.Position(line.s13 * t);
    return projection.forward(at.lon2!, at.lat2!);
  };
}

/** Cut points closer than this to a vertex of the parent (m) would leave a needlessly short edge. */
const MIN_CUT_OFFSET_M = 0.5;
/** Each piece of a split keeps at least this share of its parent's area. */
const MIN_PIECE_SHARE = 0.2;

/**
 * Two pieces of `ring` on either side of a straight line through its centroid, roughly across its
 * long axis, or null when no tried line crosses the boundary exactly twice away from the vertices
 * with reasonable pieces (strongly concave parcels). Piece 1 runs P → … → Q, piece 2 Q → … → P,
 * where P and Q are where the line crosses the boundary: both keep the parent's orientation.
 */
export function splitRing(ring: ArrayLike<number>, rng: Rng, edgePoint: EdgePoint = planeEdgePoint): [number[], number[]] | null {
  const n = ring.length >> 1;
  if (n < 3) return null;
  const parentArea = ringSignedArea(ring);
  if (!(parentArea > 0)) return null;
  const [cx, cy] = ringCentroid(ring);
  // Long axis from the vertex spread about the centroid; cut across it, give or take 20°.
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let k = 0; k < n; k++) {
    const dx = ring[2 * k]! - cx;
    const dy = ring[2 * k + 1]! - cy;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const longAxis = 0.5 * Math.atan2(2 * sxy, sxx - syy);
  const base = longAxis + Math.PI / 2 + (rng.next() - 0.5) * (Math.PI / 4.5);
  for (let attempt = 0; attempt < 8; attempt++) {
    // base, then alternately further away on either side
    const angle = base + (attempt === 0 ? 0 : ((attempt + 1) >> 1) * (attempt % 2 ? 1 : -1) * (Math.PI / 9));
    const pieces = cutAlong(ring, n, cx, cy, Math.cos(angle), Math.sin(angle), parentArea, edgePoint);
    if (pieces) return pieces;
  }
  return null;
}

function cutAlong(
  ring: ArrayLike<number>,
  n: number,
  cx: number,
  cy: number,
  dx: number,
  dy: number,
  parentArea: number,
  edgePoint: EdgePoint,
): [number[], number[]] | null {
  const side = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const s = dx * (ring[2 * k + 1]! - cy) - dy * (ring[2 * k]! - cx);
    if (Math.abs(s) < 1e-3) return null; // a vertex (nearly) on the line
    side[k] = s;
  }
  const crossings: number[] = [];
  for (let k = 0; k < n; k++) if (side[k]! > 0 !== side[(k + 1) % n]! > 0) crossings.push(k);
  if (crossings.length !== 2) return null;
  const cut = (k: number): [number, number] | null => {
    const m = (k + 1) % n;
    const x1 = ring[2 * k]!;
    const y1 = ring[2 * k + 1]!;
    const ex = ring[2 * m]! - x1;
    const ey = ring[2 * m + 1]! - y1;
    const t = side[k]! / (side[k]! - side[m]!);
    const length = Math.hypot(ex, ey);
    if (t * length < MIN_CUT_OFFSET_M || (1 - t) * length < MIN_CUT_OFFSET_M) return null;
    return edgePoint(x1, y1, ring[2 * m]!, ring[2 * m + 1]!, t);
  };
  const [i, j] = crossings as [number, number];
  const p = cut(i);
  const q = cut(j);
  if (!p || !q) return null;
  const first: number[] = [p[0], p[1]];
  for (let k = i + 1; k <= j; k++) first.push(ring[2 * k]!, ring[2 * k + 1]!);
  first.push(q[0], q[1]);
  const second: number[] = [q[0], q[1]];
  for (let k = (j + 1) % n; ; k = (k + 1) % n) {
    second.push(ring[2 * k]!, ring[2 * k + 1]!);
    if (k === i) break;
  }
  second.push(p[0], p[1]);
  const a1 = ringSignedArea(first);
  const a2 = ringSignedArea(second);
  if (a1 < MIN_PIECE_SHARE * parentArea || a2 < MIN_PIECE_SHARE * parentArea) return null;
  if (Math.abs(a1 + a2 - parentArea) > 1e-5 * parentArea) return null;
  if (!isSimpleRing(first) || !isSimpleRing(second)) return null;
  return [first, second];
}

/** Whether two rings share at least one edge (the same two vertices, in opposite directions). */
export function shareEdge(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const na = a.length >> 1;
  const nb = b.length >> 1;
  const edges = new Set<string>();
  for (let k = 0; k < na; k++) {
    const m = (k + 1) % na;
    edges.add(`${a[2 * m]},${a[2 * m + 1]}>${a[2 * k]},${a[2 * k + 1]}`);
  }
  for (let k = 0; k < nb; k++) {
    const m = (k + 1) % nb;
    if (edges.has(`${b[2 * k]},${b[2 * k + 1]}>${b[2 * m]},${b[2 * m + 1]}`)) return true;
  }
  return false;
}

/**
 * The union of two neighbouring rings as one simple counter-clockwise ring whose area is the sum of
 * theirs, or null (no shared edge, a hole would remain, the rings touch elsewhere, or their common
 * boundary is not vertex-for-vertex identical, e.g. after an earlier split put a vertex on one side).
 */
export function mergeRings(a: ArrayLike<number>, b: ArrayLike<number>): number[] | null {
  const union = unionBySharedEdges(a, b);
  if (!union || union.length < 6) return null;
  const area = ringSignedArea(union);
  const expected = ringSignedArea(a) + ringSignedArea(b);
  if (!(area > 0) || Math.abs(area - expected) > 1e-6 * expected) return null;
  return isSimpleRing(union) ? union : null;
}

/**
 * A simple ring: no repeated vertex, no two non-adjacent edges touching, no adjacent edges folding
 * back onto each other. O(n²), meant for parcel-sized rings.
 */
export function isSimpleRing(ring: ArrayLike<number>): boolean {
  const n = ring.length >> 1;
  if (n < 3) return false;
  const seen = new Set<string>();
  for (let k = 0; k < n; k++) {
    const key = `${ring[2 * k]},${ring[2 * k + 1]}`;
    if (seen.has(key)) return false;
    seen.add(key);
  }
  const ox = ring[0]!;
  const oy = ring[1]!;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    xs[k] = ring[2 * k]! - ox;
    ys[k] = ring[2 * k + 1]! - oy;
  }
  const orient = (a: number, b: number, c: number) => Math.sign((xs[b]! - xs[a]!) * (ys[c]! - ys[a]!) - (ys[b]! - ys[a]!) * (xs[c]! - xs[a]!));
  for (let k = 0; k < n; k++) {
    // adjacent edges (k-1 → k → k+1) must not fold back
    const p = (k + n - 1) % n;
    const q = (k + 1) % n;
    if (orient(p, k, q) === 0 && (xs[p]! - xs[k]!) * (xs[q]! - xs[k]!) + (ys[p]! - ys[k]!) * (ys[q]! - ys[k]!) > 0) return false;
  }
  for (let i = 0; i < n; i++) {
    const i2 = (i + 1) % n;
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue;
      const j2 = (j + 1) % n;
      if (orient(i, i2, j) * orient(i, i2, j2) <= 0 && orient(j, j2, i) * orient(j, j2, i2) <= 0) {
        // collinear but disjoint segments also give 0·0; only count them when they overlap
        if (orient(i, i2, j) === 0 && orient(i, i2, j2) === 0 && !collinearOverlap(xs, ys, i, i2, j, j2)) continue;
        return false;
      }
    }
  }
  return true;
}

function collinearOverlap(xs: Float64Array, ys: Float64Array, a: number, b: number, c: number, d: number): boolean {
  const useX = Math.abs(xs[b]! - xs[a]!) >= Math.abs(ys[b]! - ys[a]!);
  const v = useX ? xs : ys;
  const lo1 = Math.min(v[a]!, v[b]!);
  const hi1 = Math.max(v[a]!, v[b]!);
  const lo2 = Math.min(v[c]!, v[d]!);
  const hi2 = Math.max(v[c]!, v[d]!);
  return lo1 <= hi2 && lo2 <= hi1;
}
