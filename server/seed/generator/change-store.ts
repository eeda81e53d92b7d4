// The current parcels of a district while yearly changes are applied, in compact arrays: one pool of
// coordinates, a few typed arrays per parcel, and every DLTB attribute but the areas as a column of
// small integers into a table of the distinct values (attributes repeat a lot: villages, classes,
// codes). A million parcels take ~200 MB rather than the gigabytes a million objects would.
import type { AttributeValue, DbfField } from './shapefile-writer.ts';

/** Fields computed from the area and KCXS rather than stored (and BSM, stored as its sequence number). */
const DERIVED = new Set(['BSM', 'TBMJ', 'KCMJ', 'TBDLMJ']);

/** Distinct values of one attribute and, per parcel, which one it has. */
class InternedColumn {
  readonly values: AttributeValue[] = [];
  private readonly index = new Map<AttributeValue, number>();
  codes: Uint16Array | Uint32Array;

  constructor(capacity: number) {
    this.codes = new Uint16Array(capacity);
  }

  get(id: number): AttributeValue {
    return this.values[this.codes[id]!];
  }

  set(id: number, value: AttributeValue): void {
    const v = value === undefined ? null : value;
    let code = this.index.get(v);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(v);
      this.index.set(v, code);
      if (code > 0xffff && this.codes instanceof Uint16Array) this.codes = Uint32Array.from(this.codes);
    }
    this.codes[id] = code;
  }

  grow(capacity: number): void {
    const next = this.codes instanceof Uint16Array ? new Uint16Array(capacity) : new Uint32Array(capacity);
    next.set(this.codes);
    this.codes = next;
  }
}

/** TBMJ, KCMJ and TBDLMJ from the area in cents and the deduction coefficient, as parcels.ts records them. */
export function areaFields(cents: number, kcxs: number): { TBMJ: number; KCMJ: number; TBDLMJ: number } {
  const kcmjCents = kcxs > 0 ? Math.round(cents * kcxs) : 0;
  return { TBMJ: cents / 100, KCMJ: kcmjCents / 100, TBDLMJ: (cents - kcmjCents) / 100 };
}

export class ParcelStore {
  count = 0;
  private capacity: number;
  bsmSeq: Float64Array;
  areaCents: Float64Array;
  alive: Uint8Array;
  /** the year a parcel was last created or changed in (0: baseline) */
  touched: Uint16Array;
  private ringStart: Uint32Array;
  private ringLength: Uint32Array;
  private coords: Float64Array;
  private coordsUsed = 0;
  private readonly columns = new Map<string, InternedColumn>();
  /** parcels alive */
  aliveCount = 0;

  constructor(
    readonly fields: readonly DbfField[],
    readonly bsmPrefix: string,
    capacity: number,
  ) {
    this.capacity = Math.max(16, capacity);
    this.bsmSeq = new Float64Array(this.capacity);
    this.areaCents = new Float64Array(this.capacity);
    this.alive = new Uint8Array(this.capacity);
    this.touched = new Uint16Array(this.capacity);
    this.ringStart = new Uint32Array(this.capacity);
    this.ringLength = new Uint32Array(this.capacity);
    // Tessellation rings average ~5 vertices (10 numbers); splits and merges add a little.
    this.coords = new Float64Array(this.capacity * 11);
    for (const field of fields) if (!DERIVED.has(field.name)) this.columns.set(field.name, new InternedColumn(this.capacity));
  }

  private grow(): void {
    const capacity = Math.ceil(this.capacity * 1.5);
    const resize = <T extends Float64Array | Uint8Array | Uint16Array | Uint32Array>(array: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(array);
      return next;
    };
    this.bsmSeq = resize(this.bsmSeq, (k) => new Float64Array(k));
    this.areaCents = resize(this.areaCents, (k) => new Float64Array(k));
    this.alive = resize(this.alive, (k) => new Uint8Array(k));
    this.touched = resize(this.touched, (k) => new Uint16Array(k));
    this.ringStart = resize(this.ringStart, (k) => new Uint32Array(k));
    this.ringLength = resize(this.ringLength, (k) => new Uint32Array(k));
    for (const column of this.columns.values()) column.grow(capacity);
    this.capacity = capacity;
  }

  /**
   * Adds a live parcel. attributes: the DLTB attributes (areas and BSM are ignored: the parcel's
   * areas follow from areaCents and KCXS, its BSM from bsmSeq).
   */
  add(ring: ArrayLike<number>, bsmSeq: number, areaCents: number, attributes: (name: string) => AttributeValue, year: number): number {
    if (this.count === this.capacity) this.grow();
    const id = this.count++;
    if (this.coordsUsed + ring.length > this.coords.length) {
      if (this.coordsUsed + ring.length > 0xffffffff) throw new Error('ParcelStore: coordinate pool full');
      const next = new Float64Array(Math.min(0xffffffff, Math.max(this.coordsUsed + ring.length, Math.ceil(this.coords.length * 1.25))));
      next.set(this.coords.subarray(0, this.coordsUsed));
      this.coords = next;
    }
    for (let k = 0; k < ring.length; k++) this.coords[this.coordsUsed + k] = ring[k]!;
    this.ringStart[id] = this.coordsUsed;
    this.ringLength[id] = ring.length;
    this.coordsUsed += ring.length;
    this.bsmSeq[id] = bsmSeq;
    this.areaCents[id] = areaCents;
    this.alive[id] = 1;
    this.touched[id] = year;
    this.aliveCount++;
    for (const [name, column] of this.columns) column.set(id, attributes(name));
    return id;
  }

