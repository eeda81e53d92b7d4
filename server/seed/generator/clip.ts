// Intersection of one convex grid face (a cell or half-cell, counter-clockwise) with the district
// outline, Weiler–Atherton style: walk the outline while it is inside the face, switch to the face
// boundary where the outline leaves, switch back where it re-enters. Because the face is convex, an
// outline stretch between two consecutive crossings lies wholly inside or outside it.
//
// Every crossing is computed by segmentCrossing with the face edge in its canonical direction, so
// the two faces on either side of an edge get bit-identical crossing points — the shared boundary
// of two clipped parcels is the same coordinate sequence — and the district polygon (XZQ) gets the
// same points inserted into its edges.
import type { PlaneOutline, SegmentIndex } from './district.ts';
import { canonicalOrder, ringBBox, ringCentroid, segmentCrossing } from './polygon.ts';

interface Crossing {
  faceSeg: number;
  faceT: number;
  ring: number;
  seg: number;
  u: number;
  x: number;
  y: number;
  entering: boolean;
  used: boolean;
}

/** A crossing as the XZQ ring needs it: which outline edge, where along it, and the point. */
export interface OutlineCrossing {
  seg: number;
  u: number;
  x: number;
  y: number;
}

export class BoundaryClipper {
  /** every crossing found so far, per outline ring (duplicates from both sides of an edge included) */
  readonly crossings: OutlineCrossing[][];
  private readonly scratch: number[] = [];

  constructor(
    readonly outline: PlaneOutline,
    readonly index: SegmentIndex,
  ) {
    this.crossings = outline.rings.map(() => []);
  }

  /** Pieces of face ∩ district, each an open counter-clockwise ring. */
  clip(face: number[]): number[][] {
    const [minX, minY, maxX, maxY] = ringBBox(face);
    const segments = this.index.segmentsInBox(minX, minY, maxX, maxY, this.scratch);
    if (segments.length === 0) {
      const [cx, cy] = ringCentroid(face);
      return this.index.contains(cx, cy) ? [face] : [];
    }
    const nf = face.length >> 1;
    const crossings: Crossing[] = [];
    const ringsNear = new Set<number>();
    for (const id of segments) ringsNear.add(this.index.ring[id]!);
    for (let k = 0; k < nf; k++) {
      const m = (k + 1) % nf;
      const ax = face[2 * k]!;
      const ay = face[2 * k + 1]!;
      const bx = face[2 * m]!;
      const by = face[2 * m + 1]!;
      const forward = canonicalOrder(ax, ay, bx, by);
      for (const id of segments) {
        const rx = this.index.x1[id]!;
        const ry = this.index.y1[id]!;
        const sx = this.index.x2[id]!;
        const sy = this.index.y2[id]!;
        const hit = forward ? segmentCrossing(ax, ay, bx, by, rx, ry, sx, sy) : segmentCrossing(bx, by, ax, ay, rx, ry, sx, sy);
        if (!hit) continue;
        const [t, u, x, y] = hit;
        // The outline enters the face where it runs to the left of the face edge (face interior side).
        const entering = (bx - ax) * (sy - ry) - (by - ay) * (sx - rx) > 0;
        const ring = this.index.ring[id]!;
        const seg = this.index.seg[id]!;
        crossings.push({ faceSeg: k, faceT: forward ? t : 1 - t, ring, seg, u, x, y, entering, used: false });
        this.crossings[ring]!.push({ seg, u, x, y });
      }
    }
    const pieces: number[][] = [];
    // Outline rings near the face that it does not cross lie wholly inside or outside the face.
    for (const r of ringsNear) {
      if (crossings.some((c) => c.ring === r)) continue;
      const ring = this.outline.rings[r]!;
      if (!convexContains(face, ring[0]!, ring[1]!)) continue;
      if (!this.outline.outer[r]) throw new Error('a district hole lies wholly inside one grid cell; not supported');
      pieces.push(Array.from(ring));
    }
    if (crossings.length === 0) {
      // Uncrossed, the face boundary lies wholly inside or outside the district: test a corner (not
      // the centroid, which may sit on an island lying wholly inside the face).
      if (this.index.contains(face[0]!, face[1]!)) {
        if (pieces.length > 0) throw new Error('a district hole lies wholly inside one grid cell; not supported');
        pieces.push(face);
      }
      return pieces;
    }
    if (crossings.length % 2 !== 0) throw new Error(`odd number of boundary crossings near (${face[0]}, ${face[1]}); try another seed`);
    const alongFace = [...crossings].sort((a, b) => a.faceSeg - b.faceSeg || a.faceT - b.faceT);
    const alongRing = new Map<number, Crossing[]>();
    for (const c of crossings) {
      const list = alongRing.get(c.ring);
      if (list) list.push(c);
      else alongRing.set(c.ring, [c]);
    }
    for (const list of alongRing.values()) list.sort((a, b) => a.seg - b.seg || a.u - b.u);

    for (const start of alongFace) {
      if (start.used || !start.entering) continue;
      const piece: number[] = [];
      let current = start;
      for (let guard = 0; ; guard++) {
        if (guard > crossings.length) throw new Error('boundary clipping did not close; try another seed');
        current.used = true;
        // Follow the outline from the entering crossing to where it leaves the face.
        const ringList = alongRing.get(current.ring)!;
        const exit = ringList[(ringList.indexOf(current) + 1) % ringList.length]!;
        if (exit.entering) throw new Error('boundary clipping: two entries in a row; try another seed');
        piece.push(current.x, current.y);
        this.pushOutlineVertices(current, exit, piece);
        exit.used = true;
        piece.push(exit.x, exit.y);
        // Then follow the face boundary to where the outline comes back in.
        const next = alongFace[(alongFace.indexOf(exit) + 1) % alongFace.length]!;
        if (!next.entering) throw new Error('boundary clipping: two exits in a row; try another seed');
        pushFaceVertices(face, exit, next, piece);
        if (next === start) break;
        current = next;
      }
      pieces.push(piece);
    }
    return pieces;
  }

