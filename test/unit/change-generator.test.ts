// The change-survey generator (server/seed/generator/changes.ts): determinism, the files of each
// year's package as the `shapefile` npm package reads them, and the change facts replayed on top of
// the regenerated baseline — every predecessor current when it changes, reclassifications keeping
// their geometry, splits tiling their parent, merges the exact union of two neighbours, no BSM
// reused, areas conserved. No database.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzip } from '../support/zip.ts';
import { projectedRingArea, roundArea } from '../../server/geo/ellipsoidal-area.ts';
import { mergeRings, planeEdgePoint, splitRing } from '../../server/seed/generator/change-geometry.ts';
import { type ChangePackageManifest, generateChangeSeries } from '../../server/seed/generator/changes.ts';
import { loadCodes, minMappingAreaFor } from '../../server/seed/generator/codes.ts';
import { LINEAR_CLASSES } from '../../server/seed/generator/land-use.ts';
import { Rng } from '../../server/seed/generator/random.ts';
import { Generation, gaussKrugerPrj } from '../../server/seed/generator/package.ts';
import { layerFields } from '../../server/seed/generator/schema.ts';

// `shapefile` (mbostock) ships no types; the part used here.
interface ShapefileFeature {
  type: 'Feature';
  geometry: { type: 'Polygon'; coordinates: number[][][] } | { type: 'MultiPolygon'; coordinates: number[][][][] } | null;
  properties: Record<string, string | number | boolean | Date | null>;
}
interface ShapefileModule {
  read(shp: ArrayBuffer | Uint8Array, dbf: ArrayBuffer | Uint8Array, options?: { encoding?: string }): Promise<{ features: ShapefileFeature[] }>;
}
const shapefile = createRequire(import.meta.url)('shapefile') as ShapefileModule;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'change-generator-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const BASE = { districtCode: '310151', parcels: 1500, seed: 7 } as const;
const YEARS = [2020, 2021];
const FRACTION = 0.05;
const codes = loadCodes();
const CULTIVATED = new Set(['0101', '0102', '0103']);
const BGLX: Record<string, ChangePackageManifest['changes'][number]['kind']> = { 地类变更: 'reclassification', 分割: 'split', 合并: 'merge' };


// ---------- plane geometry, independent of the generator's helpers ----------

/** Open ring from a closed GeoJSON ring. */
function flat(ring: number[][]): number[] {
  const closed = ring.length > 1 && ring[0]![0] === ring.at(-1)![0] && ring[0]![1] === ring.at(-1)![1];
  return (closed ? ring.slice(0, -1) : ring).flat();
}

function signedArea(r: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < r.length; k += 2) {
    const m = (k + 2) % r.length;
    sum += (r[k]! - r[0]!) * (r[m + 1]! - r[1]!) - (r[m]! - r[0]!) * (r[k + 1]! - r[1]!);
  }
  return sum / 2;
}

function ccw(r: number[]): number[] {
  if (signedArea(r) > 0) return r;
  const out: number[] = [];
  for (let k = r.length - 2; k >= 0; k -= 2) out.push(r[k]!, r[k + 1]!);
  return out;
}

/** No repeated vertex, no two non-adjacent edges touching, no adjacent edges folding back. */
function isSimple(r: number[]): boolean {
  const n = r.length >> 1;
  if (n < 3) return false;
  if (new Set(Array.from({ length: n }, (_, k) => `${r[2 * k]},${r[2 * k + 1]}`)).size !== n) return false;
  const p = (k: number) => [r[2 * (k % n)]! - r[0]!, r[2 * (k % n) + 1]! - r[1]!] as const;
  const orient = (a: readonly number[], b: readonly number[], c: readonly number[]) => Math.sign((b[0]! - a[0]!) * (c[1]! - a[1]!) - (b[1]! - a[1]!) * (c[0]! - a[0]!));
  for (let k = 0; k < n; k++) {
    const [a, b, c] = [p(k + n - 1), p(k), p(k + 1)];
    if (orient(a, b, c) === 0 && (a[0] - b[0]) * (c[0] - b[0]) + (a[1] - b[1]) * (c[1] - b[1]) > 0) return false;
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue;
      const [a, b, c, d] = [p(i), p(i + 1), p(j), p(j + 1)];
      const o = [orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)];
      if (o[0]! * o[1]! > 0 || o[2]! * o[3]! > 0) continue;
      if (o.every((v) => v === 0)) {
        // collinear: only a problem when they overlap
        const axis = Math.abs(b[0] - a[0]) >= Math.abs(b[1] - a[1]) ? 0 : 1;
        const [lo1, hi1] = [Math.min(a[axis]!, b[axis]!), Math.max(a[axis]!, b[axis]!)];
        const [lo2, hi2] = [Math.min(c[axis]!, d[axis]!), Math.max(c[axis]!, d[axis]!)];
        if (hi1 < lo2 || hi2 < lo1) continue;
      }
      return false;
    }
  }
  return true;
}

