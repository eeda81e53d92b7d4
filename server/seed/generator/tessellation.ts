// Tessellating a district: pick the cell size and the amount of variety from the district's area and
// the parcel target, lay the jittered grid over the projected outline, classify cells (outside /
// inside / near the boundary), build the boundary zone, and count. The count is exact, so when it
// misses the target by more than a little the cell size is corrected and the grid rebuilt.
import { BoundaryClipper, ringWithCrossings } from './clip.ts';
import type { PlaneOutline, SegmentIndex } from './district.ts';
import { Grid, type GridParams, MIN_FACE_AREA, PATTERNS, SPLIT_H, SPLIT_NONE, SPLIT_V, patternWeights, splitProbability } from './grid.ts';
import { ringSignedArea } from './polygon.ts';
import { Rng } from './random.ts';
import { type ZoneParcel, buildZone, markZone } from './zone.ts';

export interface Tessellation {
  grid: Grid;
  zoneBlocks: Uint8Array;
  zone: Map<number, ZoneParcel[]>;
  /** outline rings with every boundary crossing inserted: the XZQ polygon, counter-clockwise */
  xzqRings: number[][];
  /** exact number of parcels the clean tessellation yields */
  parcelCount: number;
  warnings: string[];
}

export interface ParcelGeometry {
  /** open counter-clockwise ring in Gauss-Kruger metres */
  ring: number[];
  block: number;
  cells: number[];
  /** a pair or half-cell: the shape a road or ditch parcel would have */
  elongated: boolean;
  /** the cell index when the parcel is exactly one whole, unsplit interior cell (defect targets), else -1 */
  single: number;
}

interface Variety {
  variety: number;
  jitter: number;
  splitSpread: number;
}

function varietyAt(v: number): Variety {
  return { variety: v, jitter: 0.05 + 0.1 * v, splitSpread: 0.04 + 0.08 * v };
}

/** Share of cells of size s whose split (either way) keeps both halves above MIN_FACE_AREA. */
function splitFeasibility(s: number, { jitter, splitSpread }: Variety, rng: Rng): number {
  let ok = 0;
  const samples = 600;
  for (let k = 0; k < samples; k++) {
    const c = Array.from({ length: 8 }, () => (2 * rng.next() - 1) * jitter * s);
    const x = [c[0]!, s + c[1]!, s + c[2]!, c[3]!];
    const y = [c[4]!, c[5]!, s + c[6]!, s + c[7]!];
    const t = Array.from({ length: 4 }, () => 0.5 + splitSpread * (2 * rng.next() - 1));
    const at = (a: number, b: number, tt: number): [number, number] => [x[a]! + tt * (x[b]! - x[a]!), y[a]! + tt * (y[b]! - y[a]!)];
    const area = (pts: [number, number][]) => ringSignedArea(pts.flat());
    const [bx, by] = at(0, 1, t[0]!);
    const [tx, ty] = at(3, 2, t[1]!);
    const [lx, ly] = at(0, 3, t[2]!);
    const [rx, ry] = at(1, 2, t[3]!);
    const vOk = Math.min(area([[x[0]!, y[0]!], [bx, by], [tx, ty], [x[3]!, y[3]!]]), area([[bx, by], [x[1]!, y[1]!], [x[2]!, y[2]!], [tx, ty]])) >= MIN_FACE_AREA;
    const hOk = Math.min(area([[x[0]!, y[0]!], [x[1]!, y[1]!], [rx, ry], [lx, ly]]), area([[lx, ly], [rx, ry], [x[2]!, y[2]!], [x[3]!, y[3]!]])) >= MIN_FACE_AREA;
    if (vOk || hOk) ok++;
  }
  return ok / samples;
}

/** Expected parcels per cell for cell size s, averaged over urbanness samples from the district. */
function parcelsPerCell(s: number, variety: Variety, uSamples: number[], rng: Rng): number {
  const f = splitFeasibility(s, variety, rng);
  let total = 0;
  for (const u of uSamples) {
    const weights = patternWeights(u, variety.variety);
    const pSplit = splitProbability(u) * f;
    weights.forEach((w, p) => {
      const groups = PATTERNS[p]!;
      const singles = groups.filter((g) => g.length === 1).length;
      total += w * (groups.length + singles * pSplit);
    });
  }
  return total / uSamples.length / 4;
}

