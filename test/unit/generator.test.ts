// The survey-package generator: determinism, exact tessellation, coherent attributes, TBMJ, the
// shapefile bytes (read back with the independent reader below, and with ogrinfo when installed),
// and every seeded defect. Pure unit tests, no database; packages of at most a few thousand parcels.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import geographiclib from 'geographiclib-geodesic';
import iconv from 'iconv-lite';
import proj4 from 'proj4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzip } from '../support/zip.ts';
import { CGCS2000_A, CGCS2000_F, projectedRingArea, roundArea } from '../../server/geo/ellipsoidal-area.ts';
import { proj4Definition } from '../../server/modules/ingest/crs.ts';
import { loadCodes } from '../../server/seed/generator/codes.ts';
import { type GeneratedParcel, Generation, type PackageManifest, generatePackage, gaussKrugerPrj, writeShapefile } from '../../server/seed/generator/package.ts';
import { LINEAR_CLASSES } from '../../server/seed/generator/land-use.ts';
import { ringSignedArea } from '../../server/seed/generator/polygon.ts';

const codes = loadCodes();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'generator-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// ---------- an independent reader for what the generator writes ----------


interface Layer {
  shapes: number[][][]; // record → rings (closed, as stored)
  records: Record<string, string>[];
  ldid: number;
}

function readLayer(files: Map<string, Buffer>, name: string, encoding = 'gbk'): Layer {
  const shp = files.get(`${name}.shp`)!;
  const dbf = files.get(`${name}.dbf`)!;
  expect(shp.readInt32BE(0)).toBe(9994);
  expect(shp.readInt32BE(24) * 2).toBe(shp.length);
  expect(shp.readInt32LE(28)).toBe(1000);
  expect(shp.readInt32LE(32)).toBe(5);
  const shapes: number[][][] = [];
  for (let at = 100; at < shp.length; ) {
    const length = shp.readInt32BE(at + 4) * 2;
    const c = at + 8;
    expect(shp.readInt32BE(at)).toBe(shapes.length + 1);
    const parts = shp.readInt32LE(c + 36);
    const points = shp.readInt32LE(c + 40);
    const starts = Array.from({ length: parts }, (_, k) => shp.readInt32LE(c + 44 + 4 * k));
    const base = c + 44 + 4 * parts;
    shapes.push(
      starts.map((start, k) => {
        const end = k + 1 < parts ? starts[k + 1]! : points;
        const ring: number[] = [];
        for (let p = start; p < end; p++) ring.push(shp.readDoubleLE(base + 16 * p), shp.readDoubleLE(base + 16 * p + 8));
        return ring;
      }),
    );
    at = c + length;
  }
  const shx = files.get(`${name}.shx`);
  if (shx) expect((shx.length - 100) / 8).toBe(shapes.length);
  const count = dbf.readUInt32LE(4);
  const headerLength = dbf.readUInt16LE(8);
  const recordLength = dbf.readUInt16LE(10);
  const fields: { name: string; length: number }[] = [];
  for (let at = 32; dbf[at] !== 0x0d; at += 32) fields.push({ name: dbf.toString('latin1', at, at + 11).replace(/\0.*$/, ''), length: dbf[at + 16]! });
  expect(dbf[headerLength + count * recordLength]).toBe(0x1a);
  const records: Record<string, string>[] = [];
  for (let r = 0; r < count; r++) {
    let at = headerLength + r * recordLength;
    expect(dbf[at]).toBe(0x20);
    at++;
    const record: Record<string, string> = {};
    for (const field of fields) {
      record[field.name] = iconv.decode(dbf.subarray(at, at + field.length), encoding).trim();
      at += field.length;
    }
    records.push(record);
  }
  expect(records.length).toBe(shapes.length);
  return { shapes, records, ldid: dbf[29]! };
}

// ---------- plane geometry for the checks (independent of the generator's own helpers) ----------

