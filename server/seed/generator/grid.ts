// The jittered grid under the tessellation. Vertices are shared by the four cells around them and
// every decision (vertex jitter, 2×2 block merge pattern, cell split, split point on an edge) is a
// pure function of the seed and grid indices, stored in compact typed arrays. A cell can therefore
// rebuild any neighbour's edges exactly, so neighbouring parcels always carry identical coordinates
// along shared edges — including the extra vertex a neighbour's split puts on the edge.
import { hashUnit } from './random.ts';
import { ringSignedArea } from './polygon.ts';

/** Smallest plane area a cell, half-cell or kept clipped piece may have (m²). Ellipsoidal area is at
 * most ~0.1 % smaller in Shanghai's GK zones, so every parcel stays above the 700 m² floor. */
export const MIN_FACE_AREA = 760;

export const SPLIT_NONE = 0;
/** split by a line from the bottom edge's split point to the top edge's (left and right halves) */
export const SPLIT_V = 1;
/** split by a line from the left edge's split point to the right edge's (bottom and top halves) */
export const SPLIT_H = 2;

/** Merge patterns of a 2×2 block; local cell k is (k & 1, k >> 1). */
export const PATTERNS: readonly (readonly (readonly number[])[])[] = [
  [[0], [1], [2], [3]],
  [[0, 1], [2], [3]],
  [[0], [1], [2, 3]],
  [[0, 1], [2, 3]],
  [[0, 2], [1], [3]],
  [[0], [1, 3], [2]],
  [[0, 2], [1, 3]],
  [[0, 1, 2], [3]],
  [[0, 1, 3], [2]],
  [[0, 2, 3], [1]],
  [[1, 2, 3], [0]],
  [[0, 1, 2, 3]],
];
// Pattern weights in the countryside (u = 0: large merged fields) and in the city (u = 1: small lots).
const RURAL = [0.2, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08, 0.05, 0.05, 0.05, 0.05, 0.12];
const URBAN = [0.55, 0.06, 0.06, 0.04, 0.06, 0.06, 0.04, 0.03, 0.03, 0.03, 0.03, 0.01];

export interface GridParams {
  seed: number;
  /** cell size (m) */
  s: number;
  /** rotation of the grid against grid north (rad) */
  theta: number;
  /** world position of the grid frame's origin */
  pivotX: number;
  pivotY: number;
  /** grid-frame coordinates of vertex (0, 0) before jitter */
  gx0: number;
  gy0: number;
  nx: number;
  ny: number;
  /** vertex jitter as a fraction of s, per axis */
  jitter: number;
  /** split points lie at 0.5 ± splitSpread along their edge */
  splitSpread: number;
  /** 0 = plain grid, 1 = full merge/split variety (reduced when parcels are dense) */
  variety: number;
}

export function patternWeights(urbanness: number, variety: number): number[] {
  const w = smoothstep(0.3, 0.7, urbanness);
  const weights = RURAL.map((rural, k) => (rural + (URBAN[k]! - rural) * w) * (k === 0 ? 1 : variety));
  weights[0] = 1 - weights.slice(1).reduce((a, b) => a + b, 0);
  return weights;
}

export function splitProbability(urbanness: number): number {
  return 0.2 + 0.25 * smoothstep(0.3, 0.7, urbanness);
}

export function smoothstep(lo: number, hi: number, x: number): number {
  const t = Math.max(0, Math.min(1, (x - lo) / (hi - lo)));
  return t * t * (3 - 2 * t);
}

export class Grid {
  readonly nx: number;
  readonly ny: number;
  readonly nbx: number;
  readonly nby: number;
  readonly vx: Float64Array;
  readonly vy: Float64Array;
  /** per cell: 0 outside the district, 1 inside, 2 near the boundary (must be clipped) */
  readonly status: Uint8Array;
  /** per block: index into PATTERNS */
  readonly pattern: Uint8Array;
  /** per cell: SPLIT_NONE / SPLIT_V / SPLIT_H */
  readonly split: Uint8Array;
  /** extra vertices (edge parameters t) that seeded defects put on edges, by edge id */
  readonly extras = new Map<number, number[]>();

  constructor(readonly params: GridParams) {
    this.nx = params.nx;
    this.ny = params.ny;
    this.nbx = params.nx >> 1;
    this.nby = params.ny >> 1;
    const nv = (this.nx + 1) * (this.ny + 1);
    this.vx = new Float64Array(nv);
    this.vy = new Float64Array(nv);
    this.status = new Uint8Array(this.nx * this.ny);
    this.pattern = new Uint8Array(this.nbx * this.nby);
    this.split = new Uint8Array(this.nx * this.ny);
    const { seed, s, theta, pivotX, pivotY, gx0, gy0, jitter } = params;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    for (let j = 0; j <= this.ny; j++) {
      for (let i = 0; i <= this.nx; i++) {
        const gx = gx0 + i * s + (2 * hashUnit(seed, i, j, 1) - 1) * jitter * s;
        const gy = gy0 + j * s + (2 * hashUnit(seed, i, j, 2) - 1) * jitter * s;
        const v = j * (this.nx + 1) + i;
        this.vx[v] = pivotX + cos * gx - sin * gy;
        this.vy[v] = pivotY + sin * gx + cos * gy;
      }
    }
  }

