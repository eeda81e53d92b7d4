// The boundary zone: blocks that hold a cell the district outline comes near, plus the blocks around
// them. Here the faces are clipped to the outline and every clipped piece that is too small to be a
// decent parcel is merged into a neighbour — only ever into a neighbour sharing boundary with it and
// only when the union is one simple ring — so the result has no slivers and no multipart parcels.
// Everything outside the zone is streamed straight from the grid later; the zone is small (it grows
// with the perimeter, not the area) and is held in memory.
import type { BoundaryClipper } from './clip.ts';
import { type Grid, MIN_FACE_AREA, SPLIT_NONE } from './grid.ts';
import { ringSignedArea, unionBySharedEdges } from './polygon.ts';

export interface ZoneParcel {
  ring: number[];
  /** block the parcel is emitted with (the block of its largest original face) */
  anchor: number;
  /** grid cells it covers, in part or whole */
  cells: number[];
  /** a grid group (pair, L …) or half-cell kept whole, as opposed to a clipped or merged piece */
  elongated: boolean;
  /** the cell index when the parcel is exactly one whole, unsplit, unclipped cell, else -1 */
  single: number;
}

interface WorkParcel extends ZoneParcel {
  id: number;
  area: number;
  alive: boolean;
  /** cut by the outline (only these are merged away when small) */
  clipped: boolean;
}

/** Marks the zone: blocks with a near-boundary cell and their 8 neighbours (if they hold any land). */
export function markZone(grid: Grid): Uint8Array {
  const zone = new Uint8Array(grid.nbx * grid.nby);
  const candidate = new Uint8Array(grid.nbx * grid.nby);
  const blockHas = (bi: number, bj: number, status: number) => {
    for (let k = 0; k < 4; k++) if (grid.status[grid.cell(2 * bi + (k & 1), 2 * bj + (k >> 1))] === status) return true;
    return false;
  };
  for (let bj = 0; bj < grid.nby; bj++) for (let bi = 0; bi < grid.nbx; bi++) if (blockHas(bi, bj, 2)) candidate[bj * grid.nbx + bi] = 1;
  for (let bj = 0; bj < grid.nby; bj++) {
    for (let bi = 0; bi < grid.nbx; bi++) {
      if (!candidate[bj * grid.nbx + bi]) continue;
      for (let dj = -1; dj <= 1; dj++) {
        for (let di = -1; di <= 1; di++) {
          const i = bi + di;
          const j = bj + dj;
          if (i < 0 || j < 0 || i >= grid.nbx || j >= grid.nby) continue;
          if (candidate[j * grid.nbx + i] || blockHas(i, j, 1)) zone[j * grid.nbx + i] = 1;
        }
      }
    }
  }
  return zone;
}

/**
 * Builds the zone's parcels, grouped by anchor block. keepArea: clipped pieces below it are merged
 * into a neighbour (it is at least MIN_FACE_AREA).
 */
export function buildZone(grid: Grid, clipper: BoundaryClipper, zone: Uint8Array, keepArea: number): Map<number, ZoneParcel[]> {
  const parcels: WorkParcel[] = [];
  const byCell = new Map<number, number[]>();
  const add = (ring: number[], anchor: number, cells: number[], elongated: boolean, clipped = false, single = -1) => {
    const id = parcels.length;
    parcels.push({ id, ring, anchor, cells, elongated, single, area: ringSignedArea(ring), alive: true, clipped });
    for (const cell of cells) {
      const list = byCell.get(cell);
      if (list) list.push(id);
      else byCell.set(cell, [id]);
    }
  };

  for (let bj = 0; bj < grid.nby; bj++) {
    for (let bi = 0; bi < grid.nbx; bi++) {
      const block = bj * grid.nbx + bi;
      if (!zone[block]) continue;
      for (const group of grid.blockGroups(bi, bj)) {
        const cells = group.map(([i, j]) => grid.cell(i, j));
        const allInside = cells.every((cell) => grid.status[cell] === 1);
        if (allInside && group.length > 1) {
          add(grid.groupRing(group), block, cells, true);
          continue;
        }
        // Groups touching the boundary are dissolved into their faces: clip each face on its own.
        for (const [i, j] of group) {
          const cell = grid.cell(i, j);
          if (grid.status[cell] === 0) continue;
          const faces: [number[], boolean][] =
            grid.split[cell] === SPLIT_NONE ? [[grid.cellRing(i, j), false]] : [[grid.halfRing(i, j, 0), true], [grid.halfRing(i, j, 1), true]];
          for (const [face, half] of faces) {
            if (grid.status[cell] === 1) add(face, block, [cell], half, false, half || group.length > 1 ? -1 : cell);
            else for (const piece of clipper.clip(face)) add(piece, block, [cell], false, true);
          }
        }
      }
    }
  }

  mergeSmallPieces(grid, parcels, byCell, keepArea);

  const result = new Map<number, ZoneParcel[]>();
  for (const parcel of parcels) {
    if (!parcel.alive) continue;
    if (parcel.area < MIN_FACE_AREA) throw new Error(`a boundary piece of ${parcel.area.toFixed(1)} m² could not be merged; try another seed`);
    const { ring, anchor, cells, elongated, single } = parcel;
    const list = result.get(anchor);
    const entry = { ring, anchor, cells, elongated, single };
    if (list) list.push(entry);
    else result.set(anchor, [entry]);
  }
  return result;
}

