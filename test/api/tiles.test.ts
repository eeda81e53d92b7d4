// GET /tiles/{layer}/{z}/{x}/{y}.mvt through the API on both engines: real parcels, findings and
// versions written as the system, tiles decoded with @mapbox/vector-tile. What a tile holds per
// layer and zoom, the HTTP caching (ETag, 304, Cache-Control), that a change to the data is never
// answered from the tile cache, and who sees what (row-level security, the public policy).
import { VectorTile, type VectorTileLayer } from '@mapbox/vector-tile';
import type { LightMyRequestResponse } from 'fastify';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { PbfReader } from 'pbf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { CHONGMING, DEMO_PASSWORD, insertSubmission, nationalSurveyId, PUDONG } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { SharedRead } from '../../server/db/shared-read.ts';
import { withDatabaseName } from '../support/templates.ts';
import { expectError } from './helpers.ts';

const MVT = 'application/vnd.mapbox-vector-tile';
/** South-west corner of the test parcels: on 崇明岛. */
const LON = 121.5004;
const LAT = 31.6203;

function tileOf(lon: number, lat: number, z: number): { x: number; y: number } {
  const n = 2 ** z;
  const phi = (lat * Math.PI) / 180;
  return { x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * n) };
}

/** Where a lon/lat falls in tile (z, x, y), in tile units (4096 a side, y down). */
function inTile(lon: number, lat: number, z: number, x: number, y: number): [number, number] {
  const n = 2 ** z;
  const phi = (lat * Math.PI) / 180;
  const wy = ((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * n;
  return [(((lon + 180) / 360) * n - x) * 4096, (wy - y) * 4096];
}

function tileUrl(layer: string, lon: number, lat: number, z: number, query = ''): string {
  const { x, y } = tileOf(lon, lat, z);
  return `/tiles/${layer}/${z}/${x}/${y}.mvt${query ? `?${query}` : ''}`;
}

function decode(response: LightMyRequestResponse, layer: string): VectorTileLayer | null {
  expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
  expect(response.headers['content-type']).toBe(MVT);
  const tile = new VectorTile(new PbfReader(new Uint8Array(response.rawPayload)) as never);
  expect(Object.keys(tile.layers).filter((name) => name !== layer)).toEqual([]);
  return tile.layers[layer] ?? null;
}

function features(layer: VectorTileLayer | null): Map<number, { properties: Record<string, unknown>; type: number; rings: { x: number; y: number }[][] }> {
  const byId = new Map<number, { properties: Record<string, unknown>; type: number; rings: { x: number; y: number }[][] }>();
  for (let i = 0; layer && i < layer.length; i++) {
    const feature = layer.feature(i);
    byId.set(Number(feature.id), { properties: feature.properties, type: feature.type, rings: feature.loadGeometry() });
  }
  return byId;
}

/** The surveyor's formula in tile coordinates: positive for an MVT exterior ring. */
const ringArea = (ring: { x: number; y: number }[]) => ring.reduce((sum, p, i) => sum + p.x * ring[(i + 1) % ring.length]!.y - ring[(i + 1) % ring.length]!.x * p.y, 0) / 2;

describe('generation reads shared by concurrent requests', () => {
  it('answer a request only with a read that started after it came in', async () => {
    let committed = 1;
    const reads: { saw: number; finish: () => void }[] = [];
    const shared = new SharedRead(() => new Promise<number>((resolve) => {
      const saw = committed;
      reads.push({ saw, finish: () => resolve(saw) });
    }));
    const first = shared.read();
    committed = 2; // a change commits while the first read runs
    const second = shared.read();
    const third = shared.read();
    expect(reads).toHaveLength(1);
    reads[0]!.finish();
    expect(await first).toBe(1);
    await Promise.resolve();
    expect(reads).toHaveLength(2);
    reads[1]!.finish();
    expect([await second, await third]).toEqual([2, 2]);
    // Nothing running: the next request reads at once.
    const fourth = shared.read();
    expect(reads).toHaveLength(3);
    reads[2]!.finish();
    expect(await fourth).toBe(2);
  });
});

describe.each(ENGINES)('vector tiles on the %s engine', (engine) => {
  let test: TestApp;
  const clients: Record<string, TestClient> = {};
  const submissions: Record<string, string> = {};
  const ids: Record<string, number> = {};
  const areas: Record<string, number> = {};

  async function insertParcel(name: string, p: { district?: string; submission?: string; lon: number; lat: number; size?: number; validFrom?: string; dlbm?: string; dlmc?: string; table?: string }): Promise<number> {
    const d = p.size ?? 0.001;
    const wkt = `MULTIPOLYGON(((${p.lon} ${p.lat},${p.lon + d} ${p.lat},${p.lon + d} ${p.lat + d},${p.lon} ${p.lat + d},${p.lon} ${p.lat})))`;
    const district = p.district ?? CHONGMING;
    const [row] = await test.db.scriptTransaction((exec) =>
      exec(
        `INSERT INTO ${p.table ?? 'land_use_parcels'} (district_code, bsm, valid_from, submission_id, dlbm, dlmc, geom, area_m2)
         VALUES ($1, $2, $3, $4, $5, $6, ST_GeomFromText($7, 4490), round(ST_Area(ST_GeomFromText($7, 4490)::geography, true)::numeric, 2))
         RETURNING version_id, area_m2::float8 AS area`,
        [district, `${district}TILE${name.padStart(8, '0')}`, p.validFrom ?? '2019-12-31', p.submission ?? submissions[district], p.dlbm ?? '0101', p.dlmc ?? '水田', wkt],
      ),
    );
    ids[name] = Number(row!.version_id);
    areas[name] = Number(row!.area);
    return ids[name]!;
  }

  const close = (name: string, day: string) => test.db.scriptTransaction((exec) => exec(`UPDATE land_use_parcels SET valid_to = $2 WHERE version_id = $1`, [ids[name], day]));
  const get = (who: string | null, url: string, headers: Record<string, string> = {}) =>
    test.app.inject({ method: 'GET', url, headers, cookies: who ? { lsp_session: clients[who]!.cookie('lsp_session')! } : {} });

  beforeAll(async () => {
    test = await openTestApp(engine);
    for (const username of ['admin', 'chongming', 'pudong', 'office']) {
      clients[username] = new TestClient(test.app);
      expect((await clients[username].login(username, DEMO_PASSWORD)).statusCode).toBe(200);
    }
    const surveyId = await nationalSurveyId(test.db);
    submissions[CHONGMING] = await insertSubmission(test.db, CHONGMING, surveyId);
    submissions[PUDONG] = await insertSubmission(test.db, PUDONG, surveyId);
    await insertParcel('A', { lon: LON, lat: LAT });
    await insertParcel('B', { lon: LON + 0.0015, lat: LAT, dlbm: '0702', dlmc: '农村宅基地' });
    // A 浦东 row drawn on 崇明 ground: only the district code tells them apart.
    await insertParcel('P', { district: PUDONG, lon: LON, lat: LAT + 0.0015, dlbm: '0301', dlmc: '乔木林地' });
    await insertParcel('F', { lon: LON, lat: LAT, table: 'basic_farmland_parcels' });
  }, 180_000);
  afterAll(() => test?.drop());

  it('serves a land-use tile: MVT v2, extent 4096, the versions with their properties, in place', async () => {
    const response = await get('admin', tileUrl('land_use', LON, LAT, 15));
    expect(response.headers.etag).toMatch(/^"[\w-]{20,}"$/);
    expect(response.headers['cache-control']).toBe('private, no-cache');
    const layer = decode(response, 'land_use')!;
    expect(layer.version).toBe(2);
    expect(layer.extent).toBe(4096);
    const byId = features(layer);
    expect([...byId.keys()].sort()).toEqual([ids.A, ids.B, ids.P].sort());
    expect(byId.get(ids.A!)!.properties).toEqual({ id: ids.A, bsm: `${CHONGMING}TILE0000000A`, dlbm: '0101', dlmc: '水田', district_code: CHONGMING, area_m2: areas.A });
    expect(byId.get(ids.P!)!.properties).toMatchObject({ district_code: PUDONG, dlbm: '0301' });
    // The square lands where its corners project (within a unit of snapping).
    const { x, y } = tileOf(LON, LAT, 15);
    const [west, south] = inTile(LON, LAT, 15, x, y);
    const [east, north] = inTile(LON + 0.001, LAT + 0.001, 15, x, y);
    const a = byId.get(ids.A!)!;
    expect(a.type).toBe(3);
    expect(a.rings).toHaveLength(1);
    const xs = a.rings[0]!.map((p) => p.x);
    const ys = a.rings[0]!.map((p) => p.y);
    for (const [got, want] of [[Math.min(...xs), west], [Math.max(...xs), east], [Math.min(...ys), north], [Math.max(...ys), south]] as const) expect(Math.abs(got - want)).toBeLessThanOrEqual(1);
    expect(ringArea(a.rings[0]!)).toBeGreaterThan(0);
  });

  it('carries fewer properties below z14 and leaves out parcels under a screen pixel', async () => {
    const z13 = features(decode(await get('admin', tileUrl('land_use', LON, LAT, 13)), 'land_use'));
    expect(z13.get(ids.A!)!.properties).toEqual({ id: ids.A, dlbm: '0101', dlmc: '水田', district_code: CHONGMING });
    const farmland = features(decode(await get('admin', tileUrl('basic_farmland', LON, LAT, 13)), 'basic_farmland'));
    expect(farmland.get(ids.F!)!.properties).toEqual({ id: ids.F, dlbm: '0101' });
    // About 1 ha each: a pixel is ~65 m at z10 (4,200 m²), ~130 m at z9 (17,000 m²).
    expect(features(decode(await get('admin', tileUrl('land_use', LON, LAT, 10)), 'land_use')).has(ids.A!)).toBe(true);
    const z9 = await get('admin', tileUrl('land_use', LON, LAT, 9));
    expect(z9.statusCode).toBe(200);
    expect(z9.rawPayload.length).toBe(0);
  });

  it('draws the state on asOf, a day or a year', async () => {
    await insertParcel('C', { lon: LON + 0.003, lat: LAT, validFrom: '2020-06-30' });
    const day = async (asOf: string) => features(decode(await get('admin', tileUrl('land_use', LON, LAT, 15, `asOf=${asOf}`)), 'land_use'));
    expect((await day('2020-06-29')).has(ids.C!)).toBe(false);
    expect((await day('2020')).has(ids.C!)).toBe(true);
    expect((await day('2019')).has(ids.A!)).toBe(true);
    expect((await day('2019-12-30')).size).toBe(0);
    expectError(await get('admin', tileUrl('land_use', LON, LAT, 15, 'asOf=2020-02-30')), 400, 'DATE_INVALID');
  });

  it('sends a tile gzip-compressed to a client that accepts it, as its own representation', async () => {
    // 400 small parcels in a grid away from the others: a tile of a few kilobytes.
    await test.db.scriptTransaction((exec) =>
      exec(
        `INSERT INTO land_use_parcels (district_code, bsm, valid_from, submission_id, dlbm, dlmc, geom, area_m2)
         SELECT $1::varchar, $1::varchar || 'GZIP' || lpad(i::text, 8, '0'), '2019-12-31', $2::uuid, '0101', '水田', g, round(ST_Area(g::geography, true)::numeric, 2)
           FROM generate_series(0, 399) i,
                LATERAL (SELECT ST_Multi(ST_MakeEnvelope($3::float8 + (i % 20) * 0.0002, $4::float8 + (i / 20) * 0.0002, $3::float8 + (i % 20) * 0.0002 + 0.00019, $4::float8 + (i / 20) * 0.0002 + 0.00019, 4490)) AS g) s`,
        [CHONGMING, submissions[CHONGMING], LON + 0.01, LAT + 0.01],
      ),
    );
    const url = tileUrl('land_use', LON + 0.011, LAT + 0.011, 16);
    const plain = await get('admin', url);
    expect(plain.rawPayload.length).toBeGreaterThan(1024);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(String(plain.headers.vary)).toContain('Accept-Encoding');
    const compressed = await get('admin', url, { 'accept-encoding': 'gzip, deflate, br' });
    expect(compressed.headers['content-encoding']).toBe('gzip');
    expect(compressed.rawPayload.length).toBeLessThan(plain.rawPayload.length);
    expect(gunzipSync(compressed.rawPayload).equals(plain.rawPayload)).toBe(true);
    expect(compressed.headers.etag).not.toBe(plain.headers.etag);
    expect((await get('admin', url, { 'accept-encoding': 'gzip', 'if-none-match': String(compressed.headers.etag) })).statusCode).toBe(304);
    expect((await get('admin', url, { 'if-none-match': String(compressed.headers.etag) })).statusCode).toBe(200);
    expect((await get('admin', url, { 'accept-encoding': 'gzip;q=0, identity' })).headers['content-encoding']).toBeUndefined();
    // Small tiles go as they are.
    const small = await get('admin', tileUrl('land_use', LON, LAT, 16), { 'accept-encoding': 'gzip' });
    expect(small.rawPayload.length).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('answers If-None-Match with 304, and a second request from the cache', async () => {
    const url = tileUrl('land_use', LON, LAT, 16);
    const first = await get('admin', url);
    const rendered = test.app.tiles.rendered;
    const again = await get('admin', url);
    expect(again.rawPayload.equals(first.rawPayload)).toBe(true);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(test.app.tiles.rendered).toBe(rendered);
    const notModified = await get('admin', url, { 'if-none-match': String(first.headers.etag) });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.rawPayload.length).toBe(0);
    expect(notModified.headers.etag).toBe(first.headers.etag);
    expect((await get('admin', url, { 'if-none-match': `"other", W/${String(first.headers.etag)}` })).statusCode).toBe(304);
    expect((await get('admin', url, { 'if-none-match': '"other"' })).statusCode).toBe(200);
    // The public's tiles may be cached anywhere; they hold only public data.
    const anonymous = await get(null, tileUrl('districts', LON, LAT, 10));
    expect(anonymous.headers['cache-control']).toBe('public, no-cache');
    expect(anonymous.headers.vary).toMatch(/cookie/i);
  });

  it('never answers from the cache after the data changed', async () => {
    const url = tileUrl('land_use', LON, LAT, 14);
    const before = await get('admin', url);
    expect((await get('admin', url)).headers.etag).toBe(before.headers.etag);
    await insertParcel('D', { lon: LON, lat: LAT - 0.0015, dlbm: '1001', dlmc: '铁路用地' });
    const after = await get('admin', url);
    expect(features(decode(after, 'land_use')).get(ids.D!)?.properties.dlbm).toBe('1001');
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect((await get('admin', url, { 'if-none-match': String(before.headers.etag) })).statusCode).toBe(200);
    // Closing a version takes it off today's map.
    await close('D', '2021-06-30');
    const closed = await get('admin', url);
    expect(features(decode(closed, 'land_use')).has(ids.D!)).toBe(false);
    expect(closed.headers.etag).toBe(before.headers.etag);
  });

  // The sequence moves when the writer's statement ends, before it commits: a tile rendered in
  // between must be served without the uncommitted rows, and must not be kept under the new number.
  it.runIf(engine === 'server')('does not keep a tile rendered while a writer of its data is still open', async () => {
    const [database] = await test.db.scriptTransaction((exec) => exec('SELECT current_database() AS name'));
    const writer = new pg.Client({ connectionString: withDatabaseName(process.env.DATABASE_URL!, String(database!.name)) });
    await writer.connect();
    const lon = LON + 0.03;
    const url = tileUrl('land_use', lon, LAT, 17);
    try {
      expect((await get('admin', url)).rawPayload.length).toBe(0);
      await writer.query('BEGIN');
      const inserted = await writer.query(
        `INSERT INTO land_use_parcels (district_code, bsm, valid_from, submission_id, dlbm, dlmc, geom, area_m2)
         VALUES ($1, 'OPENWRITER', '2019-12-31', $2, '0101', '水田', ST_GeomFromText($3, 4490), 100) RETURNING version_id`,
        [CHONGMING, submissions[CHONGMING], `MULTIPOLYGON(((${lon} ${LAT},${lon + 0.0002} ${LAT},${lon + 0.0002} ${LAT + 0.0002},${lon} ${LAT})))`],
      );
      expect((await get('admin', url)).rawPayload.length).toBe(0);
      await writer.query('COMMIT');
      expect([...features(decode(await get('admin', url), 'land_use')).keys()]).toEqual([Number(inserted.rows[0].version_id)]);
    } finally {
      await writer.query('ROLLBACK').catch(() => undefined);
      await writer.end();
    }
  });

  it('gives a district operator its own district only, through row-level security', async () => {
    const url = tileUrl('land_use', LON, LAT, 15, 'asOf=2019');
    const own = features(decode(await get('chongming', url), 'land_use'));
    expect([...own.keys()]).toEqual(expect.arrayContaining([ids.A, ids.B]));
    expect(own.has(ids.P!)).toBe(false);
    expect(new Set([...own.values()].map((feature) => feature.properties.district_code))).toEqual(new Set([CHONGMING]));
    expect([...features(decode(await get('pudong', url), 'land_use')).keys()]).toEqual([ids.P]);
    expect([...features(decode(await get('chongming', tileUrl('basic_farmland', LON, LAT, 15)), 'basic_farmland')).keys()]).toEqual([ids.F]);
    expect((await get('pudong', tileUrl('basic_farmland', LON, LAT, 15))).rawPayload.length).toBe(0);
    // Asking for the other district gives nothing either.
    expect((await get('chongming', tileUrl('land_use', LON, LAT, 15, `asOf=2019&districtCode=${PUDONG}`))).rawPayload.length).toBe(0);
    expect([...features(decode(await get('admin', tileUrl('land_use', LON, LAT, 15, `asOf=2019&districtCode=${PUDONG}`)), 'land_use')).keys()]).toEqual([ids.P]);
  });

  it('gives the public the districts and published public parcels only, and never findings', async () => {
    const url = tileUrl('land_use', LON, LAT, 15);
    expect((await get(null, url)).rawPayload.length).toBe(0);
    expect((await get(null, tileUrl('basic_farmland', LON, LAT, 15))).rawPayload.length).toBe(0);
    const districts = features(decode(await get(null, tileUrl('districts', LON, LAT, 9)), 'districts'));
    expect(districts.get(Number(CHONGMING))?.properties).toEqual({ code: CHONGMING, name: '崇明区' });
    expectError(await get(null, tileUrl('findings', LON, LAT, 15, `runId=${crypto.randomUUID()}`)), 401, 'AUTH_REQUIRED');
    // A 公开 special survey of 2019-06-30, taken through its steps to publication: the versions
    // valid on its day are for everyone, the moment it is published and no longer.
    const created = await clients.admin!.post('/api/surveys', { kind: 'special', scope: 'city', year: 2019, timePoint: '2019-06-30', title: '公开专项调查', secrecy: 'public' });
    expect(created.statusCode, created.body).toBe(201);
    const surveyId = created.json<{ id: string }>().id;
    const step = async (who: string, action: string, body: Record<string, unknown> = {}) => {
      const response = await clients[who]!.post(`/api/surveys/${surveyId}/decisions`, { action, ...body });
      expect(response.statusCode, response.body).toBe(200);
    };
    const document = { number: '沪土调〔2019〕1号', date: '2019-05-01' };
    await step('office', 'approve_plan', { document });
    const published = await insertSubmission(test.db, CHONGMING, surveyId);
    await insertParcel('G', { lon: LON + 0.003, lat: LAT + 0.0015, submission: published, validFrom: '2019-06-30' });
    await step('admin', 'close');
    await step('admin', 'approve', { document: { number: '沪府〔2019〕9号', date: '2019-09-01' } });
    expect((await get(null, url)).rawPayload.length).toBe(0); // approved is not published
    // Only what the public read rule and the public's tiles carry can be published.
    expectError(await clients.admin!.post(`/api/surveys/${surveyId}/decisions`, { action: 'publish', layers: ['ownership'] }), 400, 'VALIDATION_FAILED');
    expectError(await clients.admin!.post(`/api/surveys/${surveyId}/decisions`, { action: 'publish', layers: ['land_use'], fields: ['BSM', 'QLRMC'] }), 400, 'PUBLICATION_NOT_PUBLIC');
    expect((await get(null, url)).rawPayload.length).toBe(0);
    await step('admin', 'publish');
    const [publication] = (await clients.admin!.get(`/api/publications`)).json<{ surveyId: string; layers: string[]; fields: string[] }[]>().filter((p) => p.surveyId === surveyId);
    expect(publication).toMatchObject({ layers: ['land_use', 'basic_farmland'], fields: ['BSM', 'DLBM', 'DLMC', 'XZQDM', 'TBMJ'] });
    expect([...features(decode(await get(null, url), 'land_use')).keys()]).toEqual([ids.G]);
    expect(features(decode(await get('admin', url), 'land_use')).has(ids.G!)).toBe(true);
    await step('admin', 'withdraw', { opinion: '撤回公布' });
    expect((await get(null, url)).rawPayload.length).toBe(0);
    await step('admin', 'publish');
    expect([...features(decode(await get(null, url), 'land_use')).keys()]).toEqual([ids.G]);
    // Made internal again: off the public map at once.
    await test.db.scriptTransaction((exec) => exec(`UPDATE surveys SET secrecy = 'internal' WHERE id = $1`, [surveyId]));
    expect((await get(null, url)).rawPayload.length).toBe(0);
  });

  it('draws a quality run’s findings for those who may read the run', async () => {
    const [run] = await test.db.scriptTransaction((exec) =>
      exec(`INSERT INTO qc_runs (district_code, submission_id, state, rules) VALUES ($1, $2, 'finished', '[]') RETURNING id`, [CHONGMING, submissions[CHONGMING]]),
    );
    const runId = String(run!.id);
    const insert = (no: number, severity: string, wkt: string, bsm: string | null) =>
      test.db.scriptTransaction((exec) =>
        exec(
          `INSERT INTO qc_findings (district_code, run_id, finding_no, rule_id, severity, layer, bsm, message_zh, message_en, geom)
           VALUES ($1, $2, $3, 'TOPO_OVERLAP', $4, 'DLTB', $5, $6, 'overlap', ST_GeomFromText($7, 4490))`,
          [CHONGMING, runId, no, severity, bsm, `图斑重叠 ${no}`, wkt],
        ),
      );
    await insert(1, 'error', `POINT(${LON + 0.0005} ${LAT + 0.0005})`, 'A');
    await insert(2, 'warning', `POLYGON((${LON} ${LAT},${LON + 0.0004} ${LAT},${LON + 0.0004} ${LAT + 0.0004},${LON} ${LAT}))`, null);
    await insert(3, 'info', 'POINT(121.6 31.2)', null);
    const url = tileUrl('findings', LON, LAT, 15, `runId=${runId}`);
    const byId = features(decode(await get('admin', url), 'findings'));
    expect([...byId.keys()]).toEqual([1, 2]);
    expect(byId.get(1)).toMatchObject({ type: 1, properties: { finding_no: 1, rule_id: 'TOPO_OVERLAP', severity: 'error', message: '图斑重叠 1', bsm: 'A' } });
    expect(byId.get(2)).toMatchObject({ type: 3, properties: { finding_no: 2, severity: 'warning', message: '图斑重叠 2' } });
    expect((await get('pudong', url)).rawPayload.length).toBe(0);
    expect(features(decode(await get('chongming', url), 'findings')).size).toBe(2);
    expectError(await get('admin', tileUrl('findings', LON, LAT, 15)), 400, 'TILE_RUN_REQUIRED');
    // A finding added to the run shows at once.
    await insert(4, 'error', `POINT(${LON + 0.0002} ${LAT + 0.0002})`, null);
    expect(features(decode(await get('admin', url), 'findings')).size).toBe(3);
  });

  it('draws the changes between two days: added, changed (later shape) and retired (earlier shape)', async () => {
    const lon = LON + 0.01;
    await insertParcel('X1', { lon, lat: LAT });
    await insertParcel('Z', { lon: lon + 0.0015, lat: LAT, dlbm: '0301', dlmc: '乔木林地' });
    await insertParcel('W', { lon: lon + 0.003, lat: LAT });
    await close('X1', '2020-06-30');
    await close('Z', '2020-06-30');
    await test.db.scriptTransaction((exec) =>
      exec(`INSERT INTO land_use_parcels (district_code, bsm, valid_from, submission_id, dlbm, dlmc, geom, area_m2)
            SELECT district_code, bsm, '2020-06-30', submission_id, '0702', '农村宅基地', ST_Translate(geom, 0, 0.0002), area_m2 FROM land_use_parcels WHERE version_id = $1`, [ids.X1]),
    );
    const [x2] = await test.db.scriptTransaction((exec) => exec(`SELECT version_id FROM land_use_parcels WHERE bsm = $1 AND valid_to IS NULL`, [`${CHONGMING}TILE000000X1`]));
    await insertParcel('Y', { lon, lat: LAT + 0.0015, validFrom: '2020-06-30', dlbm: '1001', dlmc: '铁路用地' });
    const byId = features(decode(await get('admin', tileUrl('changes', lon, LAT, 15, 'from=2019&to=2020')), 'changes'));
    expect([...byId.keys()].sort()).toEqual([Number(x2!.version_id), ids.Y, ids.Z].sort());
    expect(byId.get(Number(x2!.version_id))!.properties).toEqual({ id: Number(x2!.version_id), bsm: `${CHONGMING}TILE000000X1`, district_code: CHONGMING, change: 'changed', from_dlbm: '0101', to_dlbm: '0702' });
    expect(byId.get(ids.Y!)!.properties).toMatchObject({ change: 'added', to_dlbm: '1001' });
    expect(byId.get(ids.Y!)!.properties).not.toHaveProperty('from_dlbm');
    expect(byId.get(ids.Z!)!.properties).toMatchObject({ change: 'retired', from_dlbm: '0301' });
    // The changed parcel is drawn as it is on `to`: moved north by 0.0002°.
    const { x, y } = tileOf(lon, LAT, 15);
    const north = inTile(lon, LAT + 0.0012, 15, x, y)[1];
    expect(Math.abs(Math.min(...byId.get(Number(x2!.version_id))!.rings[0]!.map((p) => p.y)) - north)).toBeLessThanOrEqual(1);
    expect((await get('admin', tileUrl('changes', lon, LAT, 15, 'from=2021&to=2022'))).rawPayload.length).toBe(0);
    expect((await get('pudong', tileUrl('changes', lon, LAT, 15, 'from=2019&to=2020'))).rawPayload.length).toBe(0);
    expectError(await get('admin', tileUrl('changes', lon, LAT, 15, 'from=2019')), 400, 'TILE_DATES_REQUIRED');
    expectError(await get('admin', tileUrl('changes', lon, LAT, 15, 'from=2021&to=2020')), 400, 'DATE_ORDER');
  });

  it('refuses unknown layers and tiles that do not exist, and documents the route', async () => {
    expectError(await get('admin', '/tiles/parcels/15/1/1.mvt'), 400, 'TILE_INVALID');
    // Zoom 0-22 and non-negative rows and columns are the route's schema; 2^z-1 is the tile's.
    expectError(await get('admin', '/tiles/land_use/23/0/0.mvt'), 400, 'VALIDATION_FAILED');
    expectError(await get('admin', '/tiles/land_use/2/4/0.mvt'), 400, 'TILE_INVALID');
    expectError(await get('admin', '/tiles/land_use/2/0/-1.mvt'), 400, 'VALIDATION_FAILED');
    expectError(await get('admin', '/tiles/land_use/2/0/x.mvt'), 400, 'VALIDATION_FAILED');
    const spec = (await test.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, { get?: { tags?: string[] } }> }>();
    expect(spec.paths['/tiles/{layer}/{z}/{x}/{y}.mvt']?.get?.tags).toEqual(['tiles']);
  });
});