  retire(id: number): void {
    if (!this.alive[id]) throw new Error(`parcel ${this.bsm(id)} is retired already`);
    this.alive[id] = 0;
    this.aliveCount--;
  }

  /** The parcel's open counter-clockwise ring (a view: do not modify). */
  ring(id: number): Float64Array {
    const start = this.ringStart[id]!;
    return this.coords.subarray(start, start + this.ringLength[id]!);
  }

  bbox(id: number): [number, number, number, number] {
    const start = this.ringStart[id]!;
    const end = start + this.ringLength[id]!;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let k = start; k < end; k += 2) {
      const x = this.coords[k]!;
      const y = this.coords[k + 1]!;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    return [minX, minY, maxX, maxY];
  }

  bsm(id: number): string {
    return bsmText(this.bsmPrefix, this.bsmSeq[id]!);
  }

  get(id: number, name: string): AttributeValue {
    const column = this.columns.get(name);
    if (!column) throw new Error(`DLTB field ${name} is not stored`);
    return column.get(id);
  }

  set(id: number, name: string, value: AttributeValue): void {
    const column = this.columns.get(name);
    if (!column) throw new Error(`DLTB field ${name} is not stored`);
    column.set(id, value);
  }

  /** The parcel's full DLTB record. */
  record(id: number): Record<string, AttributeValue> {
    const areas = areaFields(this.areaCents[id]!, Number(this.get(id, 'KCXS') ?? 0));
    const record: Record<string, AttributeValue> = {};
    for (const field of this.fields) {
      if (field.name === 'BSM') record.BSM = this.bsm(id);
      else if (field.name in areas) record[field.name] = areas[field.name as keyof typeof areas];
      else record[field.name] = this.get(id, field.name);
    }
    return record;
  }
}

/** BSM of the generator's DLTB numbering: district code, layer digit 1, 11-digit sequence. */
export function bsmText(prefix: string, seq: number): string {
  return `${prefix}${String(seq).padStart(11, '0')}`;
}

/**
 * Live parcels by bounding box on a uniform grid (compressed rows: a start offset per cell into one
 * array of parcel ids). Built once per year; parcels created during the year are not in it, which
 * is what the year wants — they cannot change again before the next one.
 */
export class ParcelIndex {
  private readonly minX: number;
  private readonly minY: number;
  private readonly size: number;
  private readonly nx: number;
  private readonly ny: number;
  private readonly starts: Uint32Array;
  private readonly items: Uint32Array;
  private readonly stamp: Uint32Array;
  private query = 0;

  constructor(private readonly store: ParcelStore, cellSize: number) {
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let id = 0; id < store.count; id++) {
      if (!store.alive[id]) continue;
      const box = store.bbox(id);
      minX = Math.min(minX, box[0]);
      minY = Math.min(minY, box[1]);
      maxX = Math.max(maxX, box[2]);
      maxY = Math.max(maxY, box[3]);
    }
    if (!Number.isFinite(minX)) [minX, minY, maxX, maxY] = [0, 0, 1, 1];
    // No more cells than ~4 per live parcel.
    const floor = Math.sqrt(((maxX - minX) * (maxY - minY)) / Math.max(1, 4 * store.aliveCount));
    this.size = Math.max(cellSize, floor, 1);
    this.minX = minX;
    this.minY = minY;
    this.nx = Math.floor((maxX - minX) / this.size) + 1;
    this.ny = Math.floor((maxY - minY) / this.size) + 1;
    const counts = new Uint32Array(this.nx * this.ny + 1);
    const each = (visit: (cell: number, id: number) => void) => {
      for (let id = 0; id < store.count; id++) {
        if (!store.alive[id]) continue;
        const [i0, j0, i1, j1] = this.cells(store.bbox(id));
        for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) visit(j * this.nx + i, id);
      }
    };
    each((cell) => counts[cell + 1]!++);
    for (let c = 1; c < counts.length; c++) counts[c]! += counts[c - 1]!;
    this.starts = counts;
    this.items = new Uint32Array(counts[counts.length - 1]!);
    const fill = counts.slice(0, -1);
    each((cell, id) => {
      this.items[fill[cell]!++] = id;
    });
    this.stamp = new Uint32Array(store.count);
  }

  private cells([minX, minY, maxX, maxY]: readonly number[]): [number, number, number, number] {
    const clampX = (v: number) => Math.max(0, Math.min(this.nx - 1, Math.floor((v - this.minX) / this.size)));
    const clampY = (v: number) => Math.max(0, Math.min(this.ny - 1, Math.floor((v - this.minY) / this.size)));
    return [clampX(minX!), clampY(minY!), clampX(maxX!), clampY(maxY!)];
  }

  /** Ids of indexed parcels whose bounding box meets `box`, ascending, each once. */
  near(box: readonly [number, number, number, number]): number[] {
    this.query++;
    const found: number[] = [];
    const [i0, j0, i1, j1] = this.cells(box);
    for (let j = j0; j <= j1; j++) {
      for (let i = i0; i <= i1; i++) {
        const cell = j * this.nx + i;
        for (let k = this.starts[cell]!; k < this.starts[cell + 1]!; k++) {
          const id = this.items[k]!;
          if (this.stamp[id] === this.query) continue;
          this.stamp[id] = this.query;
          const other = this.store.bbox(id);
          if (other[0] <= box[2] && other[2] >= box[0] && other[1] <= box[3] && other[3] >= box[1]) found.push(id);
        }
      }
    }
    return found.sort((a, b) => a - b);
  }
}