function edgeKeys(ring: number[]): Map<string, number> {
  const keys = new Map<string, number>();
  const n = ring.length >> 1;
  for (let k = 0; k < n; k++) {
    const m = (k + 1) % n;
    keys.set(`${ring[2 * k]},${ring[2 * k + 1]}>${ring[2 * m]},${ring[2 * m + 1]}`, Math.hypot(ring[2 * m]! - ring[2 * k]!, ring[2 * m + 1]! - ring[2 * k + 1]!));
  }
  return keys;
}

/** Length of boundary b shares with a (edges of b whose reverse is an edge of a). */
function sharedLength(aKeys: Map<string, number>, b: number[]): number {
  let total = 0;
  const n = b.length >> 1;
  for (let k = 0; k < n; k++) {
    const m = (k + 1) % n;
    const length = aKeys.get(`${b[2 * m]},${b[2 * m + 1]}>${b[2 * k]},${b[2 * k + 1]}`);
    if (length !== undefined) total += length;
  }
  return total;
}

function mergeSmallPieces(grid: Grid, parcels: WorkParcel[], byCell: Map<number, number[]>, keepArea: number): void {
  // Smallest first; a merged result that is still small goes round again.
  let pending = parcels.filter((p) => p.clipped && p.area < keepArea).sort((a, b) => a.area - b.area || a.id - b.id);
  for (let round = 0; pending.length > 0 && round < 20; round++) {
    const again: WorkParcel[] = [];
    for (const small of pending) {
      if (!small.alive || small.area >= keepArea) continue;
      const keys = edgeKeys(small.ring);
      const neighbours = new Map<number, number>();
      for (const cell of small.cells) {
        const ci = cell % grid.nx;
        const cj = (cell - ci) / grid.nx;
        for (let dj = -1; dj <= 1; dj++) {
          for (let di = -1; di <= 1; di++) {
            if (ci + di < 0 || cj + dj < 0 || ci + di >= grid.nx || cj + dj >= grid.ny) continue;
            for (const id of byCell.get(grid.cell(ci + di, cj + dj)) ?? []) {
              const other = parcels[id]!;
              if (id === small.id || !other.alive || neighbours.has(id)) continue;
              const shared = sharedLength(keys, other.ring);
              if (shared > 0) neighbours.set(id, shared);
            }
          }
        }
      }
      const ranked = [...neighbours].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      for (const [id] of ranked) {
        const host = parcels[id]!;
        const union = unionBySharedEdges(host.ring, small.ring);
        if (!union) continue;
        host.ring = union;
        host.area = ringSignedArea(union);
        host.elongated = false;
        host.single = -1;
        small.alive = false;
        for (const cell of small.cells) {
          if (!host.cells.includes(cell)) host.cells.push(cell);
          const list = byCell.get(cell)!;
          const at = list.indexOf(small.id);
          if (at >= 0) list.splice(at, 1);
          if (!list.includes(host.id)) list.push(host.id);
        }
        if (host.area < keepArea) again.push(host);
        break;
      }
      // An island smaller than keepArea but above MIN_FACE_AREA has no neighbour: it stays as it is.
    }
    pending = again.sort((a, b) => a.area - b.area || a.id - b.id);
  }
}