function open(ring: number[]): number[] {
  const n = ring.length;
  return n >= 4 && ring[0] === ring[n - 2] && ring[1] === ring[n - 1] ? ring.slice(0, n - 2) : ring;
}

function area(ring: number[]): number {
  const r = open(ring);
  let sum = 0;
  for (let k = 0; k < r.length; k += 2) {
    const m = (k + 2) % r.length;
    sum += (r[k]! - r[0]!) * (r[m + 1]! - r[1]!) - (r[m]! - r[0]!) * (r[k + 1]! - r[1]!);
  }
  return sum / 2;
}

/** No two non-adjacent edges touch, no repeated vertex. */
function isSimple(ring: number[]): boolean {
  const r = open(ring);
  const n = r.length >> 1;
  const seen = new Set<string>();
  for (let k = 0; k < n; k++) {
    const key = `${r[2 * k]},${r[2 * k + 1]}`;
    if (seen.has(key)) return false;
    seen.add(key);
  }
  const ox = r[0]!;
  const oy = r[1]!;
  const p = (k: number) => [r[2 * (k % n)]! - ox, r[2 * (k % n) + 1]! - oy] as const;
  const orient = (a: readonly number[], b: readonly number[], c: readonly number[]) => Math.sign((b[0]! - a[0]!) * (c[1]! - a[1]!) - (b[1]! - a[1]!) * (c[0]! - a[0]!));
  for (let i = 0; i < n; i++) {
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue;
      const [a, b, c, d] = [p(i), p(i + 1), p(j), p(j + 1)];
      if (orient(a, b, c) * orient(a, b, d) <= 0 && orient(c, d, a) * orient(c, d, b) <= 0) return false;
    }
  }
  return true;
}

/** Area of A ∩ B for simple polygons: Sutherland–Hodgman of A against each ear-clipping triangle of B. */
function intersectionArea(a: number[], b: number[]): number {
  const ox = a[0]!;
  const oy = a[1]!;
  const local = (r: number[]) => {
    const o = open(r);
    const pts: [number, number][] = [];
    for (let k = 0; k < o.length; k += 2) pts.push([o[k]! - ox, o[k + 1]! - oy]);
    return area(r) < 0 ? pts.reverse() : pts;
  };
  const cross = (o: number[], p: number[], q: number[]) => (p[0]! - o[0]!) * (q[1]! - o[1]!) - (p[1]! - o[1]!) * (q[0]! - o[0]!);
  const subject = local(a);
  const pts = local(b);
  let total = 0;
  while (pts.length >= 3) {
    const n = pts.length;
    let ear = -1;
    for (let k = 0; k < n && ear < 0; k++) {
      const [p, q, r] = [pts[(k + n - 1) % n]!, pts[k]!, pts[(k + 1) % n]!];
      if (cross(p, q, r) <= 0) continue;
      if (pts.every((t) => t === p || t === q || t === r || cross(p, q, t) < 0 || cross(q, r, t) < 0 || cross(r, p, t) < 0)) ear = k;
    }
    if (ear < 0) ear = 0;
    const tri = [pts[(ear + n - 1) % n]!, pts[ear]!, pts[(ear + 1) % n]!];
    pts.splice(ear, 1);
    let poly = subject;
    for (let e = 0; e < 3 && poly.length > 0; e++) {
      const [c1, c2] = [tri[e]!, tri[(e + 1) % 3]!];
      const out: [number, number][] = [];
      for (let k = 0; k < poly.length; k++) {
        const cur = poly[k]!;
        const prev = poly[(k + poly.length - 1) % poly.length]!;
        const inCur = cross(c1, c2, cur) >= 0;
        const inPrev = cross(c1, c2, prev) >= 0;
        if (inCur !== inPrev) {
          const t = cross(c1, c2, prev) / (cross(c1, c2, prev) - cross(c1, c2, cur));
          out.push([prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])]);
        }
        if (inCur) out.push(cur);
      }
      poly = out;
    }
    total += poly.length >= 3 ? area(poly.flat()) : 0;
  }
  return total;
}