  private pushOutlineVertices(from: Crossing, to: Crossing, out: number[]): void {
    const ring = this.outline.rings[from.ring]!;
    const n = ring.length >> 1;
    let count = (to.seg - from.seg + n) % n;
    if (count === 0 && to.u < from.u) count = n;
    for (let k = 1; k <= count; k++) {
      const v = (from.seg + k) % n;
      out.push(ring[2 * v]!, ring[2 * v + 1]!);
    }
  }
}

function pushFaceVertices(face: number[], from: Crossing, to: Crossing, out: number[]): void {
  const n = face.length >> 1;
  let count = (to.faceSeg - from.faceSeg + n) % n;
  if (count === 0 && to.faceT < from.faceT) count = n;
  for (let k = 1; k <= count; k++) {
    const v = (from.faceSeg + k) % n;
    out.push(face[2 * v]!, face[2 * v + 1]!);
  }
}

/** Point strictly inside a convex counter-clockwise ring. */
function convexContains(ring: number[], px: number, py: number): boolean {
  const n = ring.length >> 1;
  for (let k = 0; k < n; k++) {
    const m = (k + 1) % n;
    const ax = ring[2 * k]!;
    const ay = ring[2 * k + 1]!;
    if ((ring[2 * m]! - ax) * (py - ay) - (ring[2 * m + 1]! - ay) * (px - ax) <= 0) return false;
  }
  return true;
}

/**
 * The outline ring with every crossing inserted (duplicates from the two sides of an edge removed):
 * exactly the boundary the clipped parcels carry, so XZQ = union of the parcels.
 */
export function ringWithCrossings(ring: Float64Array, crossings: OutlineCrossing[]): number[] {
  const sorted = [...crossings].sort((a, b) => a.seg - b.seg || a.u - b.u);
  const out: number[] = [];
  const n = ring.length >> 1;
  let c = 0;
  for (let k = 0; k < n; k++) {
    out.push(ring[2 * k]!, ring[2 * k + 1]!);
    let lastX = NaN;
    let lastY = NaN;
    while (c < sorted.length && sorted[c]!.seg === k) {
      const { x, y } = sorted[c]!;
      if (x !== lastX || y !== lastY) out.push(x, y);
      lastX = x;
      lastY = y;
      c++;
    }
  }
  return out;
}