function edges(r: number[]): string[] {
  const n = r.length >> 1;
  return Array.from({ length: n }, (_, k) => `${r[2 * k]},${r[2 * k + 1]}>${r[2 * ((k + 1) % n)]},${r[2 * ((k + 1) % n) + 1]}`);
}

function vertices(r: number[]): string[] {
  return Array.from({ length: r.length >> 1 }, (_, k) => `${r[2 * k]},${r[2 * k + 1]}`);
}

function distanceToSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/**
 * Within 1 mm of the ring's boundary. The generator puts a cut's end on the parent's edge as the
 * area formula models the edge — the geodesic when longer than 60 m, which bows off the straight
 * plane segment by a fraction of a millimetre.
 */
function onBoundary(r: number[], x: number, y: number): boolean {
  const n = r.length >> 1;
  for (let k = 0; k < n; k++) {
    const m = (k + 1) % n;
    if (distanceToSegment(x, y, r[2 * k]!, r[2 * k + 1]!, r[2 * m]!, r[2 * m + 1]!) < 1e-3) return true;
  }
  return false;
}

// ---------- the runs ----------

interface Parcel {
  ring: number[]; // open, counter-clockwise
  attributes: Record<string, unknown>;
}

interface YearRead {
  manifest: ChangePackageManifest;
  files: Map<string, Buffer>;
  features: ShapefileFeature[];
}

const generation = new Generation(BASE);

/** A regenerated baseline: its parcels by BSM, and the ellipsoidal area as TBMJ is computed. */
interface Baseline {
  parcels: Map<string, Parcel>;
  area: (ring: number[]) => number;
  districtCode: string;
}

function loadBaseline(g: Generation): Baseline {
  const parcels = new Map<string, Parcel>();
  for (const parcel of g.parcels()) parcels.set(parcel.bsm, { ring: parcel.ring, attributes: parcel.dltb });
  return { parcels, area: (ring) => projectedRingArea(ring, g.projection.inverse), districtCode: g.options.districtCode };
}

let first: ChangePackageManifest[];
let second: ChangePackageManifest[];
let years: YearRead[];
/**
 * Three years at the highest fraction on small parcels (黄浦, ~1,400 m² each): changes often border
 * or follow one another, and splits run into the minimum mapping area.
 */
const DENSE = { districtCode: '310101', parcels: 15000, seed: 3 } as const;
const DENSE_FRACTION = 0.3;
let dense: YearRead[];
let baseline: Baseline;
let denseBaseline: Baseline;

async function readYears(manifests: ChangePackageManifest[]): Promise<YearRead[]> {
  const read: YearRead[] = [];
  for (const manifest of manifests) {
    const files = await unzip(manifest.zipPath);
    const { features } = await shapefile.read(files.get('DLTB.shp')!, files.get('DLTB.dbf')!, { encoding: 'gbk' });
    read.push({ manifest, files, features });
  }
  return read;
}

beforeAll(async () => {
  first = await generateChangeSeries({ ...BASE, years: YEARS, fraction: FRACTION, outDir: path.join(tmp, 'a') });
  second = await generateChangeSeries({ ...BASE, years: YEARS, fraction: FRACTION, outDir: path.join(tmp, 'b') });
  baseline = loadBaseline(generation);
  years = await readYears(first);
  dense = await readYears(await generateChangeSeries({ ...DENSE, years: [2020, 2021, 2022], fraction: DENSE_FRACTION, outDir: path.join(tmp, 'dense') }));
  denseBaseline = loadBaseline(new Generation(DENSE));
}, 120_000);