  vertex(i: number, j: number): number {
    return j * (this.nx + 1) + i;
  }

  cell(i: number, j: number): number {
    return j * this.nx + i;
  }

  /** Edge ids: H(i,j) runs v(i,j)→v(i+1,j), V(i,j) runs v(i,j)→v(i,j+1) (the canonical direction). */
  hEdge(i: number, j: number): number {
    return 2 * this.vertex(i, j);
  }

  vEdge(i: number, j: number): number {
    return 2 * this.vertex(i, j) + 1;
  }

  edgeEnds(edge: number): [number, number] {
    const v = edge >> 1;
    return [v, edge & 1 ? v + this.nx + 1 : v + 1];
  }

  /** Parameter of the split point on an edge (pure function of the edge). */
  splitT(edge: number): number {
    return 0.5 + this.params.splitSpread * (2 * hashUnit(this.params.seed, edge, 0, 0x3d) - 1);
  }

  hasSplitPoint(edge: number): boolean {
    const v = edge >> 1;
    const i = v % (this.nx + 1);
    const j = (v - i) / (this.nx + 1);
    if (edge & 1) {
      return (i < this.nx && j < this.ny && this.split[this.cell(i, j)] === SPLIT_H) || (i > 0 && j < this.ny && this.split[this.cell(i - 1, j)] === SPLIT_H);
    }
    return (j < this.ny && i < this.nx && this.split[this.cell(i, j)] === SPLIT_V) || (j > 0 && i < this.nx && this.split[this.cell(i, j - 1)] === SPLIT_V);
  }

  /** Point at parameter t along an edge in its canonical direction — the one formula everybody uses. */
  pointOnEdge(edge: number, t: number, out: number[]): void {
    const [a, b] = this.edgeEnds(edge);
    const ax = this.vx[a]!;
    const ay = this.vy[a]!;
    out.push(ax + t * (this.vx[b]! - ax), ay + t * (this.vy[b]! - ay));
  }

  /** Intermediate vertices of an edge (split point, defect extras), in traversal order. */
  edgeParams(edge: number): number[] {
    const ts: number[] = [];
    if (this.hasSplitPoint(edge)) ts.push(this.splitT(edge));
    const extra = this.extras.get(edge);
    if (extra) ts.push(...extra);
    return ts.length > 1 ? ts.sort((a, b) => a - b) : ts;
  }

  /** Appends the start vertex of an edge traversal and its intermediate vertices (not the end). */
  pushEdge(edge: number, forward: boolean, out: number[]): void {
    const [a, b] = this.edgeEnds(edge);
    const start = forward ? a : b;
    out.push(this.vx[start]!, this.vy[start]!);
    const ts = this.edgeParams(edge);
    if (forward) for (const t of ts) this.pointOnEdge(edge, t, out);
    else for (let k = ts.length - 1; k >= 0; k--) this.pointOnEdge(edge, ts[k]!, out);
  }

  /** Counter-clockwise ring of a whole cell. */
  cellRing(i: number, j: number, out: number[] = []): number[] {
    this.pushEdge(this.hEdge(i, j), true, out);
    this.pushEdge(this.vEdge(i + 1, j), true, out);
    this.pushEdge(this.hEdge(i, j + 1), false, out);
    this.pushEdge(this.vEdge(i, j), false, out);
    return out;
  }

  /**
   * Ring of one half of a split cell (half 0 = left/bottom, 1 = right/top). Split cells never carry
   * defect extras, so the split edges hold exactly one intermediate point: the split point.
   */
  halfRing(i: number, j: number, half: 0 | 1, out: number[] = []): number[] {
    const mode = this.split[this.cell(i, j)];
    const c0 = this.vertex(i, j);
    const c1 = this.vertex(i + 1, j);
    const c2 = this.vertex(i + 1, j + 1);
    const c3 = this.vertex(i, j + 1);
    const push = (v: number) => out.push(this.vx[v]!, this.vy[v]!);
    if (mode === SPLIT_V) {
      const bottom = this.hEdge(i, j);
      const top = this.hEdge(i, j + 1);
      if (half === 0) {
        push(c0);
        this.pointOnEdge(bottom, this.splitT(bottom), out);
        this.pointOnEdge(top, this.splitT(top), out);
        push(c3);
        for (const t of this.edgeParams(this.vEdge(i, j)).reverse()) this.pointOnEdge(this.vEdge(i, j), t, out);
      } else {
        this.pointOnEdge(bottom, this.splitT(bottom), out);
        push(c1);
        for (const t of this.edgeParams(this.vEdge(i + 1, j))) this.pointOnEdge(this.vEdge(i + 1, j), t, out);
        push(c2);
        this.pointOnEdge(top, this.splitT(top), out);
      }
    } else if (mode === SPLIT_H) {
      const left = this.vEdge(i, j);
      const right = this.vEdge(i + 1, j);
      if (half === 0) {
        push(c0);
        for (const t of this.edgeParams(this.hEdge(i, j))) this.pointOnEdge(this.hEdge(i, j), t, out);
        push(c1);
        this.pointOnEdge(right, this.splitT(right), out);
        this.pointOnEdge(left, this.splitT(left), out);
      } else {
        this.pointOnEdge(left, this.splitT(left), out);
        this.pointOnEdge(right, this.splitT(right), out);
        push(c2);
        for (const t of this.edgeParams(this.hEdge(i, j + 1)).reverse()) this.pointOnEdge(this.hEdge(i, j + 1), t, out);
        push(c3);
      }
    } else {
      throw new Error(`cell ${i},${j} is not split`);
    }
    return out;
  }