function contains(ring: number[], x: number, y: number): boolean {
  const r = open(ring);
  let inside = false;
  for (let k = 0, m = r.length - 2; k < r.length; m = k, k += 2) {
    if (r[k + 1]! > y !== r[m + 1]! > y && x < r[k]! + ((y - r[k + 1]!) * (r[m]! - r[k]!)) / (r[m + 1]! - r[k + 1]!)) inside = !inside;
  }
  return inside;
}

/** Directed edges of all rings (parcels plus the reversed district boundary) each matched by exactly one reverse. */
function unmatchedEdges(rings: number[][], boundary: number[][]): number {
  const edges = new Map<string, number>();
  const add = (ring: number[], reverse: boolean) => {
    const r = open(ring);
    for (let k = 0; k < r.length; k += 2) {
      const m = (k + 2) % r.length;
      const key = reverse ? `${r[m]},${r[m + 1]}>${r[k]},${r[k + 1]}` : `${r[k]},${r[k + 1]}>${r[m]},${r[m + 1]}`;
      edges.set(key, (edges.get(key) ?? 0) + 1);
    }
  };
  rings.forEach((ring) => add(ring, false));
  boundary.forEach((ring) => add(ring, true));
  let bad = 0;
  for (const [key, count] of edges) {
    const [from, to] = key.split('>');
    if (count !== 1 || edges.get(`${to}>${from}`) !== 1) bad++;
  }
  return bad;
}

// ---------- the tests ----------