/** Replays a series on the baseline, checking every change against the state it applies to. */
function replay({ parcels: baseline, area, districtCode }: Baseline, years: YearRead[], fraction: number): void {
  const current = new Map(baseline);
  const everUsed = new Set(baseline.keys());
  const maxBaselineBsm = [...baseline.keys()].sort().at(-1)!;
  const baselineArea = [...baseline.values()].reduce((sum, p) => sum + Number(p.attributes.TBMJ), 0);
  let splitsChecked = 0;
  let mergesChecked = 0;
  for (const { features, manifest } of years) {
    const touched = new Set<string>();
    const created = new Set<string>();
    const aliveBefore = current.size;
    let at = 0;
    for (const change of manifest.changes) {
      const predecessors = change.predecessors.map((bsm) => {
        const parcel = current.get(bsm);
        expect(parcel, `${manifest.year}: predecessor ${bsm} is not current`).toBeDefined();
        expect(touched.has(bsm) || created.has(bsm), `${bsm} changed twice in ${manifest.year}`).toBe(false);
        touched.add(bsm);
        return parcel!;
      });
      expect(change.fromDlbm).toEqual(predecessors.map((p) => p.attributes.DLBM));
      const successors = change.successors.map(() => {
        const feature = features[at++]!;
        expect(feature.geometry?.type).toBe('Polygon');
        const rings = (feature.geometry as { coordinates: number[][][] }).coordinates;
        expect(rings.length).toBe(1);
        const stored = flat(rings[0]!);
        expect(signedArea(stored)).toBeLessThan(0); // outer ring clockwise, as ESRI writes it
        return { ring: ccw(stored), attributes: feature.properties as Record<string, unknown> };
      });
      for (const s of successors) {
        const tbmj = Number(s.attributes.TBMJ);
        expect(tbmj).toBe(roundArea(area(s.ring)));
        expect(isSimple(s.ring)).toBe(true);
        const kcmj = Number(s.attributes.KCMJ);
        expect(Number(s.attributes.TBDLMJ)).toBeCloseTo(tbmj - kcmj, 6);
        expect(kcmj).toBeCloseTo(Math.round(tbmj * 100 * Number(s.attributes.KCXS)) / 100, 6);
        if (!CULTIVATED.has(String(s.attributes.DLBM))) {
          for (const field of ['GDLX', 'GDPDJB', 'KCDLBM', 'ZZSXDM']) expect(s.attributes[field] ?? '').toBe('');
          expect(Number(s.attributes.KCXS ?? 0)).toBe(0);
          expect(kcmj).toBe(0);
        } else {
          expect(['1', '2']).toContain(s.attributes.GDPDJB);
          expect(codes.zzsxdm.has(String(s.attributes.ZZSXDM))).toBe(true);
        }
        if (LINEAR_CLASSES.has(String(s.attributes.DLBM))) expect(Number(s.attributes.XZDWKD)).toBeGreaterThan(0);
      }
      if (change.kind === 'reclassification') {
        const [before] = predecessors;
        const [after] = successors;
        expect(change.successors).toEqual(change.predecessors);
        expect(after!.ring.length).toBe(before!.ring.length);
        expect(new Set(vertices(after!.ring))).toEqual(new Set(vertices(before!.ring)));
        expect(after!.attributes.DLBM).not.toBe(before!.attributes.DLBM);
        expect(Number(after!.attributes.TBMJ)).toBe(Number(before!.attributes.TBMJ));
        for (const field of ['TBBH', 'ZLDWDM', 'QSDWDM', 'QSDWMC']) expect(after!.attributes[field]).toBe(before!.attributes[field]);
      } else {
        for (const bsm of change.successors) {
          expect(everUsed.has(bsm), `BSM ${bsm} reused`).toBe(false);
          expect(bsm > maxBaselineBsm).toBe(true);
          expect(bsm.startsWith(`${districtCode}1`) && bsm.length === 18).toBe(true);
        }
      }
      if (change.kind === 'split') {
        splitsChecked++;
        const [parent] = predecessors;
        const [a, b] = successors;
        expect(Number(parent!.attributes.TBMJ)).toBeGreaterThanOrEqual(200);
        // Ellipsoidal areas: the pieces add up to the parent, within 0.01 m² per piece.
        expect(Math.abs(area(a!.ring) + area(b!.ring) - area(parent!.ring))).toBeLessThan(0.01 * 2);
        expect(Math.abs(Number(a!.attributes.TBMJ) + Number(b!.attributes.TBMJ) - Number(parent!.attributes.TBMJ))).toBeLessThanOrEqual(0.0201);
        // Tiling: plane areas add up, the pieces share exactly one edge (the cut, in opposite
        // directions), and together keep every vertex of the parent plus the cut's two ends, on its boundary.
        const parentPlane = signedArea(parent!.ring);
        expect(Math.abs(signedArea(a!.ring) + signedArea(b!.ring) - parentPlane)).toBeLessThan(1e-6 * parentPlane);
        const shared = edges(a!.ring).filter((e) => {
          const [from, to] = e.split('>');
          return edges(b!.ring).includes(`${to}>${from}`);
        });
        expect(shared.length).toBe(1);
        const parentVertices = new Set(vertices(parent!.ring));
        const pieceVertices = [...vertices(a!.ring), ...vertices(b!.ring)];
        const extra = pieceVertices.filter((v) => !parentVertices.has(v));
        expect(extra.length).toBe(4); // both cut ends, in both pieces
        expect(new Set(extra).size).toBe(2);
        for (const v of extra) expect(onBoundary(parent!.ring, ...(v.split(',').map(Number) as [number, number]))).toBe(true);
        expect(new Set(pieceVertices.filter((v) => parentVertices.has(v)))).toEqual(parentVertices);
        for (const piece of [a!, b!]) {
          expect(Number(piece.attributes.TBMJ)).toBeGreaterThanOrEqual(minMappingAreaFor(String(piece.attributes.DLBM)));
          expect(piece.attributes.DLBM).toBe(parent!.attributes.DLBM);
          expect(piece.attributes.ZLDWDM).toBe(parent!.attributes.ZLDWDM);
        }
        expect(a!.attributes.TBBH).not.toBe(b!.attributes.TBBH);
      }
      if (change.kind === 'merge') {
        mergesChecked++;
        const [p1, p2] = predecessors;
        const [merged] = successors;
        expect(p1!.attributes.DLBM).toBe(p2!.attributes.DLBM);
        expect(merged!.attributes.DLBM).toBe(p1!.attributes.DLBM);
        // Exact union of two neighbours: they share an edge, every edge of the result is an edge
        // of one of them, and the plane area is the sum.
        const e1 = new Set(edges(p1!.ring));
        const e2 = new Set(edges(p2!.ring));
        expect([...e1].some((e) => e2.has(e.split('>').reverse().join('>')))).toBe(true);
        for (const e of edges(merged!.ring)) expect(e1.has(e) || e2.has(e)).toBe(true);
        expect(signedArea(merged!.ring)).toBeCloseTo(signedArea(p1!.ring) + signedArea(p2!.ring), 4);
        expect(Math.abs(area(merged!.ring) - area(p1!.ring) - area(p2!.ring))).toBeLessThan(0.01);
      }
      for (const bsm of change.predecessors) current.delete(bsm);
      change.successors.forEach((bsm, k) => {
        current.set(bsm, successors[k]!);
        everUsed.add(bsm);
        created.add(bsm);
      });
    }
    // share of the parcels current at the start of the year that changed
    expect(touched.size).toBeGreaterThanOrEqual(Math.floor(fraction * aliveBefore) - 1);
    expect(touched.size).toBeLessThanOrEqual(Math.ceil(fraction * aliveBefore) + 1);
    expect(current.size).toBe(aliveBefore + manifest.splits - manifest.merges);
  }
  expect(splitsChecked).toBeGreaterThan(10);
  expect(mergesChecked).toBeGreaterThan(5);
  // Σ TBMJ is conserved but for rounding (a cent per piece at most).
  const finalArea = [...current.values()].reduce((sum, p) => sum + Number(p.attributes.TBMJ), 0);
  const pieces = years.reduce((sum, y) => sum + y.manifest.records, 0);
  expect(Math.abs(finalArea - baselineArea)).toBeLessThanOrEqual(0.01 * pieces);
}

