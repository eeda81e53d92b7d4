// npm run bench:tiles [-- --parcels 1000000 --district 310115 --seed 1 --rounds 1]
// The vector tiles at scale: the generated 1,000,000-parcel package imported, accepted and
// applied into a fresh database, the platform listening on 127.0.0.1, then a fixed sample of
// land-use tiles from z8 to z17 (seeded: the tiles under randomly picked parcels) requested as the
// city administrator over real HTTP:
//   - cold (the tile cache empty), each beside the bare statement for the same tile: one
//     ST_AsMVT over the parcels with the same generalisation, run over pg as the owner (no HTTP,
//     no transaction, no row-level security), the two in alternating order;
//   - warm (every tile cached);
//   - then warm throughput with autocannon (a child process) on hot sets of cached tiles, asking as a
//     browser does (gzip accepted): land use signed in, districts signed in and public, and
//     GET /api/me for reference (a signed-in request that reads no tile).
// Prints per zoom p50/p95 latency and max/mean size, and the targets: cold p95 <= 1.2 x bare SQL
// p95 over the tiles at z >= 13; every tile <= 500 KB; >= 5,000 tiles/s warm. Needs DATABASE_URL.
// BENCH_TILES_REUSE=1 measures again on the database a previous run loaded (kept, not dropped).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildApp } from '../server/app.ts';
import { loadConfig, REPO_ROOT } from '../server/config.ts';
import { prepareDatabase } from '../server/platform.ts';
import type { SessionUser } from '../server/modules/auth/repository.ts';
import { runChecks } from '../server/modules/quality/engine.ts';
import { BUFFER, EXTENT, FULL_PROPERTIES_ZOOM, initialFeatureLimit, MAX_TILE_BYTES, minimumArea, simplifyTolerance, tileRequest } from '../server/modules/tiles/layers.ts';
import { applySubmission } from '../server/modules/versions/apply.ts';
import { acceptSubmission } from '../server/modules/submissions/decide.ts';
import { DEMO_PASSWORD } from '../server/seed/demo.ts';
import { mulberry32 } from '../server/seed/generator/random.ts';
import { adminStatement, benchOptions, benchPackage, freshBenchDatabase, lastJsonLine, runTimed, serverUrlOrExit } from './bench-common.ts';

const options = benchOptions(1);
const ZOOMS = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
const TILES_PER_ZOOM = 40;
const AS_OF = '2020-06-30';
const DATABASE = 'lsp_bench_tiles';
const serverUrl = serverUrlOrExit('bench:tiles', 'measures the tile endpoint and bare ST_AsMVT on the same PostGIS server');
const { zipPath, manifest } = await benchPackage(options);
const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;
const withDatabase = (url: string, name: string) => Object.assign(new URL(url), { pathname: `/${name}` });

async function databaseHolds(url: string, name: string, parcels: number): Promise<boolean> {
  const probe = new pg.Client({ connectionString: withDatabase(url, name).toString() });
  try {
    await probe.connect();
    const { rows } = await probe.query(`SELECT count(*)::int AS n FROM land_use_parcels`);
    return rows[0].n === parcels;
  } catch {
    return false;
  } finally {
    await probe.end().catch(() => undefined);
  }
}

const load = () => `load average ${os.loadavg().map((value) => value.toFixed(2)).join(' ')} on ${os.cpus().length} cores`;
console.log(`bench:tiles ${manifest.parcels.toLocaleString('en')} parcels in ${options.district}, up to ${TILES_PER_ZOOM} tiles a zoom z${ZOOMS[0]}-z${ZOOMS.at(-1)}, seed ${options.seed}`);
// BENCH_TILES_REUSE=1 keeps the database of an earlier run that loaded the same parcels (re-runs of
// the measurements only); by default it is made afresh and dropped at the end.
const reuse = process.env.BENCH_TILES_REUSE === '1' && (await databaseHolds(serverUrl, DATABASE, manifest.parcels));
const benchUrl = reuse ? withDatabase(serverUrl, DATABASE) : await freshBenchDatabase(serverUrl, DATABASE);
const env = { ...process.env, DATABASE_URL: benchUrl.toString(), ARCHIVE_DIR: path.join(REPO_ROOT, '.tmp', 'bench-archive'), SEED_DEMO: 'false', LOG_LEVEL: 'silent' };
const config = loadConfig(env);
const { db, capabilities } = await prepareDatabase(config);
const client = new pg.Client({ connectionString: benchUrl.toString() });
await client.connect();
// Serial, as the platform's tile statement is (its key function is not parallel safe): given the
// cost PostGIS declares for ST_AsMVTGeom, the planner would otherwise pick a parallel sequential
// scan of every parcel for a tile of a few hundred, several times slower than the index.
await client.query('SET max_parallel_workers_per_gather = 0');

