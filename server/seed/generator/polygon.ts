// Plane-geometry helpers on flat rings: [x0, y0, x1, y1, …], open (the closing edge is implied),
// counter-clockwise for outer rings. Gauss-Kruger eastings carry the zone prefix (≈ 4e7 m), so area
// and intersection arithmetic is done relative to a nearby origin to keep the digits that matter.

export type FlatRing = ArrayLike<number>;

/** Shoelace area, positive for counter-clockwise rings. */
export function ringSignedArea(ring: FlatRing): number {
  const n = ring.length >> 1;
  if (n < 3) return 0;
  const ox = ring[0]!;
  const oy = ring[1]!;
  let sum = 0;
  let px = ring[2 * (n - 1)]! - ox;
  let py = ring[2 * (n - 1) + 1]! - oy;
  for (let k = 0; k < n; k++) {
    const x = ring[2 * k]! - ox;
    const y = ring[2 * k + 1]! - oy;
    sum += px * y - x * py;
    px = x;
    py = y;
  }
  return sum / 2;
}

/** Area-weighted centroid (falls back to the vertex mean for degenerate rings). */
export function ringCentroid(ring: FlatRing): [number, number] {
  const n = ring.length >> 1;
  const ox = ring[0]!;
  const oy = ring[1]!;
  let a = 0;
  let cx = 0;
  let cy = 0;
  let mx = 0;
  let my = 0;
  for (let k = 0; k < n; k++) {
    const x1 = ring[2 * k]! - ox;
    const y1 = ring[2 * k + 1]! - oy;
    const m = (k + 1) % n;
    const x2 = ring[2 * m]! - ox;
    const y2 = ring[2 * m + 1]! - oy;
    const cross = x1 * y2 - x2 * y1;
    a += cross;
    cx += (x1 + x2) * cross;
    cy += (y1 + y2) * cross;
    mx += x1;
    my += y1;
  }
  if (Math.abs(a) < 1e-12) return [ox + mx / n, oy + my / n];
  return [ox + cx / (3 * a), oy + cy / (3 * a)];
}

export function ringBBox(ring: FlatRing): [number, number, number, number] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let k = 0; k < ring.length; k += 2) {
    const x = ring[k]!;
    const y = ring[k + 1]!;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return [minX, minY, maxX, maxY];
}

export function ringPerimeter(ring: FlatRing): number {
  const n = ring.length >> 1;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const m = (k + 1) % n;
    sum += Math.hypot(ring[2 * m]! - ring[2 * k]!, ring[2 * m + 1]! - ring[2 * k + 1]!);
  }
  return sum;
}

/**
 * Where segment P→Q crosses segment R→S, strictly inside both, or null. The caller passes P→Q in a
 * canonical direction (see canonicalOrder) so that the two faces sharing an edge get bit-identical
 * crossing points. Returns [t along PQ, u along RS, x, y].
 */
export function segmentCrossing(
  px: number,
  py: number,
  qx: number,
  qy: number,
  rx: number,
  ry: number,
  sx: number,
  sy: number,
): [number, number, number, number] | null {
  const dx = qx - px;
  const dy = qy - py;
  const ex = sx - rx;
  const ey = sy - ry;
  const den = dx * ey - dy * ex;
  if (den === 0) {
    // Parallel. Collinear overlap would make the overlay ambiguous; the jittered grid makes it
    // vanishingly unlikely, so refuse loudly rather than produce a wrong tessellation.
    const cross = (rx - px) * dy - (ry - py) * dx;
    if (cross === 0 && Math.max(px, qx) >= Math.min(rx, sx) && Math.min(px, qx) <= Math.max(rx, sx)) {
      throw new Error(`boundary edge collinear with a grid edge near (${px}, ${py}); try another seed`);
    }
    return null;
  }
  const fx = rx - px;
  const fy = ry - py;
  const t = (fx * ey - fy * ex) / den;
  const u = (fx * dy - fy * dx) / den;
  if (t < 0 || t > 1 || u < 0 || u > 1) return null;
  if (t === 0 || t === 1 || u === 0 || u === 1) {
    throw new Error(`boundary vertex exactly on a grid edge near (${px}, ${py}); try another seed`);
  }
  return [t, u, px + t * dx, py + t * dy];
}

/** True when (ax, ay) comes before (bx, by) in x-then-y order: the canonical direction of a shared edge. */
export function canonicalOrder(ax: number, ay: number, bx: number, by: number): boolean {
  return ax < bx || (ax === bx && ay < by);
}

function pointKey(x: number, y: number): string {
  return `${x},${y}`;
}

/**
 * Union of two rings that share boundary with identical vertices, by cancelling edges that appear in
 * both (in opposite directions) and chaining the rest. Returns null unless the result is one simple
 * ring (no hole, no vertex visited twice), which is what a parcel must be.
 */
export function unionBySharedEdges(a: FlatRing, b: FlatRing): number[] | null {
  const edges = new Map<string, number>();
  const na = a.length >> 1;
  const nb = b.length >> 1;
  const key = (x1: number, y1: number, x2: number, y2: number) => `${x1},${y1}>${x2},${y2}`;
  for (let k = 0; k < na; k++) {
    const m = (k + 1) % na;
    edges.set(key(a[2 * k]!, a[2 * k + 1]!, a[2 * m]!, a[2 * m + 1]!), k);
  }
  const cancelledA = new Uint8Array(na);
  const cancelledB = new Uint8Array(nb);
  let shared = 0;
  for (let k = 0; k < nb; k++) {
    const m = (k + 1) % nb;
    const reverse = edges.get(key(b[2 * m]!, b[2 * m + 1]!, b[2 * k]!, b[2 * k + 1]!));
    if (reverse !== undefined) {
      cancelledA[reverse] = 1;
      cancelledB[k] = 1;
      shared++;
    }
  }
  if (shared === 0) return null;
  // next[start vertex] = end vertex of the surviving directed edges
  const next = new Map<string, [number, number]>();
  let startX = NaN;
  let startY = NaN;
  let total = 0;
  const add = (ring: FlatRing, n: number, cancelled: Uint8Array): boolean => {
    for (let k = 0; k < n; k++) {
      if (cancelled[k]) continue;
      const m = (k + 1) % n;
      const from = pointKey(ring[2 * k]!, ring[2 * k + 1]!);
      if (next.has(from)) return false; // the union touches itself at this vertex
      next.set(from, [ring[2 * m]!, ring[2 * m + 1]!]);
      if (Number.isNaN(startX)) {
        startX = ring[2 * k]!;
        startY = ring[2 * k + 1]!;
      }
      total++;
    }
    return true;
  };
  if (!add(a, na, cancelledA) || !add(b, nb, cancelledB)) return null;
  const out: number[] = [];
  let x = startX;
  let y = startY;
  for (let steps = 0; steps < total; steps++) {
    out.push(x, y);
    const to = next.get(pointKey(x, y));
    if (!to) return null;
    [x, y] = to;
    if (x === startX && y === startY) {
      return steps + 1 === total ? out : null; // fewer steps than edges: a second loop (a hole)
    }
  }
  return null;
}
