// Seeded defects for testing the quality checks. Every defect sits on its own 2×2 block of the
// grid, at least a cell away from the district boundary, with at least one whole block between it
// and any other defect, so no two defects touch the same or adjacent parcels and a checker's recall can be
// measured per defect. Defect blocks are made four whole cells so the geometry edits below know
// exactly which vertices they move. Planning happens before any parcel is emitted; the
// entries are completed (BSMs, areas) as the affected parcels stream past.
import { projectedRingArea, roundArea } from '../../geo/ellipsoidal-area.ts';
import { type PlaneOutline, type Projection, SegmentIndex, loadDistricts, projectOutline } from './district.ts';
import { type Grid, MIN_FACE_AREA, SPLIT_NONE } from './grid.ts';
import { ringCentroid, ringSignedArea } from './polygon.ts';
import type { Rng } from './random.ts';

export type DefectKind = 'overlap' | 'gap' | 'invalid_ring' | 'sliver' | 'wrong_code' | 'area_mismatch' | 'duplicate_bsm' | 'outside_district';
export const DEFECT_KINDS: readonly DefectKind[] = ['overlap', 'gap', 'invalid_ring', 'sliver', 'wrong_code', 'area_mismatch', 'duplicate_bsm', 'outside_district'];

export interface DefectEntry {
  kind: DefectKind;
  layer: 'DLTB' | 'YJJBNTTB';
  bsm: string;
  detail: string;
  [key: string]: unknown;
}

/** What to do to one parcel (the defect's main cell, or the second parcel of a duplicate BSM). */
export interface CellDefect {
  kind: DefectKind;
  entry: DefectEntry;
  /** geometry edit on the parcel's ring (overlap bump, gap dent, bow-tie, sliver cut) */
  editRing?: (ring: number[]) => number[];
  /** the sliver's own ring, emitted right after the parcel */
  sliverRing?: number[];
  /** area_mismatch: what to add to the true TBMJ */
  areaDelta?: number;
  /** wrong_code: which corruption */
  codeVariant?: 'unknown_code' | 'name_mismatch';
  /** duplicate_bsm: 'first' keeps its BSM, 'second' takes the first's */
  duplicateRole?: 'first' | 'second';
}

export interface OutsideParcel {
  ring: number[];
  entry: DefectEntry;
}

export interface DefectPlan {
  byCell: Map<number, CellDefect>;
  /** cells whose BSM completes an entry (the other parcel of an overlap or gap) */
  partners: Map<number, DefectEntry>;
  outside: OutsideParcel[];
  /** all entries in manifest order */
  entries: DefectEntry[];
}

const UNKNOWN_CODES = ['0104', '0199', '0509', '0711', '1010', '1300'];

/**
 * Blocks a defect may use: the block and the ring of cells around it all land and clear of the
 * boundary (status 1). No clipped piece then borders a defect parcel, so the boundary zone — rebuilt
 * after planning, see Generation — never merges anything into one, and resetting the block to single
 * whole cells cannot disturb geometry already built.
 */
function eligibleBlocks(grid: Grid): number[] {
  const blocks: number[] = [];
  for (let bj = 1; bj < grid.nby - 1; bj++) {
    for (let bi = 1; bi < grid.nbx - 1; bi++) {
      let ok = true;
      for (let j = 2 * bj - 1; j <= 2 * bj + 2 && ok; j++) for (let i = 2 * bi - 1; i <= 2 * bi + 2 && ok; i++) ok = grid.status[grid.cell(i, j)] === 1;
      if (ok) blocks.push(bj * grid.nbx + bi);
    }
  }
  return blocks;
}

export interface PlanContext {
  grid: Grid;
  projection: Projection;
  outline: PlaneOutline;
  index: SegmentIndex;
  districtCode: string;
  rng: Rng;
}