  /**
   * Ring of a group of cells of one block (a merged parcel): the cells' directed unit edges, minus
   * those shared inside the group, chained from the lowest vertex.
   */
  groupRing(cells: readonly (readonly [number, number])[], out: number[] = []): number[] {
    if (cells.length === 1) return this.cellRing(cells[0]![0], cells[0]![1], out);
    const edges: { from: number; to: number; edge: number; forward: boolean }[] = [];
    for (const [i, j] of cells) {
      const c0 = this.vertex(i, j);
      const c1 = this.vertex(i + 1, j);
      const c2 = this.vertex(i + 1, j + 1);
      const c3 = this.vertex(i, j + 1);
      edges.push(
        { from: c0, to: c1, edge: this.hEdge(i, j), forward: true },
        { from: c1, to: c2, edge: this.vEdge(i + 1, j), forward: true },
        { from: c2, to: c3, edge: this.hEdge(i, j + 1), forward: false },
        { from: c3, to: c0, edge: this.vEdge(i, j), forward: false },
      );
    }
    const outer = edges.filter((e) => !edges.some((f) => f.from === e.to && f.to === e.from));
    const byFrom = new Map(outer.map((e) => [e.from, e]));
    let current = outer.reduce((best, e) => (e.from < best.from ? e : best));
    for (let k = 0; k < outer.length; k++) {
      this.pushEdge(current.edge, current.forward, out);
      const nextEdge = byFrom.get(current.to);
      if (!nextEdge) throw new Error('group ring is not closed');
      current = nextEdge;
    }
    return out;
  }

  /** Decides every block's merge pattern and every single cell's split (call once, before use). */
  decidePatternsAndSplits(urbannessAt: (x: number, y: number) => number): void {
    const { seed, variety } = this.params;
    for (let bj = 0; bj < this.nby; bj++) {
      for (let bi = 0; bi < this.nbx; bi++) {
        const centre = this.vertex(2 * bi + 1, 2 * bj + 1);
        const u = urbannessAt(this.vx[centre]!, this.vy[centre]!);
        const weights = patternWeights(u, variety);
        let r = hashUnit(seed, bi, bj, 0x9a7);
        let pattern = 0;
        for (; pattern < weights.length - 1; pattern++) {
          r -= weights[pattern]!;
          if (r < 0) break;
        }
        this.pattern[bj * this.nbx + bi] = pattern;
        const pSplit = splitProbability(u);
        for (const group of PATTERNS[pattern]!) {
          if (group.length !== 1) continue;
          const i = 2 * bi + (group[0]! & 1);
          const j = 2 * bj + (group[0]! >> 1);
          if (hashUnit(seed, i, j, 0x5b1) >= pSplit) continue;
          const first = hashUnit(seed, i, j, 0x5b2) < 0.5 ? SPLIT_V : SPLIT_H;
          const second = first === SPLIT_V ? SPLIT_H : SPLIT_V;
          for (const mode of [first, second]) {
            if (this.halvesBigEnough(i, j, mode)) {
              this.split[this.cell(i, j)] = mode;
              break;
            }
          }
        }
      }
    }
  }

  private halvesBigEnough(i: number, j: number, mode: number): boolean {
    const previous = this.split[this.cell(i, j)]!;
    this.split[this.cell(i, j)] = mode;
    const ok = ringSignedArea(this.halfRing(i, j, 0)) >= MIN_FACE_AREA && ringSignedArea(this.halfRing(i, j, 1)) >= MIN_FACE_AREA;
    this.split[this.cell(i, j)] = previous;
    return ok;
  }

  /** Cells of a block's groups, as [i, j] pairs per group. */
  blockGroups(bi: number, bj: number): [number, number][][] {
    return PATTERNS[this.pattern[bj * this.nbx + bi]!]!.map((group) => group.map((k) => [2 * bi + (k & 1), 2 * bj + (k >> 1)] as [number, number]));
  }
}