describe('change series', () => {
  it('is deterministic, and the change seed matters', async () => {
    expect(first.map((m) => m.year)).toEqual(YEARS);
    expect(second.map((m) => m.sha256)).toEqual(first.map((m) => m.sha256));
    for (const [k, m] of first.entries()) expect(fs.readFileSync(second[k]!.zipPath).equals(fs.readFileSync(m.zipPath))).toBe(true);
    expect(second.map((m) => m.changes)).toEqual(first.map((m) => m.changes));
    const other = await generateChangeSeries({ ...BASE, years: [2020], fraction: FRACTION, outDir: path.join(tmp, 'c'), changeSeed: 99 });
    expect(other[0]!.sha256).not.toBe(first[0]!.sha256);
  }, 60_000);

  it('refuses years that do not follow the baseline', async () => {
    await expect(generateChangeSeries({ ...BASE, years: [2019], fraction: FRACTION, outDir: path.join(tmp, 'd') })).rejects.toThrow(/after the baseline/);
    await expect(generateChangeSeries({ ...BASE, years: [2021, 2020], fraction: FRACTION, outDir: path.join(tmp, 'd') })).rejects.toThrow(/increasing/);
  });

  it('writes a GBK DLTB shapefile set in the baseline zone with the DLTB fields and BGQBSM / BGRQ / BGLX', () => {
    for (const { files, features, manifest } of years) {
      expect([...files.keys()].sort()).toEqual(['DLTB.cpg', 'DLTB.dbf', 'DLTB.prj', 'DLTB.shp', 'DLTB.shx']);
      expect(files.get('DLTB.cpg')!.toString()).toBe('GBK');
      expect(files.get('DLTB.prj')!.toString('latin1')).toBe(gaussKrugerPrj(generation.zone));
      const dbf = files.get('DLTB.dbf')!;
      expect(dbf[29]).toBe(0x4d); // LDID: GBK
      expect([dbf[1]! + 1900, dbf[2], dbf[3]]).toEqual([manifest.year, 12, 31]);
      const descriptors: { name: string; type: string; length: number }[] = [];
      for (let at = 32; dbf[at] !== 0x0d; at += 32) {
        descriptors.push({ name: dbf.toString('latin1', at, at + 11).replace(/\0.*$/s, ''), type: String.fromCharCode(dbf[at + 11]!), length: dbf[at + 16]! });
      }
      const expected = [
        ...layerFields().DLTB.map((f) => ({ name: f.name, type: f.type, length: f.length })),
        { name: 'BGQBSM', type: 'C', length: 254 },
        { name: 'BGRQ', type: 'D', length: 8 },
        { name: 'BGLX', type: 'C', length: 20 },
      ];
      expect(descriptors).toEqual(expected);
      expect(features.length).toBe(manifest.records);
      expect(dbf.readUInt32LE(4)).toBe(manifest.records);
      for (const feature of features) {
        for (const field of expected) expect(feature.properties).toHaveProperty(field.name);
        expect(feature.properties.SJNF).toBe(manifest.year);
        expect(typeof feature.properties.DLMC === 'string' && /\p{Script=Han}/u.test(feature.properties.DLMC)).toBe(true);
        expect(feature.properties.DLMC).toBe(codes.dlmc.get(String(feature.properties.DLBM)));
      }
    }
  });

  it('dates every change inside its year, never on 1 January', () => {
    for (const { features, manifest } of years) {
      const dates = features.map((f) => f.properties.BGRQ);
      for (const date of dates) {
        expect(date).toBeInstanceOf(Date);
        const d = date as Date; // the reader builds it from local-time fields
        expect(d.getFullYear()).toBe(manifest.year);
        expect(d.getMonth() === 0 && d.getDate() === 1).toBe(false);
      }
      // spread over the year, in date order
      const months = new Set(dates.map((d) => (d as Date).getMonth()));
      expect(months.size).toBeGreaterThanOrEqual(8);
      const times = dates.map((d) => (d as Date).getTime());
      expect(times).toEqual([...times].sort((a, b) => a - b));
      for (const change of manifest.changes) expect(change.date.startsWith(`${manifest.year}-`)).toBe(true);
    }
  });

  it('matches the manifest: records, kinds, counts and order', () => {
    for (const { features, manifest } of years) {
      let at = 0;
      const counts = { reclassification: 0, split: 0, merge: 0 };
      for (const change of manifest.changes) {
        counts[change.kind]++;
        expect(change.successors.length).toBe(change.kind === 'split' ? 2 : 1);
        expect(change.predecessors.length).toBe(change.kind === 'merge' ? 2 : 1);
        for (const bsm of change.successors) {
          const p = features[at++]!.properties;
          expect(p.BSM).toBe(bsm);
          expect(BGLX[String(p.BGLX)]).toBe(change.kind);
          expect(String(p.BGQBSM).split(',')).toEqual(change.predecessors);
          const d = p.BGRQ as Date;
          expect(`${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`).toBe(change.date);
          expect(p.DLBM).toBe(change.toDlbm[change.successors.indexOf(bsm)]);
        }
      }
      expect(at).toBe(features.length);
      expect(manifest.reclassifications).toBe(counts.reclassification);
      expect(manifest.splits).toBe(counts.split);
      expect(manifest.merges).toBe(counts.merge);
      expect(manifest.retirements).toBe(counts.split + 2 * counts.merge);
      expect(manifest.records).toBe(counts.reclassification + 2 * counts.split + counts.merge);
      // roughly 60 / 25 / 15 %, all three kinds present
      const total = manifest.changes.length;
      expect(counts.reclassification / total).toBeGreaterThan(0.45);
      expect(counts.split / total).toBeGreaterThan(0.15);
      expect(counts.merge / total).toBeGreaterThan(0.08);
    }
  });

  it('replays on the baseline: predecessors current, geometry and attributes consistent, no BSM reused, area conserved', () => {
    replay(baseline, years, FRACTION);
  });

  it(`replays with ${DENSE_FRACTION * 100} % of the small parcels of 黄浦 changing every year`, () => {
    replay(denseBaseline, dense, DENSE_FRACTION);
  });


  it('CLI --changes writes the same zips and a series manifest', () => {
    const out = path.join(tmp, 'cli');
    execFileSync(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'scripts/generate-package.ts'), '--district', BASE.districtCode, '--parcels', String(BASE.parcels), '--seed', String(BASE.seed), '--changes', YEARS.join(','), '--fraction', String(FRACTION), '--out', out],
      { cwd: repoRoot, stdio: 'pipe' },
    );
    const series = JSON.parse(fs.readFileSync(path.join(out, `${BASE.districtCode}-${BASE.parcels}-s${BASE.seed}-changes.manifest.json`), 'utf8')) as {
      packages: (Omit<ChangePackageManifest, 'zipPath'> & { zip: string })[];
    };
    expect(series.packages.map((p) => p.sha256)).toEqual(first.map((m) => m.sha256));
    for (const p of series.packages) expect(fs.existsSync(path.join(out, p.zip))).toBe(true);
    expect(series.packages.map((p) => p.changes)).toEqual(first.map((m) => m.changes));
  }, 60_000);
});