export function planDefects(ctx: PlanContext, requested: Partial<Record<DefectKind, number>>): DefectPlan {
  const { grid, rng } = ctx;
  const plan: DefectPlan = { byCell: new Map(), partners: new Map(), outside: [], entries: [] };
  const wanted = DEFECT_KINDS.filter((kind) => (requested[kind] ?? 0) > 0);
  if (wanted.length === 0) return plan;
  // Blocks on one parity lattice (every other block both ways) are never neighbours: packing them
  // leaves no room unused, unlike random picks with exclusion zones.
  const [px, py] = [rng.int(2), rng.int(2)];
  const pool = eligibleBlocks(grid).filter((b) => (b % grid.nbx) % 2 === px && Math.floor(b / grid.nbx) % 2 === py);
  const reserved = new Set<number>();
  const takeBlock = (): [number, number] => {
    while (pool.length > 0) {
      const at = rng.int(pool.length);
      const block = pool[at]!;
      pool[at] = pool[pool.length - 1]!;
      pool.pop();
      if (reserved.has(block)) continue;
      const bi = block % grid.nbx;
      const bj = (block - bi) / grid.nbx;
      // A whole block between two defects: their parcels are never the same or adjacent.
      for (let dj = -1; dj <= 1; dj++) for (let di = -1; di <= 1; di++) reserved.add((bj + dj) * grid.nbx + bi + di);
      // Single, whole cells where the edits go (see eligibleBlocks for why this is safe).
      grid.pattern[block] = 0;
      for (let k = 0; k < 3; k++) grid.split[grid.cell(2 * bi + (k & 1), 2 * bj + (k >> 1))] = SPLIT_NONE;
      return [bi, bj];
    }
    throw new Error('not enough interior room for the requested defects; ask for fewer or for more parcels');
  };
  const s = grid.params.s;
  const corner = (i: number, j: number): [number, number] => [grid.vx[grid.vertex(i, j)]!, grid.vy[grid.vertex(i, j)]!];
  const lonLatArea = (ring: number[]) => projectedRingArea(ring, ctx.projection.inverse);
  const location = (ring: number[]) => {
    const [x, y] = ringCentroid(ring);
    const [lon, lat] = ctx.projection.inverse(x, y);
    return [Math.round(lon * 1e7) / 1e7, Math.round(lat * 1e7) / 1e7];
  };
  const add = (cell: number, defect: CellDefect) => {
    plan.byCell.set(cell, defect);
    plan.entries.push(defect.entry);
  };

  for (const kind of wanted) {
    for (let n = 0; n < requested[kind]!; n++) {
      if (kind === 'outside_district') {
        plan.outside.push(outsideParcel(ctx, plan.outside));
        plan.entries.push(plan.outside[plan.outside.length - 1]!.entry);
        continue;
      }
      const [bi, bj] = takeBlock();
      const i = 2 * bi;
      const j = 2 * bj;
      const cell = grid.cell(i, j);
      const entry: DefectEntry = { kind, layer: 'DLTB', bsm: '', detail: '' };
      if (kind === 'overlap' || kind === 'gap') {
        // The parcel's right edge c1→c2 is shared with its neighbour (i+1, j); push a new vertex at
        // its middle into the neighbour (overlap) or into the parcel itself (gap): a triangle of
        // known area is then covered twice or not at all.
        const [x1, y1] = corner(i + 1, j);
        const [x2, y2] = corner(i + 1, j + 1);
        const len = Math.hypot(x2 - x1, y2 - y1);
        const area = Math.min(rng.range(80, 300), 0.125 * s * len);
        const h = (2 * area) / len;
        const sign = kind === 'overlap' ? 1 : -1;
        const ax = (x1 + x2) / 2 + (sign * h * (y2 - y1)) / len;
        const ay = (y1 + y2) / 2 - (sign * h * (x2 - x1)) / len;
        const triangle = [x1, y1, ax, ay, x2, y2];
        entry.areaM2 = roundArea(lonLatArea(triangle));
        entry.planeAreaM2 = roundArea(Math.abs(ringSignedArea(triangle)));
        entry.location = location(triangle);
        entry.detail =
          kind === 'overlap'
            ? `parcel pushed into its neighbour: the two overlap by ${entry.areaM2} m²`
            : `parcel pulled back from its neighbour: ${entry.areaM2} m² covered by no parcel`;
        plan.partners.set(grid.cell(i + 1, j), entry);
        add(cell, { kind, entry, editRing: (ring) => insertAfter(ring, x1, y1, ax, ay) });
      } else if (kind === 'invalid_ring') {
        const [x1, y1] = corner(i + 1, j);
        const [x2, y2] = corner(i + 1, j + 1);
        entry.detail = 'two consecutive ring vertices swapped: the ring crosses itself (bow-tie)';
        entry.location = location(grid.cellRing(i, j));
        add(cell, { kind, entry, editRing: (ring) => swapPoints(ring, x1, y1, x2, y2) });
      } else if (kind === 'sliver') {
        let defect = sliver(grid, i, j, rng, entry, lonLatArea);
        let [si, sj] = [i, j];
        while (!defect) {
          const [bi2, bj2] = takeBlock(); // this cell is too small to cut: try another block
          [si, sj] = [2 * bi2, 2 * bj2];
          defect = sliver(grid, si, sj, rng, entry, lonLatArea);
        }
        entry.location = location(defect.sliverRing!);
        add(grid.cell(si, sj), defect);
      } else if (kind === 'wrong_code') {
        const codeVariant = n % 2 === 0 ? 'unknown_code' : 'name_mismatch';
        entry.variant = codeVariant;
        if (codeVariant === 'unknown_code') entry.dlbm = rng.pick(UNKNOWN_CODES);
        entry.location = location(grid.cellRing(i, j));
        add(cell, { kind, entry, codeVariant });
      } else if (kind === 'area_mismatch') {
        const magnitude = Math.round(rng.range(1, 50) * 100) / 100;
        const areaDelta = rng.chance(0.5) ? magnitude : -magnitude;
        entry.location = location(grid.cellRing(i, j));
        add(cell, { kind, entry, areaDelta });
      } else if (kind === 'duplicate_bsm') {
        const [bi2, bj2] = takeBlock();
        const other = grid.cell(2 * bi2, 2 * bj2);
        // The parcel emitted first keeps its BSM; the later one takes it.
        const [first, second] = other < cell ? [other, cell] : [cell, other];
        entry.detail = 'two parcels share one BSM';
        add(first, { kind, entry, duplicateRole: 'first' });
        plan.byCell.set(second, { kind, entry, duplicateRole: 'second' });
      }
    }
  }
  return plan;
}

