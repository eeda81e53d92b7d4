// Yearly change-survey packages (土地利用变更调查) continuing a generated baseline. The baseline's
// parcels are regenerated in memory (same Generation, so the BSMs are those of the baseline package)
// and kept in compact arrays; then, year after year, a seeded share of the current parcels changes:
//  - reclassification (地类变更, ~60 %): same BSM and geometry, a new class and the attributes that
//    follow from it (the land-use model's rules);
//  - split (分割, ~25 %): a straight cut through the centroid, two new BSMs, same class, both pieces
//    at least the class's minimum mapping area;
//  - merge (合并, ~15 %): two neighbours of the same class, owner and village sharing an edge become
//    one parcel with a new BSM, their exact union.
// Each year's zip holds a DLTB shapefile with only that year's new versions plus BGQBSM (predecessor
// BSMs), BGRQ (change date, a DBF date) and BGLX (change type). Same options ⇒ byte-identical zips.
import fs from 'node:fs';
import path from 'node:path';
import { projectedRingArea, roundArea } from '../../geo/ellipsoidal-area.ts';
import { canReclassify, pickTransition, reclassifiedAttributes } from './change-classes.ts';
import { mergeRings, shareEdge, splitRing, surveyEdgePoint } from './change-geometry.ts';
import { ParcelIndex, ParcelStore } from './change-store.ts';
import { minMappingAreaFor } from './codes.ts';
import type { Projection } from './district.ts';
import type { LandUseModel } from './land-use.ts';
import { fileSha256, writeZip } from './package.ts';
import { Generation, type GenerationOptions } from './parcels.ts';
import { hash32, Rng } from './random.ts';
import { layerFields } from './schema.ts';
import { type AttributeValue, type DbfField, ShapefileWriter, gaussKrugerPrj } from './shapefile-writer.ts';

export interface ChangeSeriesOptions {
  /** the baseline's GenerateOptions (no defects): its parcels are regenerated, so BSMs match its package */
  districtCode: string;
  parcels: number;
  seed: number;
  /** change years, strictly increasing and after the baseline's survey year; applied cumulatively */
  years: number[];
  /** share of the current parcels touched per year, e.g. 0.02 (demo) or 0.05 (benchmark) */
  fraction: number;
  outDir: string;
  /** default seed + 1 */
  changeSeed?: number;
  /** zips are `<name>-change-<year>.zip`; default the baseline's `${districtCode}-${parcels}-s${seed}` */
  name?: string;
  /**
   * While the baseline is regenerated: (baseline survey year, parcels loaded, parcels expected);
   * then per change year: (year, records written, records of that year).
   */
  onProgress?: (year: number, written: number, total: number) => void;
}

export type ChangeKind = 'reclassification' | 'split' | 'merge';

export interface ChangeFact {
  kind: ChangeKind;
  predecessors: string[];
  successors: string[];
  /** YYYY-MM-DD */
  date: string;
  fromDlbm: string[];
  toDlbm: string[];
}

export interface ChangePackageManifest {
  year: number;
  zipPath: string;
  sha256: string;
  /** DLTB records in the zip (new versions) */
  records: number;
  reclassifications: number;
  splits: number;
  merges: number;
  /** BSMs that stop being current: one per split, two per merge */
  retirements: number;
  /** expected facts for tests, in the order their records appear in the DBF */
  changes: ChangeFact[];
}

/** The fields a change package adds after the DLTB fields. BGRQ is written as a DBF date (type D). */
export const CHANGE_FIELDS: readonly DbfField[] = [
  { name: 'BGQBSM', type: 'C', length: 254 },
  { name: 'BGRQ', type: 'C', length: 8 },
  { name: 'BGLX', type: 'C', length: 20 },
];

/** BGLX per kind. */
export const CHANGE_TYPES: Readonly<Record<ChangeKind, string>> = { reclassification: '地类变更', split: '分割', merge: '合并' };

/** Share of each kind among a year's changes. */
const SHARES: Readonly<Record<ChangeKind, number>> = { reclassification: 0.6, split: 0.25, merge: 0.15 };
const KINDS: readonly ChangeKind[] = ['reclassification', 'split', 'merge'];
/** Parcels below this (m²) are not split (nor are parcels whose pieces would fall below their class's 最小上图面积). */
const MIN_SPLIT_AREA_M2 = 200;
const EXTENSIONS = ['.shp', '.shx', '.dbf', '.prj', '.cpg'];

interface PlannedChange extends Omit<ChangeFact, 'successors' | 'date'> {
  successorIds: number[];
  /** days after 1 January (1 … days in the year − 1: never New Year's Day) */
  day: number;
  order: number;
}