if (!reuse) await loadParcels();

async function loadParcels(): Promise<void> {
  // The parcels: import (a child process, as npm run import), the empty rule set (the acceptance
  // gate asks for a finished run; the checks are bench:qc's subject), acceptance, application.
  const imported = await runTimed(process.execPath, ['--import', 'tsx', 'server/cli/import.ts', zipPath, '--survey', 'national:2019', '--district', options.district, '--json', '--no-check'], env);
  if (imported.code !== 0) throw new Error(`import failed:\n${imported.stdout}\n${imported.stderr.slice(-3000)}`);
  const { submissionId } = lastJsonLine<{ submissionId: string }>(imported.stdout);
  await runChecks(db, submissionId, { startedBy: null, only: [] });
  const adminRow = await db.kysely.selectFrom('users').select(['id', 'username', 'display_name']).where('username', '=', 'admin').executeTakeFirstOrThrow();
  const adminUser: SessionUser = { id: adminRow.id, username: adminRow.username, displayName: adminRow.display_name, role: 'city_admin', districtCode: null, districtName: null, organisationName: null };
  await acceptSubmission(db, submissionId, adminUser, null);
  let started = process.hrtime.bigint();
  const applied = await applySubmission(db, submissionId, { id: adminRow.id, role: 'city_admin' });
  console.log(`  imported in ${imported.seconds.toFixed(1)} s, applied in ${seconds(started).toFixed(1)} s: ${applied.layers.map((layer) => `${layer.created.toLocaleString('en')} ${layer.layer}`).join(', ')}`);
  await adminStatement(benchUrl.toString(), 'VACUUM ANALYZE');
}

// The sample: the tiles under random points of the district that fall on a parcel, per zoom,
// without repeats (z8 has only a few). The points depend on the seed and the data's extent only.
const random = mulberry32(options.seed);
const { rows: [extent] } = await client.query(`SELECT ST_XMin(e) AS west, ST_YMin(e) AS south, ST_XMax(e) AS east, ST_YMax(e) AS north FROM (SELECT ST_Extent(geom) AS e FROM land_use_parcels) s`);
const tiles: { z: number; x: number; y: number }[] = [];
for (const z of ZOOMS) {
  const seen = new Set<string>();
  for (let pick = 0; pick < TILES_PER_ZOOM * 20 && seen.size < TILES_PER_ZOOM; pick++) {
    const lon = extent.west + random() * (extent.east - extent.west);
    const lat = extent.south + random() * (extent.north - extent.south);
    const { rows } = await client.query(`SELECT 1 FROM land_use_parcels WHERE geom && ST_MakeEnvelope($1, $2, $1, $2, 4490) AND ST_Intersects(geom, ST_SetSRID(ST_Point($1, $2), 4490)) LIMIT 1`, [lon, lat]);
    if (rows.length === 0) continue;
    const n = 2 ** z;
    const x = Math.floor(((lon + 180) / 360) * n);
    const y = Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * n);
    if (seen.has(`${x}/${y}`)) continue;
    seen.add(`${x}/${y}`);
    tiles.push({ z, x, y });
  }
}