describe('generator: a clean package (崇明区, 3 islands + 2 islets)', () => {
  let generation: Generation;
  let parcels: GeneratedParcel[];
  beforeAll(() => {
    generation = new Generation({ districtCode: '310151', parcels: 3000, seed: 7 });
    parcels = [...generation.parcels()];
  });

  it('hits the parcel target within a few percent, in the zone the centroid asks for', () => {
    expect(Math.abs(parcels.length / 3000 - 1)).toBeLessThan(0.03);
    expect(parcels.length).toBe(generation.expectedParcels);
    expect(generation.epsg).toBe(4529);
    expect(parcels.every((p) => p.ring.length >= 6 && p.ring[0]! > 41_000_000)).toBe(true);
  });

  it('tessellates the district exactly: areas add up and every shared edge has identical vertices', () => {
    const boundary = generation.tessellation.xzqRings;
    const sum = parcels.reduce((s, p) => s + area(p.ring), 0);
    const district = boundary.reduce((s, r) => s + area(r), 0);
    expect(Math.abs(sum - district) / district).toBeLessThan(1e-6);
    expect(Math.abs(district - generation.outline.area) / district).toBeLessThan(1e-9);
    // With every ring simple and counter-clockwise, perfect edge matching against the boundary means
    // each point of the district lies in exactly one parcel: no gap, no overlap.
    expect(unmatchedEdges(parcels.map((p) => p.ring), boundary)).toBe(0);
    expect(boundary.length).toBe(5);
  });

  it('has only valid, single-ring parcels of at least 700 m²', () => {
    for (const p of parcels) {
      expect(area(p.ring)).toBeGreaterThan(0);
      expect(isSimple(p.ring)).toBe(true);
      expect(p.dltb.TBMJ as number).toBeGreaterThanOrEqual(700);
    }
  });

  it('has no overlapping neighbours (exact intersection areas on a sample)', () => {
    const size = 2000;
    const grid = new Map<string, number[]>();
    const boxes = parcels.map((p) => {
      const xs = p.ring.filter((_, k) => k % 2 === 0);
      const ys = p.ring.filter((_, k) => k % 2 === 1);
      return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] as const;
    });
    boxes.forEach(([x0, y0, x1, y1], id) => {
      for (let gx = Math.floor(x0 / size); gx <= Math.floor(x1 / size); gx++)
        for (let gy = Math.floor(y0 / size); gy <= Math.floor(y1 / size); gy++) grid.set(`${gx},${gy}`, [...(grid.get(`${gx},${gy}`) ?? []), id]);
    });
    let pairs = 0;
    for (let id = 0; id < parcels.length; id += 10) {
      const [x0, y0, x1, y1] = boxes[id]!;
      const near = new Set<number>();
      for (let gx = Math.floor(x0 / size); gx <= Math.floor(x1 / size); gx++)
        for (let gy = Math.floor(y0 / size); gy <= Math.floor(y1 / size); gy++) for (const other of grid.get(`${gx},${gy}`) ?? []) near.add(other);
      for (const other of near) {
        const b = boxes[other]!;
        if (other === id || b[0] > x1 || b[2] < x0 || b[1] > y1 || b[3] < y0) continue;
        expect(Math.abs(intersectionArea(parcels[id]!.ring, parcels[other]!.ring))).toBeLessThan(1e-3);
        pairs++;
      }
    }
    expect(pairs).toBeGreaterThan(300);
    // The checker itself finds a real overlap.
    const shifted = parcels[0]!.ring.map((v, k) => (k % 2 === 0 ? v + 10 : v));
    expect(intersectionArea(parcels[0]!.ring, shifted)).toBeGreaterThan(1000);
  });

  it('records TBMJ as the ellipsoidal area (the series on the geodesic-edged parcel, = geographiclib)', () => {
    const geod = new geographiclib.Geodesic.Geodesic(CGCS2000_A, CGCS2000_F);
    for (const p of parcels) expect(p.dltb.TBMJ).toBe(roundArea(projectedRingArea(p.ring, generation.projection.inverse)));
    for (const p of parcels.filter((_, k) => k % 15 === 0)) {
      const polygon = geod.Polygon(false);
      for (let k = 0; k < p.ring.length; k += 2) {
        const [lon, lat] = generation.projection.inverse(p.ring[k]!, p.ring[k + 1]!);
        polygon.AddPoint(lat, lon);
      }
      expect(Math.abs(Math.abs(polygon.Compute(false, true).area!) - (p.dltb.TBMJ as number))).toBeLessThan(0.015);
    }
  });

  it('fills attributes coherently', () => {
    const cents = (v: unknown) => Math.round((v as number) * 100);
    const bsm = new Set<string>();
    const tbbh = new Map<string, number[]>();
    for (const { dltb: a } of parcels) {
      const dlbm = a.DLBM as string;
      const farmland = dlbm.startsWith('01');
      expect(a.BSM).toMatch(/^3101511\d{11}$/);
      bsm.add(a.BSM as string);
      expect(a.YSDM).toBe('2001010100');
      expect(codes.dlmc.get(dlbm)).toBe(a.DLMC);
      expect(codes.qsxz.has(a.QSXZ as string)).toBe(true);
      expect(a.QSDWDM).toMatch(/^310151\d{6}0000000$/);
      expect(a.ZLDWDM).toBe(a.QSDWDM);
      expect(a.ZLDWMC as string).toMatch(/^崇明区.+(镇|街道).+(村|居委会)$/);
      tbbh.set(a.ZLDWDM as string, [...(tbbh.get(a.ZLDWDM as string) ?? []), Number(a.TBBH)]);
      expect(cents(a.TBDLMJ) + cents(a.KCMJ)).toBe(cents(a.TBMJ));
      expect(cents(a.KCMJ)).toBe(Math.round(cents(a.TBMJ) * (a.KCXS as number)));
      expect(((a.KCXS as number) > 0) === (a.KCDLBM === '1203')).toBe(true);
      if (!farmland) expect(a.KCXS).toBe(0);
      expect(farmland ? codes.gdpdjb.has(a.GDPDJB as string) : a.GDPDJB === '').toBe(true);
      expect(a.GDLX === '' || (['2', '3', '4', '5'].includes(a.GDPDJB as string) && codes.gdlx.has(a.GDLX as string))).toBe(true);
      if (['2', '3', '4', '5'].includes(a.GDPDJB as string)) expect(a.GDLX).not.toBe('');
      expect(farmland ? codes.zzsxdm.get(a.ZZSXDM as string) === a.ZZSXMC : a.ZZSXDM === '').toBe(true);
      expect(a.CZCSXM === '' || codes.czcsxm.has(a.CZCSXM as string)).toBe(true);
      if (farmland || dlbm.startsWith('03') || dlbm.startsWith('11')) expect(a.CZCSXM).toBe('');
      expect(a.XZDWKD === null || LINEAR_CLASSES.has(dlbm)).toBe(true);
      if (LINEAR_CLASSES.has(dlbm)) expect(a.XZDWKD as number).toBeGreaterThan(0);
      expect([a.SJNF, a.MSSM]).toEqual([2019, '00']);
    }
    expect(bsm.size).toBe(parcels.length);
    for (const numbers of tbbh.values()) expect(numbers).toEqual(numbers.map((_, k) => k + 1));
    // A believable mix for 崇明: mostly farmland and water, every parcel a class of the 三调 list.
    const byClass = new Map<string, number>();
    for (const { dltb } of parcels) byClass.set((dltb.DLBM as string).slice(0, 2), (byClass.get((dltb.DLBM as string).slice(0, 2)) ?? 0) + 1);
    expect(byClass.get('01')! / parcels.length).toBeGreaterThan(0.25);
    expect(byClass.get('11')! / parcels.length).toBeGreaterThan(0.05);
  });

  it('puts permanent basic farmland on about 70 % of 耕地, with the DLTB parcel’s geometry and areas', () => {
    const farmland = parcels.filter((p) => (p.dltb.DLBM as string).startsWith('01'));
    const basic = parcels.filter((p) => p.yjjbnttb);
    expect(basic.every((p) => (p.dltb.DLBM as string).startsWith('01'))).toBe(true);
    expect(basic.length / farmland.length).toBeGreaterThan(0.55);
    expect(basic.length / farmland.length).toBeLessThan(0.85);
    for (const { dltb, yjjbnttb: y } of basic) {
      expect(y!.XZQDM).toBe('310151');
      expect(y!.YJJBNTTBMJ).toBe(dltb.TBMJ);
      expect(y!.YJJBNTMJ).toBe(dltb.TBDLMJ);
      expect([y!.TBBH, y!.DLBM, y!.ZLDWDM]).toEqual([dltb.TBBH, dltb.DLBM, dltb.ZLDWDM]);
    }
    expect(new Set(basic.map((p) => p.yjjbnttb!.BSM)).size).toBe(basic.length);
  });
});