function sliver(grid: Grid, i: number, j: number, rng: Rng, entry: DefectEntry, lonLatArea: (ring: number[]) => number): CellDefect | null {
  // Cut a small triangle off the corner c2 = v(i+1, j+1). Its two new vertices lie on edges the
  // parcel shares with its right and upper neighbours; registering them as edge extras puts them in
  // those neighbours' rings too, so the package still tessellates with matching vertices.
  const right = grid.vEdge(i + 1, j);
  const top = grid.hEdge(i, j + 1);
  const v = (a: number, b: number) => [grid.vx[grid.vertex(a, b)]!, grid.vy[grid.vertex(a, b)]!] as const;
  const [c1x, c1y] = v(i + 1, j);
  const [c2x, c2y] = v(i + 1, j + 1);
  const [c3x, c3y] = v(i, j + 1);
  const len1 = Math.hypot(c1x - c2x, c1y - c2y);
  const len2 = Math.hypot(c3x - c2x, c3y - c2y);
  const sin = Math.abs((c1x - c2x) * (c3y - c2y) - (c1y - c2y) * (c3x - c2x)) / (len1 * len2);
  let area = rng.range(60, 140);
  let r = rng.range(0.7, 1.4);
  let a = Math.sqrt((2 * area * r) / sin);
  let b = Math.sqrt((2 * area) / (r * sin));
  if (a > 0.45 * len1 || b > 0.45 * len2) {
    r = 1;
    area = Math.max(55, Math.min(area, 0.5 * sin * (0.45 * Math.min(len1, len2)) ** 2));
    a = b = Math.sqrt((2 * area) / sin);
  }
  const t1 = 1 - a / len1; // along V(i+1, j): c1 (t = 0) → c2 (t = 1)
  const t2 = 1 - b / len2; // along H(i, j+1): c3 (t = 0) → c2 (t = 1)
  const p: number[] = [];
  grid.pointOnEdge(right, t1, p);
  grid.pointOnEdge(top, t2, p);
  const sliverRing = [p[0]!, p[1]!, c2x, c2y, p[2]!, p[3]!];
  const remainder = ringSignedArea(grid.cellRing(i, j)) - ringSignedArea(sliverRing);
  if (remainder < MIN_FACE_AREA) return null;
  grid.extras.set(right, [t1]);
  grid.extras.set(top, [t2]);
  entry.areaM2 = roundArea(lonLatArea(sliverRing));
  entry.detail = `a ${entry.areaM2} m² piece split off as its own parcel, below the minimum mapping area`;
  return { kind: 'sliver', entry, sliverRing, editRing: (ring) => removePoint(ring, c2x, c2y) };
}

function indexOfPoint(ring: number[], x: number, y: number): number {
  for (let k = 0; k < ring.length; k += 2) if (ring[k] === x && ring[k + 1] === y) return k >> 1;
  throw new Error('defect edit: vertex not found in ring');
}