export async function generateChangeSeries(options: ChangeSeriesOptions): Promise<ChangePackageManifest[]> {
  const { districtCode, parcels, seed, years, fraction, outDir } = options;
  const changeSeed = options.changeSeed ?? seed + 1;
  if (!Number.isInteger(changeSeed)) throw new Error('changeSeed must be an integer');
  if (!(fraction > 0 && fraction <= 0.3)) throw new Error('fraction must be in (0, 0.3]');
  const name = options.name ?? `${districtCode}-${parcels}-s${seed}`;
  if (!/^[\w.-]+$/.test(name)) throw new Error(`package name ${JSON.stringify(name)}: use letters, digits, '.', '_' or '-'`);
  years.forEach((year, k) => {
    if (!Number.isInteger(year) || year > 2200) throw new Error(`change year ${year}: not a year`);
    if (k > 0 && year <= years[k - 1]!) throw new Error('change years must be strictly increasing');
  });
  fs.mkdirSync(outDir, { recursive: true });

  // Only the store and a few small pieces outlive the baseline's generation (its grid is large).
  const { store, nextSeq, tbbh, landUse, zone, cellSize, projection } = loadBaseline({ districtCode, parcels, seed }, years, options.onProgress);
  // TBMJ as parcels.ts computes it: ellipsoidal area of the projected ring, rounded to the cent.
  const area = (ring: ArrayLike<number>) => Math.round(roundArea(projectedRingArea(ring, projection.inverse)) * 100);
  const edgePoint = surveyEdgePoint(projection);
  let seq = nextSeq;
  const newTbbh = (village: AttributeValue): string => {
    const key = String(village ?? '');
    const number = (tbbh.get(key) ?? 0) + 1;
    tbbh.set(key, number);
    return String(number);
  };

  const manifests: ChangePackageManifest[] = [];
  for (const year of years) {
    const rng = new Rng(changeSeed, year);
    const days = isLeap(year) ? 366 : 365;
    const ids = new Uint32Array(store.aliveCount);
    for (let id = 0, k = 0; id < store.count; id++) if (store.alive[id]) ids[k++] = id;
    for (let k = ids.length - 1; k > 0; k--) {
      const j = rng.int(k + 1);
      [ids[k], ids[j]] = [ids[j]!, ids[k]!];
    }
    // Touched parcels: a merge touches two, so 1.15 parcels per change on average.
    const touchTarget = Math.round(fraction * store.aliveCount);
    const changeCount = touchTarget / (SHARES.reclassification + SHARES.split + 2 * SHARES.merge);
    const quota: Record<ChangeKind, number> = { reclassification: 0, split: Math.round(SHARES.split * changeCount), merge: Math.round(SHARES.merge * changeCount) };
    quota.reclassification = Math.max(0, touchTarget - quota.split - 2 * quota.merge);
    const index = quota.merge > 0 ? new ParcelIndex(store, 2 * cellSize) : null;
    const planned: PlannedChange[] = [];
    const derive = (parent: number, village: AttributeValue) => (field: string): AttributeValue =>
      field === 'TBBH' ? newTbbh(village) : field === 'SJNF' ? year : store.get(parent, field);

    const tryReclassification = (id: number): Omit<PlannedChange, 'day' | 'order'> | null => {
      const from = String(store.get(id, 'DLBM'));
      const to = pickTransition(from, rng, landUse.codes.dlmc);
      if (!to || to === from) return null;
      const key = 0x40000000 + (hash32(changeSeed, year, planned.length) & 0x3fffffff);
      const attributes = reclassifiedAttributes(landUse, store.ring(id), to, key, String(store.get(id, 'QSXZ') ?? ''));
      for (const [field, value] of Object.entries(attributes)) store.set(id, field, value);
      store.set(id, 'SJNF', year);
      store.touched[id] = year;
      return { kind: 'reclassification', predecessors: [store.bsm(id)], successorIds: [id], fromDlbm: [from], toDlbm: [to] };
    };

    const trySplit = (id: number): Omit<PlannedChange, 'day' | 'order'> | null => {
      if (store.areaCents[id]! < MIN_SPLIT_AREA_M2 * 100) return null;
      const pieces = splitRing(store.ring(id), rng, edgePoint);
      if (!pieces) return null;
      const dlbm = String(store.get(id, 'DLBM'));
      // Both pieces stay mappable (最小上图面积 of the class), or the parcel is not split.
      const cents = pieces.map(area);
      if (cents.some((c) => c < minMappingAreaFor(dlbm) * 100)) return null;
      const village = store.get(id, 'ZLDWDM');
      const successorIds = pieces.map((piece, k) => store.add(piece, seq++, cents[k]!, derive(id, village), year));
      store.retire(id);
      return { kind: 'split', predecessors: [store.bsm(id)], successorIds, fromDlbm: [dlbm], toDlbm: [dlbm, dlbm] };
    };

    const tryMerge = (id: number): Omit<PlannedChange, 'day' | 'order'> | null => {
      if (!index) return null;
      const ring = store.ring(id);
      const same = ['DLBM', 'QSXZ', 'QSDWDM', 'ZLDWDM'].map((field) => store.get(id, field));
      const neighbours = index
        .near(store.bbox(id))
        .filter((other) => other !== id && store.alive[other] && store.touched[other] !== year)
        .filter((other) => ['DLBM', 'QSXZ', 'QSDWDM', 'ZLDWDM'].every((field, k) => store.get(other, field) === same[k]))
        .filter((other) => shareEdge(ring, store.ring(other)));
      while (neighbours.length > 0) {
        const other = neighbours.splice(rng.int(neighbours.length), 1)[0]!;
        const union = mergeRings(ring, store.ring(other));
        if (!union) continue;
        // The larger parcel's attributes carry over (on a tie, those of the parcel drawn).
        const [main, minor] = store.areaCents[other]! > store.areaCents[id]! ? [other, id] : [id, other];
        const dlbm = String(same[0]);
        const merged = store.add(union, seq++, area(union), derive(main, same[3]), year);
        store.retire(main);
        store.retire(minor);
        return { kind: 'merge', predecessors: [store.bsm(main), store.bsm(minor)], successorIds: [merged], fromDlbm: [dlbm, dlbm], toDlbm: [dlbm] };
      }
      return null;
    };

    const attempt: Record<ChangeKind, (id: number) => Omit<PlannedChange, 'day' | 'order'> | null> = {
      reclassification: (id) => (canReclassify(String(store.get(id, 'DLBM'))) ? tryReclassification(id) : null),
      split: trySplit,
      merge: tryMerge,
    };
    for (const id of ids) {
      if (quota.reclassification + quota.split + quota.merge === 0) break;
      if (!store.alive[id] || store.touched[id] === year) continue;
      // First choice weighted by what is left to do, then the other kinds still wanted.
      const open = KINDS.filter((kind) => quota[kind] > 0);
      let r = rng.next() * open.reduce((sum, kind) => sum + quota[kind], 0);
      const first = open.find((kind) => (r -= quota[kind]) < 0) ?? open[open.length - 1]!;
      for (const kind of [first, ...open.filter((k) => k !== first)]) {
        const change = attempt[kind](id);
        if (!change) continue;
        quota[kind]--;
        planned.push({ ...change, day: 1 + rng.int(days - 1), order: planned.length });
        break;
      }
    }
    planned.sort((a, b) => a.day - b.day || a.order - b.order);
    manifests.push(await writeYear({ store, year, planned, name, outDir, zone, onProgress: options.onProgress }));
  }
  return manifests;
}