describe('generator: the package on disk', () => {
  let manifest: PackageManifest;
  let files: Map<string, Buffer>;
  let zipPath: string;
  beforeAll(async () => {
    ({ manifest, zipPath } = await generatePackage({ districtCode: '310101', parcels: 1500, seed: 3, outDir: tmp }));
    files = await unzip(zipPath);
  });

  it('is byte-identical for the same options and differs for another seed', async () => {
    const again = await generatePackage({ districtCode: '310101', parcels: 1500, seed: 3, outDir: tmp, name: 'again' });
    expect(again.manifest.sha256).toBe(manifest.sha256);
    expect({ ...again.manifest, name: '' }).toEqual({ ...manifest, name: '' });
    const other = await generatePackage({ districtCode: '310101', parcels: 1500, seed: 4, outDir: tmp, name: 'other' });
    expect(other.manifest.sha256).not.toBe(manifest.sha256);
  });

  it('holds the three layers with .prj (ESRI WKT), .cpg (GBK) and GBK text', () => {
    expect([...files.keys()]).toEqual(manifest.files);
    expect(manifest.files).toHaveLength(15);
    expect(manifest.epsg).toBe(4528); // 黄浦 lies west of 121°30'E
    expect(files.get('DLTB.prj')!.toString()).toBe(gaussKrugerPrj(40));
    expect(files.get('DLTB.prj')!.toString()).toBe(
      'PROJCS["CGCS2000_3_Degree_GK_Zone_40",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",40500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]',
    );
    expect(manifest.layers).toEqual({ DLTB: manifest.parcels, YJJBNTTB: manifest.basicFarmland, XZQ: 1 });
    expect(files.get('XZQ.cpg')!.toString()).toBe('GBK');
    const dltb = readLayer(files, 'DLTB');
    expect(dltb.ldid).toBe(0x4d);
    expect(dltb.records).toHaveLength(manifest.parcels);
    expect(dltb.records[0]!.ZLDWMC).toMatch(/^黄浦区.+/);
    expect(codes.dlmc.get(dltb.records[0]!.DLBM!)).toBe(dltb.records[0]!.DLMC);
    // Shapefile rings are clockwise and closed; TBMJ text is right-aligned with two decimals.
    expect(dltb.shapes.every((rings) => rings.length === 1 && area(rings[0]!) < 0)).toBe(true);
    expect(dltb.records.every((r) => /^\d+\.\d\d$/.test(r.TBMJ!))).toBe(true);
    const total = dltb.records.reduce((s, r) => s + Math.round(Number(r.TBMJ) * 100), 0) / 100;
    expect(total).toBeCloseTo(manifest.totalAreaM2, 2);
    const xzq = readLayer(files, 'XZQ');
    expect(xzq.records).toEqual([{ XZQDM: '310101', XZQMC: '黄浦区', KZMJ: manifest.controlAreaM2.toFixed(2), DCMJ: manifest.totalAreaM2.toFixed(2), MSSM: '00' }]);
    const yj = readLayer(files, 'YJJBNTTB');
    expect(yj.records).toHaveLength(manifest.basicFarmland);
  });

  it('reads back with ogrinfo (skipped when GDAL is not installed)', (context) => {
    let out: string;
    try {
      out = execFileSync('ogrinfo', ['-ro', '-al', '-so', `/vsizip/${zipPath}/DLTB.shp`], { encoding: 'utf8' });
    } catch {
      context.skip();
      return;
    }
    expect(out).toContain(`Feature Count: ${manifest.parcels}`);
    expect(out).toContain('ID["EPSG",4528]');
    expect(out).toMatch(/DLMC: String \(60\.0\)/);
    const feature = execFileSync('ogrinfo', ['-ro', '-al', '-fid', '1', `/vsizip/${zipPath}/DLTB.shp`], { encoding: 'utf8' });
    expect(feature).toMatch(/ZLDWMC \(String\) = 黄浦区/);
  });
});