function insertAfter(ring: number[], x: number, y: number, nx: number, ny: number): number[] {
  const k = indexOfPoint(ring, x, y);
  return [...ring.slice(0, 2 * k + 2), nx, ny, ...ring.slice(2 * k + 2)];
}

function removePoint(ring: number[], x: number, y: number): number[] {
  const k = indexOfPoint(ring, x, y);
  return [...ring.slice(0, 2 * k), ...ring.slice(2 * k + 2)];
}

function swapPoints(ring: number[], x1: number, y1: number, x2: number, y2: number): number[] {
  const a = indexOfPoint(ring, x1, y1);
  const b = indexOfPoint(ring, x2, y2);
  const out = [...ring];
  [out[2 * a], out[2 * a + 1], out[2 * b], out[2 * b + 1]] = [ring[2 * b]!, ring[2 * b + 1]!, ring[2 * a]!, ring[2 * a + 1]!];
  return out;
}

const otherDistrictCache = new Map<string, { code: string; index: SegmentIndex }[]>();

/** The other 15 districts, projected and indexed (cached: several outside parcels ask). */
function otherDistricts(code: string, projection: Projection): { code: string; index: SegmentIndex }[] {
  const key = `${code}/${projection.epsg}`;
  let list = otherDistrictCache.get(key);
  if (!list) {
    list = loadDistricts()
      .filter((d) => d.code !== code)
      .map((d) => ({ code: d.code, index: new SegmentIndex(projectOutline(d, projection), 2000) }));
    otherDistrictCache.set(key, list);
  }
  return list;
}

/** A parcel 1–5 km outside the district, where no district lies if such a place exists (the sea, another province). */
function outsideParcel(ctx: PlanContext, taken: OutsideParcel[]): OutsideParcel {
  const { outline, index, rng, projection, grid } = ctx;
  const others = otherDistricts(ctx.districtCode, projection);
  const side = Math.max(35, Math.min(300, 1.2 * grid.params.s));
  const theta = grid.params.theta;
  const square = (cx: number, cy: number) => {
    const ring: number[] = [];
    for (const [dx, dy] of [[-1, -1], [1, -1], [1, 1], [-1, 1]] as const) {
      const gx = (dx * side) / 2;
      const gy = (dy * side) / 2;
      ring.push(cx + Math.cos(theta) * gx - Math.sin(theta) * gy, cy + Math.sin(theta) * gx + Math.cos(theta) * gy);
    }
    return ring;
  };
  let fallback: { ring: number[]; distance: number; coveredBy: string } | null = null;
  for (let attempt = 0; attempt < 20000; attempt++) {
    const cx = rng.range(outline.minX - 5000, outline.maxX + 5000);
    const cy = rng.range(outline.minY - 5000, outline.maxY + 5000);
    if (index.contains(cx, cy)) continue;
    const distance = index.distance(cx, cy);
    if (distance < 1000 + side || distance > 5000 - side) continue;
    if (taken.some((t) => Math.hypot(t.ring[0]! - cx, t.ring[1]! - cy) < 4 * side)) continue;
    const ring = square(cx, cy);
    const covering = others.find((o) => [0, 2, 4, 6].some((k) => o.index.contains(ring[k]!, ring[k + 1]!)) || o.index.contains(cx, cy));
    if (!covering) return finishOutside(ctx, ring, distance, null);
    fallback ??= { ring, distance, coveredBy: covering.code };
  }
  if (!fallback) throw new Error('outside_district: found no place 1-5 km outside the district');
  // Central districts have no uncovered land within 5 km: the parcel then lies in a neighbour.
  return finishOutside(ctx, fallback.ring, fallback.distance, fallback.coveredBy);
}

function finishOutside(ctx: PlanContext, ring: number[], distance: number, coveredBy: string | null): OutsideParcel {
  const [x, y] = ringCentroid(ring);
  const [lon, lat] = ctx.projection.inverse(x, y);
  const entry: DefectEntry = {
    kind: 'outside_district',
    layer: 'DLTB',
    bsm: '',
    detail: coveredBy
      ? `parcel ${Math.round(distance)} m outside the district, inside district ${coveredBy}`
      : `parcel ${Math.round(distance)} m outside the district, where no district lies`,
    distanceM: Math.round(distance),
    coveredBy,
    location: [Math.round(lon * 1e7) / 1e7, Math.round(lat * 1e7) / 1e7],
  };
  return { ring, entry };
}