/** The bare statement of a tile: the same features and properties, as one plain ST_AsMVT query. */
function bareStatement(tile: { z: number; x: number; y: number }): { text: string; params: unknown[] } {
  const properties = tile.z >= FULL_PROPERTIES_ZOOM ? 'bsm, dlbm, dlmc, district_code, area_m2::float8 AS area_m2' : 'dlbm, dlmc, district_code';
  const limit = initialFeatureLimit(tileRequest({ layer: 'land_use', ...tile }, { asOf: AS_OF }));
  return {
    text: `SELECT ST_AsMVT(q, 'land_use', ${EXTENT}, 'geom', 'fid') AS tile FROM (
             SELECT version_id AS fid, version_id AS id, ${properties},
                    ST_AsMVTGeom(ST_Simplify(ST_Transform(geom, 3857), $4), ST_TileEnvelope($1, $2, $3), ${EXTENT}, ${BUFFER}, true) AS geom
               FROM land_use_parcels
              WHERE geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => ${BUFFER / EXTENT}), 4490)
                AND daterange(valid_from, valid_to, '[)') @> $5::date AND area_m2 >= $6
              ORDER BY area_m2 DESC, version_id LIMIT $7) q`,
    params: [tile.z, tile.x, tile.y, simplifyTolerance(tile.z), AS_OF, minimumArea(tile.z, tile.y), limit],
  };
}

const app = await buildApp({ config, db, capabilities });
const base = await app.listen({ host: '127.0.0.1', port: 0 });
// Signed in as the city administrator, as a browser would be.
const session = await fetch(`${base}/api/auth/session`);
const preCsrf = ((await session.json()) as { csrfToken: string }).csrfToken;
const csrfCookie = session.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': preCsrf, cookie: csrfCookie }, body: JSON.stringify({ username: 'admin', password: DEMO_PASSWORD }) });
if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).filter((pair) => pair!.startsWith('lsp_session=')).join('; ');
const url = (tile: { z: number; x: number; y: number }, asOf = AS_OF) => `/tiles/land_use/${tile.z}/${tile.x}/${tile.y}.mvt?asOf=${asOf}`;

/** One tile over HTTP; `encoding` is what the client accepts (identity: the bytes the bare statement gives). */
async function platformTile(tile: { z: number; x: number; y: number }, asOf = AS_OF, encoding = 'identity'): Promise<{ ms: number; bytes: number }> {
  const begun = process.hrtime.bigint();
  const response = await fetch(`${base}${url(tile, asOf)}`, { headers: { cookie, 'accept-encoding': encoding } });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`${url(tile)}: ${response.status} ${body.toString().slice(0, 300)}`);
  return { ms: seconds(begun) * 1000, bytes: body.length };
}

async function bareTile(tile: { z: number; x: number; y: number }): Promise<{ ms: number; bytes: number }> {
  const statement = bareStatement(tile);
  const begun = process.hrtime.bigint();
  const { rows } = await client.query(statement.text, statement.params);
  return { ms: seconds(begun) * 1000, bytes: (rows[0].tile as Buffer).length };
}