describe('generator: the shapefile writer on its own', () => {
  it('writes multipolygons with holes, null shapes, deletion flags and UTF-8 text', async () => {
    const base = path.join(tmp, 'own');
    const square = (x: number, y: number, s: number) => [x, y, x + s, y, x + s, y + s, x, y + s];
    const result = await writeShapefile(
      base,
      [
        { name: 'NAME', type: 'C', length: 12 },
        { name: 'AREA', type: 'N', length: 10, decimals: 2 },
        { name: 'RATIO', type: 'F', length: 8, decimals: 3 },
      ],
      [
        { geometry: [[square(0, 0, 10), square(2, 2, 2)], [square(20, 0, 5)]], attributes: { NAME: '上海', AREA: 121.5, RATIO: 0.25 } },
        { geometry: null, attributes: ['空', null, undefined], deleted: true },
      ],
      { encoding: 'utf-8', prj: gaussKrugerPrj(41) },
    );
    expect(result).toMatchObject({ count: 2, bbox: [0, 0, 25, 10] });
    const files = new Map(['shp', 'shx', 'dbf', 'prj', 'cpg'].map((ext) => [`own.${ext}`, fs.readFileSync(`${base}.${ext}`)]));
    expect(files.get('own.cpg')!.toString()).toBe('UTF-8');
    const shp = files.get('own.shp')!;
    expect(shp.readInt32LE(100 + 8 + 36)).toBe(3); // parts of record 1
    const dbf = files.get('own.dbf')!;
    const header = dbf.readUInt16LE(8);
    expect(dbf.toString('utf8', header, header + 1 + 12 + 10 + 8)).toBe(` 上海${' '.repeat(6)}${'121.50'.padStart(10)}${'0.250'.padStart(8)}`);
    expect(dbf[header + dbf.readUInt16LE(10)]).toBe(0x2a);
    expect(shp.readInt32LE(100 + 8 + (shp.readInt32BE(104) * 2) + 8)).toBe(0); // record 2: Null shape
  });

  it('refuses text longer than its field (counted in GBK bytes) and numbers that do not fit', async () => {
    const fields = [{ name: 'MC', type: 'C' as const, length: 19 }, { name: 'MJ', type: 'N' as const, length: 6, decimals: 2 }];
    await expect(writeShapefile(path.join(tmp, 'long'), fields, [{ geometry: null, attributes: { MC: '上海市浦东新区张江镇' } }])).rejects.toThrow(/20 bytes in gbk, longer than its width 19/);
    await expect(writeShapefile(path.join(tmp, 'wide'), fields, [{ geometry: null, attributes: { MJ: 12345.6 } }])).rejects.toThrow(/does not fit width 6/);
    await expect(writeShapefile(path.join(tmp, 'ok'), fields, [{ geometry: null, attributes: { MC: '上海市浦东新区张江' } }], { shx: false, cpg: false })).resolves.toMatchObject({ count: 1 });
    expect(fs.existsSync(path.join(tmp, 'ok.shx'))).toBe(false);
  });
});