/** Cell size and variety for a parcel target: as much variety as the minimum parcel area allows. */
function chooseCellSize(area: number, target: number, uSamples: number[], seed: number): { s: number; variety: Variety; warning?: string } {
  const rng = new Rng(seed, 0xce11);
  for (let v = 1; v >= 0; v -= 0.125) {
    const variety = varietyAt(v);
    let s = Math.sqrt(area / target);
    for (let k = 0; k < 8; k++) s = Math.sqrt((area * parcelsPerCell(s, variety, uSamples, rng)) / target);
    // The smallest possible jittered cell is (1 - 2·jitter)² s²; keep it clear of the floor.
    if (s * s * (1 - 2 * variety.jitter) ** 2 >= 1.05 * MIN_FACE_AREA) return { s, variety };
  }
  const variety = varietyAt(0);
  const s = Math.sqrt(1.05 * MIN_FACE_AREA) / (1 - 2 * variety.jitter);
  return { s, variety, warning: `${target} parcels do not fit in ${(area / 1e6).toFixed(1)} km² above the minimum parcel area; generating fewer` };
}

function classifyCells(grid: Grid, index: SegmentIndex): void {
  for (let j = 0; j < grid.ny; j++) {
    let previous = -1; // status of the previous cell in the row when it was not near the boundary
    for (let i = 0; i < grid.nx; i++) {
      const a = grid.vertex(i, j);
      const b = a + 1;
      const c = a + grid.nx + 2;
      const d = a + grid.nx + 1;
      const minX = Math.min(grid.vx[a]!, grid.vx[b]!, grid.vx[c]!, grid.vx[d]!);
      const maxX = Math.max(grid.vx[a]!, grid.vx[b]!, grid.vx[c]!, grid.vx[d]!);
      const minY = Math.min(grid.vy[a]!, grid.vy[b]!, grid.vy[c]!, grid.vy[d]!);
      const maxY = Math.max(grid.vy[a]!, grid.vy[b]!, grid.vy[c]!, grid.vy[d]!);
      const cell = grid.cell(i, j);
      if (index.anyInBox(minX, minY, maxX, maxY)) {
        grid.status[cell] = 2;
        previous = -1;
        continue;
      }
      // Two row neighbours that are both clear of the boundary are on the same side of it.
      if (previous < 0) {
        const cx = (grid.vx[a]! + grid.vx[b]! + grid.vx[c]! + grid.vx[d]!) / 4;
        const cy = (grid.vy[a]! + grid.vy[b]! + grid.vy[c]! + grid.vy[d]!) / 4;
        previous = index.contains(cx, cy) ? 1 : 0;
      }
      grid.status[cell] = previous;
    }
  }
}

/** Exact parcel count of a tessellation (again after defect planning changed some blocks). */
export function countParcels(tess: Pick<Tessellation, 'grid' | 'zoneBlocks' | 'zone'>): number {
  let count = countInterior(tess.grid, tess.zoneBlocks);
  for (const list of tess.zone.values()) count += list.length;
  return count;
}

/** Parcels outside the zone: per block, its groups, split singles giving two. */
function countInterior(grid: Grid, zone: Uint8Array): number {
  let count = 0;
  for (let bj = 0; bj < grid.nby; bj++) {
    for (let bi = 0; bi < grid.nbx; bi++) {
      if (zone[bj * grid.nbx + bi] || grid.status[grid.cell(2 * bi, 2 * bj)] !== 1) continue;
      for (const group of PATTERNS[grid.pattern[bj * grid.nbx + bi]!]!) {
        count++;
        if (group.length === 1) {
          const k = group[0]!;
          if (grid.split[grid.cell(2 * bi + (k & 1), 2 * bj + (k >> 1))] !== SPLIT_NONE) count++;
        }
      }
    }
  }
  return count;
}

export function tessellate(outline: PlaneOutline, index: SegmentIndex, target: number, seed: number, urbanness: (x: number, y: number) => number): Tessellation {
  const rng = new Rng(seed, 0x7e55);
  const uSamples: number[] = [];
  while (uSamples.length < 1500) {
    const x = rng.range(outline.minX, outline.maxX);
    const y = rng.range(outline.minY, outline.maxY);
    if (index.contains(x, y)) uSamples.push(urbanness(x, y));
  }
  const choice = chooseCellSize(outline.area, target, uSamples, seed);
  const warnings = choice.warning ? [choice.warning] : [];
  const theta = rng.range(0, Math.PI / 2);
  let s = choice.s;
  for (let attempt = 0; ; attempt++) {
    const result = build(outline, index, seed, s, theta, choice.variety, urbanness);
    const ratio = result.parcelCount / target;
    if (Math.abs(ratio - 1) <= 0.015 || attempt === 3 || choice.warning) return { ...result, warnings };
    const next = s * Math.sqrt(ratio);
    if (next * next * (1 - 2 * choice.variety.jitter) ** 2 < 1.05 * MIN_FACE_AREA) return { ...result, warnings };
    s = next;
  }
}