console.log(`  ${tiles.length} tiles sampled; ${load()}`);
// Both sides start warm (shared buffers, the connections' catalog caches): one untimed pass of
// each first, the platform's for the day before (the same parcels, other cache keys).
for (const tile of tiles) {
  await bareTile(tile);
  await platformTile(tile, '2020-06-29');
}
// Cold: COLD_ROUNDS rounds, the tile cache emptied before each, each tile's platform request and
// bare statement in alternating order; a tile's time is its median over the rounds (a single
// cold pass swings by a third on this machine). The platform is asked for the tile as it is
// (identity), as the bare statement returns it; a further pass asks for gzip, as a browser does.
const COLD_ROUNDS = 3;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const results = tiles.map((tile) => ({ tile, cold: 0, coldGzip: 0, bare: 0, warm: 0, bytes: 0, bareBytes: 0, colds: [] as number[], bares: [] as number[] }));
for (let round = 0; round < COLD_ROUNDS; round++) {
  app.tiles.cache.clear();
  for (const [k, result] of results.entries()) {
    const runPlatform = async () => {
      const r = await platformTile(result.tile);
      result.colds.push(r.ms);
      result.bytes = r.bytes;
    };
    const runBare = async () => {
      const r = await bareTile(result.tile);
      result.bares.push(r.ms);
      result.bareBytes = r.bytes;
    };
    if ((k + round) % 2) {
      await runBare();
      await runPlatform();
    } else {
      await runPlatform();
      await runBare();
    }
  }
}
for (const result of results) Object.assign(result, { cold: median(result.colds), bare: median(result.bares) });
app.tiles.cache.clear();
for (const result of results) result.coldGzip = (await platformTile(result.tile, AS_OF, 'gzip')).ms;
for (const result of results) result.warm = (await platformTile(result.tile, AS_OF, 'gzip')).ms;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};
const ms = (value: number) => value.toFixed(1).padStart(7);
console.log('');
console.log(`cold: median of ${COLD_ROUNDS} rounds per tile, identity; cold gzip: one round, gzip accepted; warm: cached, gzip (ms)`);
console.log(' zoom tiles | cold p50    p95 | bare SQL p50 p95 | p95 ratio | cold gzip p95 | warm p50   p95 | size max KB mean KB');
for (const z of ZOOMS) {
  const group = results.filter((result) => result.tile.z === z);
  if (group.length === 0) continue;
  const cold95 = percentile(group.map((r) => r.cold), 95);
  const bare95 = percentile(group.map((r) => r.bare), 95);
  const sizes = group.map((r) => r.bytes);
  console.log(
    `  z${String(z).padEnd(3)} ${String(group.length).padStart(4)} | ${ms(percentile(group.map((r) => r.cold), 50))} ${ms(cold95)} | ${ms(percentile(group.map((r) => r.bare), 50))} ${ms(bare95)} | ${(cold95 / bare95).toFixed(2).padStart(9)} | ${ms(percentile(group.map((r) => r.coldGzip), 95)).padStart(13)} | ${ms(percentile(group.map((r) => r.warm), 50))} ${ms(percentile(group.map((r) => r.warm), 95))} | ${(Math.max(...sizes) / 1000).toFixed(1).padStart(11)} ${(sizes.reduce((a, b) => a + b, 0) / sizes.length / 1000).toFixed(1).padStart(7)}`,
  );
}
const differing = results.filter((r) => r.bytes !== r.bareBytes);
const byZoom = [...new Set(differing.map((r) => r.tile.z))].map((z) => {
  const group = differing.filter((r) => r.tile.z === z);
  return `z${z} ${group.length} (${group.filter((r) => r.bareBytes > MAX_TILE_BYTES).length} over 500 KB bare)`;
});
console.log(`  the same tile size from the platform and the bare statement: ${results.length - differing.length} of ${results.length} tiles${differing.length ? `; differing: ${byZoom.join(', ')}` : ''}`);

// Warm throughput: autocannon in a child process (not on the server's event loop), cycling
// through a hot set of cached tiles: as the city administrator; as the public (district tiles);
// and, for reference, GET /api/me, which is only the session lookup every signed-in request makes.
interface Cannon {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
  mbps: number;
}
function cannon(paths: string[], headers: Record<string, string>, target = base): Promise<Cannon> {
  const code = `
    const autocannon = (await import('autocannon')).default;
    const requests = ${JSON.stringify(paths)}.map((path) => ({ method: 'GET', path, headers: ${JSON.stringify(headers)} }));
    const result = await autocannon({ url: ${JSON.stringify(target)}, connections: 32, duration: 15, requests });
    console.log(JSON.stringify({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors, total: result.requests.total, mbps: result.throughput.average / 1048576 }));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: REPO_ROOT });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.on('error', reject);
    child.on('exit', (exit) => (exit === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Cannon) : reject(new Error(`autocannon exited ${exit}: ${out}`))));
  });
}
const describe = (result: Cannon) =>
  `${Math.round(result.rps).toLocaleString('en').padStart(6)}/s (${result.total.toLocaleString('en')} requests in 15 s, 32 connections, ${result.non2xx} non-2xx, ${result.errors} errors; latency p50 ${result.p50} ms, p99 ${result.p99} ms; ${result.mbps.toFixed(0)} MB/s)`;
/**
 * The peer for warm throughput: a bare node:http server in a child process answering the same
 * paths with the same tiles gzip-compressed (level 1, as the platform) from memory: no routing,
 * no session, no cache lookup. What it reaches is what this machine and load tool allow.
 */
async function peerServer(paths: string[]): Promise<{ url: string; stop: () => void }> {
  const tilesByPath: Record<string, string> = {};
  for (const tilePath of paths) {
    const response = await fetch(`${base}${tilePath}`, { headers: { cookie, 'accept-encoding': 'identity' } });
    tilesByPath[tilePath] = Buffer.from(await response.arrayBuffer()).toString('base64');
  }
  const file = path.join(REPO_ROOT, '.tmp', 'bench-tiles-peer.json');
  fs.writeFileSync(file, JSON.stringify(tilesByPath));
  const code = `
    const http = await import('node:http');
    const fs = await import('node:fs');
    const zlib = await import('node:zlib');
    const tiles = new Map(Object.entries(JSON.parse(fs.readFileSync(${JSON.stringify(file)}, 'utf8'))).map(([p, b]) => [p, zlib.gzipSync(Buffer.from(b, 'base64'), { level: 1 })]));
    const server = http.createServer((request, response) => {
      const tile = tiles.get(request.url);
      if (!tile) { response.statusCode = 404; response.end(); return; }
      response.writeHead(200, { 'content-type': 'application/vnd.mapbox-vector-tile', 'content-encoding': 'gzip', 'cache-control': 'private, no-cache' });
      response.end(tile);
    });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: REPO_ROOT });
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.on('error', reject);
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

