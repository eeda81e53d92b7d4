/**
 * Derive approximate, generalised demo outlines of Shanghai's 16 districts.
 *
 * Source: Aliyun DataV.GeoAtlas outlines (via GeoMapData_CN), GCJ-02 lon/lat, no open licence.
 * We only derive approximate demo geometry from it: GCJ-02 -> WGS84 (treated as CGCS2000),
 * drop tiny islands, Douglas-Peucker simplification, PostGIS validity check, ellipsoidal area.
 *
 * Usage: npx tsx scripts/derive-districts.ts   (or: npm run fixtures:districts)
 * Source dir: $SHANGHAI_DISTRICTS_SRC, default <repo>/../shared/data/shanghai-districts
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';

type Position = [number, number];
type Ring = Position[];
type MultiPolygonCoords = Ring[][];
interface MultiPolygon { type: 'MultiPolygon'; coordinates: MultiPolygonCoords }

const DISTRICTS: ReadonlyArray<readonly [code: string, name: string]> = [
  ['310101', '黄浦区'], ['310104', '徐汇区'], ['310105', '长宁区'], ['310106', '静安区'],
  ['310107', '普陀区'], ['310109', '虹口区'], ['310110', '杨浦区'], ['310112', '闵行区'],
  ['310113', '宝山区'], ['310114', '嘉定区'], ['310115', '浦东新区'], ['310116', '金山区'],
  ['310117', '松江区'], ['310118', '青浦区'], ['310120', '奉贤区'], ['310151', '崇明区'],
];

const TOLERANCE_M = 40; // Douglas-Peucker tolerance; well below the source's own generalisation
const MIN_TOLERANCE_M = 5; // retry floor when a simplified outline turns out invalid
const MIN_RING_AREA_M2 = 50_000; // 0.05 km²: drops rocks/sandbars, keeps 崇明/长兴/横沙 etc.
const MAX_FILE_BYTES = 600 * 1024;
const NOTE =
  'Approximate, generalised demo geometry derived from GCJ-02 public-source outlines (no open licence); NOT official boundaries. ' +
  '由公开来源（GCJ-02，无开放许可）轮廓推导的近似示意边界，仅供演示，非法定行政区界线。';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = process.env.SHANGHAI_DISTRICTS_SRC ?? resolve(repoRoot, '../shared/data/shanghai-districts');
const outFile = resolve(repoRoot, 'fixtures/districts/shanghai-districts.geojson');

// ---------- GCJ-02 <-> WGS84 ----------
// GCJ-02 adds a deterministic, position-dependent offset on the Krasovsky ellipsoid.
const KRASOVSKY_A = 6378245.0;
const KRASOVSKY_EE = 0.00669342162296594323;

function offsetLatRaw(x: number, y: number): number {
  let v = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  v += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  v += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  v += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y / 30) * Math.PI)) * 2) / 3;
  return v;
}

function offsetLngRaw(x: number, y: number): number {
  let v = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  v += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  v += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  v += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return v;
}

/** Forward transform WGS84 -> GCJ-02 (Shanghai is inside China, so no out-of-China shortcut needed). */
function wgsToGcj([lng, lat]: Position): Position {
  const rawLat = offsetLatRaw(lng - 105, lat - 35);
  const rawLng = offsetLngRaw(lng - 105, lat - 35);
  const radLat = (lat / 180) * Math.PI;
  const w = 1 - KRASOVSKY_EE * Math.sin(radLat) ** 2;
  const dLat = (rawLat * 180) / (((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (w * Math.sqrt(w))) * Math.PI);
  const dLng = (rawLng * 180) / ((KRASOVSKY_A / Math.sqrt(w)) * Math.cos(radLat) * Math.PI);
  return [lng + dLng, lat + dLat];
}

/** Inverse by fixed-point iteration: the offset varies slowly, so this converges in a few steps. */
function gcjToWgs(gcj: Position): Position {
  let est: Position = [gcj[0], gcj[1]];
  for (let i = 0; i < 50; i++) {
    const fwd = wgsToGcj(est);
    const errLng = fwd[0] - gcj[0];
    const errLat = fwd[1] - gcj[1];
    if (Math.abs(errLng) < 1e-9 && Math.abs(errLat) < 1e-9) return est;
    est = [est[0] - errLng, est[1] - errLat];
  }
  throw new Error(`GCJ-02 inversion did not converge for ${gcj.join(',')}`);
}

// ---------- planar helpers (local equirectangular metres; fine at district scale) ----------
const M_PER_DEG_LAT = 111_320;
const mPerDegLng = M_PER_DEG_LAT * Math.cos((31.2 / 180) * Math.PI);
const toMetres = ([lng, lat]: Position): Position => [lng * mPerDegLng, lat * M_PER_DEG_LAT];

/** Shoelace signed area in m² (positive = counter-clockwise). */
function signedAreaM2(ring: Ring): number {
  let sum = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    const [x1, y1] = toMetres(ring[i]!);
    const [x2, y2] = toMetres(ring[i + 1]!);
    sum += x1 * y2 - x2 * y1;
  }
  return sum / 2;
}