describe('generator: seeded defects', () => {
  let manifest: PackageManifest;
  let layer: Layer;
  let xzq: Layer;
  const zone41 = proj4(proj4Definition(4490), proj4Definition(4529));
  const inverse = (x: number, y: number) => zone41.inverse([x, y]) as [number, number];
  const projectPoint = (lon: number, lat: number) => zone41.forward([lon, lat]) as [number, number];
  beforeAll(async () => {
    const out = await generatePackage({ districtCode: '310115', parcels: 4000, seed: 11, outDir: tmp, defects: Object.fromEntries(['overlap', 'gap', 'invalid_ring', 'sliver', 'wrong_code', 'area_mismatch', 'duplicate_bsm', 'outside_district'].map((k) => [k, 2])) });
    manifest = out.manifest;
    const files = await unzip(out.zipPath);
    layer = readLayer(files, 'DLTB');
    xzq = readLayer(files, 'XZQ');
    expect(manifest.epsg).toBe(4529);
  });
  const find = (bsm: string) => layer.records.flatMap((r, k) => (r.BSM === bsm ? [k] : []));

  it('lists every requested defect once in the manifest, each on its own parcels', () => {
    const kinds = manifest.defects.map((d) => d.kind);
    expect(kinds.sort()).toEqual(['area_mismatch', 'area_mismatch', 'duplicate_bsm', 'duplicate_bsm', 'gap', 'gap', 'invalid_ring', 'invalid_ring', 'outside_district', 'outside_district', 'overlap', 'overlap', 'sliver', 'sliver', 'wrong_code', 'wrong_code']);
    const bsms = manifest.defects.map((d) => d.bsm);
    expect(new Set(bsms).size).toBe(bsms.length);
    expect(manifest.defects.every((d) => d.layer === 'DLTB' && /^310115\d{12}$/.test(d.bsm) && d.detail)).toBe(true);
  });

  it('puts each defect in the data, and nothing else is wrong', () => {
    const rings = layer.shapes.map((s) => s[0]!);
    const flagged = new Set<number>();
    for (const d of manifest.defects) {
      const [k] = find(d.bsm);
      const ring = rings[k!]!;
      flagged.add(k!);
      if (d.kind === 'overlap') {
        const other = find(d.otherBsm as string)[0]!;
        expect(Math.abs(intersectionArea(ring, rings[other]!))).toBeCloseTo(d.planeAreaM2 as number, 1);
        expect(d.areaM2 as number).toBeGreaterThan(50);
      } else if (d.kind === 'gap') {
        const [lon, lat] = d.location as number[];
        const other = find(d.neighbourBsm as string)[0]!;
        expect(d.areaM2 as number).toBeGreaterThan(50);
        // The gap's centre lies in no parcel at all.
        const [x, y] = projectPoint(lon!, lat!);
        expect(rings.some((r) => contains(r, x, y))).toBe(false);
        expect(contains(xzq.shapes[0]![0]!, x, y) || xzq.shapes[0]!.some((part) => contains(part, x, y))).toBe(true);
        expect(other).toBeGreaterThanOrEqual(0);
      } else if (d.kind === 'invalid_ring') {
        expect(isSimple(ring)).toBe(false);
      } else if (d.kind === 'sliver') {
        expect(Number(layer.records[k!]!.TBMJ)).toBe(d.areaM2);
        expect(d.areaM2 as number).toBeGreaterThanOrEqual(50);
        expect(d.areaM2 as number).toBeLessThanOrEqual(150);
        expect(find(d.parentBsm as string)).toHaveLength(1);
      } else if (d.kind === 'wrong_code') {
        const r = layer.records[k!]!;
        expect(d.variant === 'unknown_code' ? !codes.dlmc.has(r.DLBM!) : codes.dlmc.get(r.DLBM!) !== r.DLMC).toBe(true);
      } else if (d.kind === 'area_mismatch') {
        const actual = roundArea(projectedRingArea(open(ring), inverse));
        expect(Number(layer.records[k!]!.TBMJ)).toBe(d.recordedTbmj);
        expect(actual).toBe(d.trueTbmj);
        expect(Math.abs(d.differenceM2 as number)).toBeGreaterThanOrEqual(1);
        expect(Math.abs(d.differenceM2 as number)).toBeLessThanOrEqual(50);
      } else if (d.kind === 'duplicate_bsm') {
        const both = find(d.bsm);
        expect(both).toHaveLength(2);
        expect(both.map((i) => layer.records[i]!.TBBH)).toEqual(d.tbbh);
        both.forEach((i) => flagged.add(i));
      } else if (d.kind === 'outside_district') {
        const [x, y] = [ring[0]!, ring[1]!];
        expect(xzq.shapes[0]!.some((part) => contains(part, x, y))).toBe(false);
        expect(d.distanceM as number).toBeGreaterThanOrEqual(1000);
        expect(d.distanceM as number).toBeLessThanOrEqual(5000);
      }
    }
    // Independence: all other parcels are clean.
    layer.records.forEach((r, k) => {
      if (flagged.has(k)) return;
      expect(isSimple(rings[k]!)).toBe(true);
      expect(Number(r.TBMJ)).toBeGreaterThanOrEqual(700);
      expect(codes.dlmc.get(r.DLBM!)).toBe(r.DLMC);
    });
    // Overlaps add area and gaps remove it; everything else still tessellates the district.
    const inside = rings.filter((_, k) => !manifest.defects.some((d) => d.kind === 'outside_district' && find(d.bsm)[0] === k));
    // (bow-ties count with their recorded TBMJ: their "area" as drawn is meaningless)
    const sum = inside.reduce((s, r) => s + (isSimple(r) ? -area(r) : 0), 0);
    const district = xzq.shapes[0]!.reduce((s, r) => s - area(r), 0);
    const overlaps = manifest.defects.filter((d) => d.kind === 'overlap').reduce((s, d) => s + (d.planeAreaM2 as number), 0);
    const gaps = manifest.defects.filter((d) => d.kind === 'gap').reduce((s, d) => s + (d.planeAreaM2 as number), 0);
    const bowTies = manifest.defects.filter((d) => d.kind === 'invalid_ring').map((d) => find(d.bsm)[0]!);
    const missing = bowTies.reduce((s, k) => s + Number(layer.records[k]!.TBMJ), 0);
    expect(Math.abs(sum + missing - (district + overlaps - gaps))).toBeLessThan(0.002 * missing + 1);
  });
});