interface Baseline {
  store: ParcelStore;
  /** the next free BSM sequence number */
  nextSeq: number;
  /** the highest TBBH per village (ZLDWDM) */
  tbbh: Map<string, number>;
  landUse: LandUseModel;
  zone: 40 | 41;
  cellSize: number;
  projection: Projection;
}

/** The baseline's parcels in a store, and what the changes need of its generation. */
function loadBaseline(options: GenerationOptions, years: readonly number[], onProgress: ChangeSeriesOptions['onProgress']): Baseline {
  const generation = new Generation(options);
  const { districtCode } = options;
  const baseYear = generation.surveyYear;
  if (years.some((year) => year <= baseYear)) throw new Error(`change years must come after the baseline year ${baseYear}`);
  const prefix = `${districtCode}1`;
  const total = generation.expectedParcels;
  const store = new ParcelStore(layerFields().DLTB, prefix, Math.ceil(total * 1.05) + 16);
  const tbbh = new Map<string, number>();
  const step = Math.max(1000, Math.round(total / 100));
  let maxSeq = 0;
  onProgress?.(generation.surveyYear, 0, total);
  for (const parcel of generation.parcels()) {
    if (parcel.defect) throw new Error('change series continue a baseline without defects');
    if (!parcel.bsm.startsWith(prefix) || parcel.bsm.length !== prefix.length + 11) throw new Error(`unexpected baseline BSM ${parcel.bsm}`);
    const seq = Number(parcel.bsm.slice(prefix.length));
    maxSeq = Math.max(maxSeq, seq);
    const cents = Math.round(Number(parcel.dltb.TBMJ) * 100);
    store.add(parcel.ring, seq, cents, (field) => parcel.dltb[field] ?? null, 0);
    const village = String(parcel.dltb.ZLDWDM ?? '');
    tbbh.set(village, Math.max(tbbh.get(village) ?? 0, Number(parcel.dltb.TBBH) || 0));
    if (store.count % step === 0) onProgress?.(generation.surveyYear, store.count, total);
  }
  onProgress?.(generation.surveyYear, store.count, total);
  const { landUse, zone, projection } = generation;
  return { store, nextSeq: maxSeq + 1, tbbh, landUse, zone, cellSize: generation.tessellation.grid.params.s, projection };
}