function pointSegmentDistM(p: Position, a: Position, b: Position): number {
  const [px, py] = toMetres(p), [ax, ay] = toMetres(a), [bx, by] = toMetres(b);
  const dx = bx - ax, dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Douglas-Peucker on an open polyline; iterative to avoid deep recursion. */
function douglasPeucker(line: Ring, tolM: number): Ring {
  const keep = new Array<boolean>(line.length).fill(false);
  keep[0] = keep[line.length - 1] = true;
  const stack: Array<[number, number]> = [[0, line.length - 1]];
  while (stack.length > 0) {
    const [from, to] = stack.pop()!;
    let maxDist = -1, maxIdx = -1;
    for (let i = from + 1; i < to; i++) {
      const d = pointSegmentDistM(line[i]!, line[from]!, line[to]!);
      if (d > maxDist) { maxDist = d; maxIdx = i; }
    }
    if (maxIdx !== -1 && maxDist > tolM) {
      keep[maxIdx] = true;
      stack.push([from, maxIdx], [maxIdx, to]);
    }
  }
  return line.filter((_, i) => keep[i]);
}

/**
 * Simplify a closed ring. A closed ring has no natural end points, so split it at the first vertex
 * and the vertex farthest from it, simplify both halves, and rejoin (keeps the ring's extent).
 */
function simplifyRing(ring: Ring, tolM: number): Ring {
  const [x0, y0] = toMetres(ring[0]!);
  let farIdx = 1, farDist = -1;
  ring.forEach((p, i) => {
    const [x, y] = toMetres(p);
    const d = Math.hypot(x - x0, y - y0);
    if (d > farDist) { farDist = d; farIdx = i; }
  });
  const first = douglasPeucker(ring.slice(0, farIdx + 1), tolM);
  const second = douglasPeucker(ring.slice(farIdx), tolM);
  return [...first, ...second.slice(1)];
}

const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;

/** Round to 6 decimals, drop consecutive duplicates, close the ring, and force orientation. */
function finishRing(ring: Ring, counterClockwise: boolean): Ring {
  const out: Ring = [];
  for (const [lng, lat] of ring) {
    const p: Position = [round6(lng), round6(lat)];
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  const [f, l] = [out[0]!, out[out.length - 1]!];
  if (f[0] !== l[0] || f[1] !== l[1]) out.push([f[0], f[1]]);
  if (signedAreaM2(out) > 0 !== counterClockwise) out.reverse();
  return out;
}

/** Simplify every ring; drop rings that are too small (before) or degenerate (after). */
function generalise(wgs: MultiPolygonCoords, tolM: number): MultiPolygonCoords {
  const result: MultiPolygonCoords = [];
  for (const [outer, ...holes] of wgs) {
    if (!outer || Math.abs(signedAreaM2(outer)) < MIN_RING_AREA_M2) continue;
    const rings: Ring[] = [];
    for (const [i, ring] of [outer, ...holes].entries()) {
      if (i > 0 && Math.abs(signedAreaM2(ring)) < MIN_RING_AREA_M2) continue;
      const finished = finishRing(simplifyRing(ring, tolM), i === 0);
      if (finished.length < 4 && i === 0) break; // collapsed outer: drop the polygon
      if (finished.length >= 4) rings.push(finished);
    }
    if (rings.length > 0) result.push(rings);
  }
  return result;
}

const countPositions = (mp: MultiPolygonCoords): number =>
  mp.reduce((n, poly) => n + poly.reduce((m, ring) => m + ring.length, 0), 0);

// ---------- main ----------
const db = await PGlite.create({ extensions: { postgis } });
await db.exec('CREATE EXTENSION postgis');

async function validity(geom: MultiPolygon): Promise<{ valid: boolean; reason: string }> {
  const sql = 'select ST_IsValid(g) v, ST_IsValidReason(g) why from (select ST_GeomFromGeoJSON($1) g) s';
  const r = await db.query<{ v: boolean; why: string }>(sql, [JSON.stringify(geom)]);
  return { valid: r.rows[0]!.v, reason: r.rows[0]!.why };
}

/** Last-resort repair: GEOS structure-based MakeValid, keep polygons, RFC 7946 winding, 6 decimals. */
async function repair(geom: MultiPolygon): Promise<MultiPolygon> {
  const r = await db.query<{ j: string }>(
    `select ST_AsGeoJSON(ST_ForcePolygonCCW(ST_Multi(ST_CollectionExtract(
       ST_MakeValid(ST_GeomFromGeoJSON($1), 'method=structure'), 3))), 6) j`,
    [JSON.stringify(geom)],
  );
  return JSON.parse(r.rows[0]!.j) as MultiPolygon;
}

const features: string[] = [];
const summary: Array<Record<string, string | number>> = [];
for (const [code, name] of DISTRICTS) {
  // The per-district county files are ~2.5x more detailed than 310000_full.json (which is itself
  // already generalised by up to ~270 m), so they are the better base for our own simplification.
  const src = JSON.parse(readFileSync(resolve(srcDir, 'county', `${code}.json`), 'utf8')) as {
    features: Array<{ properties: { adcode: number; name: string }; geometry: { type: string; coordinates: unknown } }>;
  };
  const feat = src.features[0];
  if (src.features.length !== 1 || !feat || String(feat.properties.adcode) !== code || feat.properties.name !== name) {
    throw new Error(`${code}.json: expected exactly one feature ${code} ${name}`);
  }
  const gcj = (feat.geometry.type === 'Polygon' ? [feat.geometry.coordinates] : feat.geometry.coordinates) as MultiPolygonCoords;
  const wgs = gcj.map((poly) => poly.map((ring) => ring.map(gcjToWgs)));

  // Try the target tolerance first; halve it while the result is invalid; MakeValid as last resort.
  let geom: MultiPolygon | undefined;
  let tolM = TOLERANCE_M;
  for (; tolM >= MIN_TOLERANCE_M; tolM /= 2) {
    const candidate: MultiPolygon = { type: 'MultiPolygon', coordinates: generalise(wgs, tolM) };
    const check = await validity(candidate);
    if (check.valid) { geom = candidate; break; }
    console.warn(`${code} ${name}: invalid at ${tolM} m (${check.reason}); retrying with smaller tolerance`);
  }
  const repaired = !geom;
  geom ??= await repair({ type: 'MultiPolygon', coordinates: generalise(wgs, MIN_TOLERANCE_M) });
  const final = await validity(geom);
  if (!final.valid || geom.coordinates.length === 0) {
    throw new Error(`${code} ${name}: output invalid or empty after repair: ${final.reason}`);
  }

  // CGCS2000 (EPSG:4490, GRS80 ellipsoid) geodesic area; ST_GeomFromGeoJSON defaults to 4326, so set it.
  const areaSql = 'select ST_Area(ST_SetSRID(ST_GeomFromGeoJSON($1), 4490)::geography, true) a';
  const area = await db.query<{ a: number }>(areaSql, [JSON.stringify(geom)]);
  const controlAreaM2 = Math.round(area.rows[0]!.a * 100) / 100;
  features.push(JSON.stringify({ type: 'Feature', properties: { code, name, control_area_m2: controlAreaM2 }, geometry: geom }));
  summary.push({
    code, name,
    vertices_before: countPositions(gcj),
    vertices_after: countPositions(geom.coordinates),
    parts: `${gcj.length}->${geom.coordinates.length}`,
    tolerance_m: repaired ? 'repaired' : tolM,
    area_km2: Number((controlAreaM2 / 1e6).toFixed(3)),
  });
}
await db.close();

// One feature per line keeps diffs readable; the file stays valid RFC 7946 (no "crs" member).
const text = `{"type":"FeatureCollection","_note":${JSON.stringify(NOTE)},"features":[\n${features.join(',\n')}\n]}\n`;
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, text);
const bytes = statSync(outFile).size;

console.table(summary);
const totalKm2 = summary.reduce((s, r) => s + Number(r.area_km2), 0);
console.log(`total area: ${totalKm2.toFixed(3)} km²`);
console.log(`wrote ${outFile} (${bytes} bytes, ${(bytes / 1024).toFixed(1)} KiB)`);
if (bytes > MAX_FILE_BYTES) throw new Error(`output is ${bytes} bytes, over the ${MAX_FILE_BYTES}-byte budget`);