// As a browser asks: with its session cookie when signed in, and accepting gzip.
const browser = { 'accept-encoding': 'gzip, deflate, br' };
const signedIn = { ...browser, cookie };
const hot = results.filter((r) => r.tile.z >= 14 && r.tile.z <= 16).map((r) => url(r.tile));
const districtHot = [...new Set(results.filter((r) => r.tile.z >= 10 && r.tile.z <= 14).map((r) => `/tiles/districts/${r.tile.z}/${r.tile.x}/${r.tile.y}.mvt`))];
for (const hotPath of [...hot, ...districtHot]) await fetch(`${base}${hotPath}`, { headers: signedIn });
for (const hotPath of districtHot) await fetch(`${base}${hotPath}`, { headers: browser });
const throughput = await cannon(hot, signedIn);
console.log(`  warm, signed in, land use : ${describe(throughput)}, ${hot.length} cached z14-z16 land-use tiles (gzip)`);
const peer = await peerServer(hot);
const peerThroughput = await cannon(hot, browser, peer.url);
peer.stop();
console.log(`  bare node:http, land use  : ${describe(peerThroughput)}, the same tiles' gzip bytes from memory (the ceiling of this machine and load tool); platform/bare ${(throughput.rps / peerThroughput.rps).toFixed(2)}`);
const districtThroughput = await cannon(districtHot, signedIn);
console.log(`  warm, signed in, districts: ${describe(districtThroughput)}, ${districtHot.length} cached z10-z14 district tiles`);
const publicThroughput = await cannon(districtHot, browser);
console.log(`  warm, public, districts   : ${describe(publicThroughput)}, the same district tiles`);
const sessionOnly = await cannon(['/api/me'], signedIn);
console.log(`  GET /api/me               : ${describe(sessionOnly)} (a signed-in request that reads no tile)`);
console.log(`  session cache: ${app.sessions.hits.toLocaleString('en')} hits, ${app.sessions.misses.toLocaleString('en')} lookups; ${load()}`);

const high = results.filter((r) => r.tile.z >= 13);
const cold95 = percentile(high.map((r) => r.cold), 95);
const bare95 = percentile(high.map((r) => r.bare), 95);
const largest = results.reduce((a, b) => (b.bytes > a.bytes ? b : a));
console.log('');
console.log(`cold p95 at z>=13 : ${cold95.toFixed(1)} ms, bare SQL p95 ${bare95.toFixed(1)} ms, ratio ${(cold95 / bare95).toFixed(2)} (target <= 1.2: ${cold95 <= 1.2 * bare95 ? 'met' : 'NOT met'})`);
console.log(`largest tile      : ${(largest.bytes / 1000).toFixed(1)} KB at z${largest.tile.z}/${largest.tile.x}/${largest.tile.y} (target every tile <= ${MAX_TILE_BYTES / 1000} KB: ${largest.bytes <= MAX_TILE_BYTES ? 'met' : 'NOT met'})`);
const verdict = (result: Cannon) => `${Math.round(result.rps).toLocaleString('en')} tiles/s (${result.rps >= 5000 && result.non2xx === 0 && result.errors === 0 ? 'met' : 'NOT met'})`;
console.log(`warm throughput   : target >= 5,000 tiles/s; signed in, land use ${verdict(throughput)}; signed in, districts ${verdict(districtThroughput)}; public ${verdict(publicThroughput)}`);

await app.close();
await client.end();
await db.close();
if (process.env.BENCH_TILES_REUSE !== '1') await adminStatement(serverUrl, `DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