describe('change geometry', () => {
  const square = (x: number, y: number, s: number) => [x, y, x + s, y, x + s, y + s, x, y + s];
  const X = 40_500_000; // zone-prefixed easting, as the generator's rings have
  const Y = 3_450_000;

  it('splits a parcel into two simple pieces that tile it', () => {
    const parent = square(X, Y, 100);
    const pieces = splitRing(parent, new Rng(1), planeEdgePoint);
    expect(pieces).not.toBeNull();
    const [a, b] = pieces!;
    expect(isSimple(a) && isSimple(b)).toBe(true);
    expect(signedArea(a)).toBeGreaterThan(0.2 * 10_000);
    expect(signedArea(b)).toBeGreaterThan(0.2 * 10_000);
    expect(signedArea(a) + signedArea(b)).toBeCloseTo(10_000, 6);
  });

  it('cuts a concave parcel only into two simple pieces that tile it', () => {
    // A comb: many lines through its centroid meet the teeth more than twice; those are not used.
    const comb = [X, Y, X + 500, Y, X + 500, Y + 100, X + 400, Y + 100, X + 400, Y + 20, X + 300, Y + 20, X + 300, Y + 100, X + 200, Y + 100, X + 200, Y + 20, X + 100, Y + 20, X + 100, Y + 100, X, Y + 100];
    let cut = 0;
    for (let seed = 0; seed < 20; seed++) {
      const pieces = splitRing(comb, new Rng(seed), planeEdgePoint);
      if (!pieces) continue;
      cut++;
      expect(isSimple(pieces[0]) && isSimple(pieces[1])).toBe(true);
      expect(Math.min(signedArea(pieces[0]), signedArea(pieces[1]))).toBeGreaterThan(0.2 * signedArea(comb));
      expect(signedArea(pieces[0]) + signedArea(pieces[1])).toBeCloseTo(signedArea(comb), 6);
      expect(pieces[0].length + pieces[1].length).toBe(comb.length + 8); // the parent's vertices, the cut's two ends twice
    }
    expect(cut).toBeGreaterThan(0);
  });

  it('merges neighbours into their exact union, and only when that is one simple ring', () => {
    const merged = mergeRings(square(X, Y, 10), square(X + 10, Y, 10));
    expect(merged).not.toBeNull();
    expect(isSimple(merged!)).toBe(true);
    expect(signedArea(merged!)).toBeCloseTo(200, 9);
    // corner contact only, no shared edge
    expect(mergeRings(square(X, Y, 10), square(X + 10, Y + 10, 10))).toBeNull();
    // a T-junction: the right square has a vertex in the middle of the shared edge that the left lacks
    const right = [X + 10, Y, X + 20, Y, X + 20, Y + 10, X + 10, Y + 10, X + 10, Y + 5];
    expect(mergeRings(square(X, Y, 10), right)).toBeNull();
  });
});