async function writeYear(context: {
  store: ParcelStore;
  year: number;
  planned: PlannedChange[];
  name: string;
  outDir: string;
  zone: 40 | 41;
  onProgress: ChangeSeriesOptions['onProgress'];
}): Promise<ChangePackageManifest> {
  const { store, year, planned, name, outDir, zone, onProgress } = context;
  const work = fs.mkdtempSync(path.join(outDir, `.${name}-change-${year}-`));
  try {
    const writer = new ShapefileWriter(path.join(work, 'DLTB'), [...store.fields, ...CHANGE_FIELDS], {
      encoding: 'gbk',
      prj: gaussKrugerPrj(zone),
      cpg: true,
      shx: true,
      date: [year, 12, 31],
    });
    const total = planned.reduce((sum, change) => sum + change.successorIds.length, 0);
    const step = Math.max(1000, Math.round(total / 100));
    const counts: Record<ChangeKind, number> = { reclassification: 0, split: 0, merge: 0 };
    const changes: ChangeFact[] = [];
    let written = 0;
    onProgress?.(year, 0, total);
    try {
      for (const change of planned) {
        const date = dateOf(year, change.day);
        const extra = { BGQBSM: change.predecessors.join(','), BGRQ: date.replace(/-/g, ''), BGLX: CHANGE_TYPES[change.kind] };
        for (const id of change.successorIds) {
          writer.write({ geometry: [[store.ring(id)]], attributes: { ...store.record(id), ...extra } });
          if (++written % step === 0) onProgress?.(year, written, total);
        }
        counts[change.kind]++;
        const { kind, predecessors, fromDlbm, toDlbm } = change;
        changes.push({ kind, predecessors, successors: change.successorIds.map((id) => store.bsm(id)), date, fromDlbm, toDlbm });
      }
    } catch (error) {
      writer.abort();
      throw error;
    }
    const { count } = writer.close();
    markDateField(path.join(work, 'DLTB.dbf'), 'BGRQ');
    onProgress?.(year, written, total);
    const files = EXTENSIONS.map((ext) => `DLTB${ext}`).filter((file) => fs.existsSync(path.join(work, file)));
    const zipPath = path.join(outDir, `${name}-change-${year}.zip`);
    await writeZip(work, files, `${zipPath}.part`, year);
    fs.renameSync(`${zipPath}.part`, zipPath);
    return {
      year,
      zipPath,
      sha256: await fileSha256(zipPath),
      records: count,
      reclassifications: counts.reclassification,
      splits: counts.split,
      merges: counts.merge,
      retirements: counts.split + 2 * counts.merge,
      changes,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Turns a character field of a written DBF into a date field (type D). A D field is eight ASCII
 * digits YYYYMMDD, byte for byte what the C(8) column holds, so only the descriptor changes.
 */
function markDateField(dbfPath: string, field: string): void {
  const fd = fs.openSync(dbfPath, 'r+');
  try {
    const head = Buffer.alloc(32);
    fs.readSync(fd, head, 0, 32, 0);
    const headerLength = head.readUInt16LE(8);
    const header = Buffer.alloc(headerLength);
    fs.readSync(fd, header, 0, headerLength, 0);
    for (let at = 32; at + 32 <= headerLength && header[at] !== 0x0d; at += 32) {
      if (header.toString('latin1', at, at + 11).replace(/\0.*$/s, '') !== field) continue;
      if (header[at + 16] !== 8) throw new Error(`DBF field ${field} must be 8 wide to become a date`);
      fs.writeSync(fd, Buffer.from('D', 'latin1'), 0, 1, at + 11);
      return;
    }
    throw new Error(`DBF field ${field} not found in ${dbfPath}`);
  } finally {
    fs.closeSync(fd);
  }
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** YYYY-MM-DD of `day` days after 1 January of `year`. */
function dateOf(year: number, day: number): string {
  return new Date(Date.UTC(year, 0, 1 + day)).toISOString().slice(0, 10);
}