function build(outline: PlaneOutline, index: SegmentIndex, seed: number, s: number, theta: number, variety: Variety, urbanness: (x: number, y: number) => number): Omit<Tessellation, 'warnings'> {
  // Grid frame: rotated by theta about the outline's centre; cover the outline plus two cells.
  const pivotX = (outline.minX + outline.maxX) / 2;
  const pivotY = (outline.minY + outline.maxY) / 2;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  let gMinX = Infinity;
  let gMinY = Infinity;
  let gMaxX = -Infinity;
  let gMaxY = -Infinity;
  for (const ring of outline.rings) {
    for (let k = 0; k < ring.length; k += 2) {
      const dx = ring[k]! - pivotX;
      const dy = ring[k + 1]! - pivotY;
      const gx = cos * dx + sin * dy;
      const gy = -sin * dx + cos * dy;
      gMinX = Math.min(gMinX, gx);
      gMaxX = Math.max(gMaxX, gx);
      gMinY = Math.min(gMinY, gy);
      gMaxY = Math.max(gMaxY, gy);
    }
  }
  const margin = 2 * s;
  const even = (n: number) => n + (n % 2);
  const params: GridParams = {
    seed,
    s,
    theta,
    pivotX,
    pivotY,
    gx0: gMinX - margin,
    gy0: gMinY - margin,
    nx: even(Math.ceil((gMaxX - gMinX + 2 * margin) / s)),
    ny: even(Math.ceil((gMaxY - gMinY + 2 * margin) / s)),
    jitter: variety.jitter,
    splitSpread: variety.splitSpread,
    variety: variety.variety,
  };
  const grid = new Grid(params);
  classifyCells(grid, index);
  grid.decidePatternsAndSplits(urbanness);
  return { grid, ...buildBoundary(grid, outline, index) };
}

/**
 * The boundary zone, the XZQ rings and the count for a grid whose patterns and splits are decided.
 * Called again after defect planning changed some blocks: the zone must see the final grid.
 */
export function buildBoundary(grid: Grid, outline: PlaneOutline, index: SegmentIndex): Omit<Tessellation, 'grid' | 'warnings'> {
  const zoneBlocks = markZone(grid);
  const clipper = new BoundaryClipper(outline, index);
  const keepArea = Math.max(MIN_FACE_AREA, 0.2 * grid.params.s * grid.params.s);
  const zone = buildZone(grid, clipper, zoneBlocks, keepArea);
  const parcelCount = countParcels({ grid, zoneBlocks, zone });
  const xzqRings = outline.rings.map((ring, r) => ringWithCrossings(ring, clipper.crossings[r]!));
  return { zoneBlocks, zone, xzqRings, parcelCount };
}

/** The clean tessellation's parcels in emission order (block rows south to north in grid frame). */
export function* parcelGeometries(tess: Tessellation): Generator<ParcelGeometry> {
  const { grid, zone, zoneBlocks } = tess;
  for (let bj = 0; bj < grid.nby; bj++) {
    for (let bi = 0; bi < grid.nbx; bi++) {
      const block = bj * grid.nbx + bi;
      if (zoneBlocks[block]) {
        for (const parcel of zone.get(block) ?? []) yield { ring: parcel.ring, block, cells: parcel.cells, elongated: parcel.elongated, single: parcel.single };
        continue;
      }
      if (grid.status[grid.cell(2 * bi, 2 * bj)] !== 1) continue;
      for (const group of grid.blockGroups(bi, bj)) {
        const cells = group.map(([i, j]) => grid.cell(i, j));
        if (group.length === 1) {
          const [i, j] = group[0]!;
          const mode = grid.split[cells[0]!];
          if (mode === SPLIT_V || mode === SPLIT_H) {
            yield { ring: grid.halfRing(i, j, 0), block, cells, elongated: true, single: -1 };
            yield { ring: grid.halfRing(i, j, 1), block, cells, elongated: true, single: -1 };
          } else {
            yield { ring: grid.cellRing(i, j), block, cells, elongated: false, single: cells[0]! };
          }
        } else {
          yield { ring: grid.groupRing(group), block, cells, elongated: group.length === 2, single: -1 };
        }
      }
    }
  }
}
