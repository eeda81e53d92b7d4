// The two tile encoders on the same data: a generated 崇明区 package (DLTB, YJJBNTTB, XZQ) imported
// and applied on the embedded engine and on the PostgreSQL server, the same changes and findings
// written on both, then tiles of every layer at several zooms rendered by ST_AsMVT on the server,
// and in JS (mvt_prepare + @maplibre/vt-pbf) on the server and on the embedded engine. Decoded
// with @mapbox/vector-tile, they hold the same features with the same properties, and geometry
// within a few tile units (at most 4 of 4096: half a pixel of a tile drawn 512 pixels wide). Needs DATABASE_URL (the embedded engine has no ST_AsMVT to compare with).
import fs from 'node:fs';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { asActor, asSystem, rawQuery, type ActorContext } from '../../server/db/context.ts';
import type { Database } from '../../server/db/engine.ts';
import type { SessionUser } from '../../server/modules/auth/repository.ts';
import { ImportQueue } from '../../server/modules/ingest/jobs.ts';
import { receivePackage } from '../../server/modules/ingest/upload.ts';
import { runChecks } from '../../server/modules/quality/engine.ts';
import { tileRequest, type TileQueryString } from '../../server/modules/tiles/layers.ts';
import { renderTile } from '../../server/modules/tiles/repository.ts';
import { applySubmission } from '../../server/modules/versions/apply.ts';
import { acceptSubmission } from '../../server/modules/submissions/decide.ts';
import { generatePackage } from '../../server/seed/generator/package.ts';
import { actorFor, CHONGMING, nationalSurveyId, seedAccounts } from '../support/data.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { tempDir } from '../support/packages.ts';

type Point = { x: number; y: number };
/** Tile units (1/4096 of a tile) two renderings of a shape may differ by: snapping, validation of
 *  a simplified outline (ST_AsMVTGeom repairs self-intersections that mvt_prepare leaves). */
const TOLERANCE = 4;
interface Decoded {
  type: number;
  properties: Record<string, unknown>;
  rings: Point[][];
}

/** Imports as the CLI does, the empty rule set, acceptance, application; returns the quality run. */
async function loadPackage(db: Database, zip: string, districtCode: string): Promise<string> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
  const queue = new ImportQueue(db, config.ingest, { info: () => undefined, warn: () => undefined, error: () => undefined });
  const request = { surveyId: await nationalSurveyId(db), districtCode, fileName: 'package.zip', encoding: null, epsg: null, uploadedBy: null, surveyorId: null };
  const accepted = await receivePackage(db, config.ingest, queue, fs.createReadStream(zip), request, (work) => asSystem(db, work));
  const outcome = await accepted.outcome;
  if (outcome.error) throw new Error(`import failed: ${outcome.error.en}`);
  const run = await runChecks(db, accepted.submissionId, { startedBy: null, only: [] });
  const admin = await db.kysely.selectFrom('users').select(['id', 'username', 'display_name']).where('username', '=', 'admin').executeTakeFirstOrThrow();
  const user: SessionUser = { id: admin.id, username: admin.username, displayName: admin.display_name, role: 'city_admin', districtCode: null, districtName: null, organisationName: null };
  await acceptSubmission(db, accepted.submissionId, user, null);
  await applySubmission(db, accepted.submissionId, { id: admin.id, role: 'city_admin' });
  return run.runId;
}

/** The same changes and findings on either engine, chosen by BSM order. */
const CHANGES = `
  UPDATE land_use_parcels SET valid_to = '2020-06-30' WHERE bsm IN (SELECT bsm FROM land_use_parcels ORDER BY bsm LIMIT 15);
  INSERT INTO land_use_parcels (district_code, bsm, valid_from, submission_id, dlbm, dlmc, geom, area_m2)
    SELECT district_code, bsm, '2020-06-30', submission_id, CASE WHEN dlbm = '0702' THEN '0101' ELSE '0702' END, 'x', geom, area_m2
      FROM land_use_parcels WHERE valid_to = '2020-06-30' AND bsm IN (SELECT bsm FROM land_use_parcels ORDER BY bsm LIMIT 10);
  INSERT INTO land_use_parcels (district_code, bsm, valid_from, submission_id, dlbm, dlmc, geom, area_m2)
    SELECT district_code, 'N' || substr(bsm, 2), '2020-06-30', submission_id, '1001', '铁路用地', geom, area_m2
      FROM land_use_parcels WHERE valid_to = '2020-06-30' AND bsm IN (SELECT bsm FROM land_use_parcels ORDER BY bsm OFFSET 10 LIMIT 3);`;
const FINDINGS = `
  INSERT INTO qc_findings (district_code, run_id, finding_no, rule_id, severity, layer, bsm, message_zh, message_en, geom)
  SELECT district_code, $1::uuid, n::int, CASE WHEN n % 2 = 0 THEN 'GEOM_SLIVER' ELSE 'ATTR_DLBM' END,
         (CASE n % 3 WHEN 0 THEN 'error' WHEN 1 THEN 'warning' ELSE 'info' END)::qc_severity, 'DLTB', bsm, '问题 ' || n, 'finding ' || n,
         CASE WHEN n <= 30 THEN ST_PointOnSurface(geom) ELSE geom END
    FROM (SELECT row_number() OVER (ORDER BY bsm) AS n, * FROM land_use_parcels WHERE valid_to IS NULL) p WHERE n <= 40`;

function decode(bytes: Buffer, layer: string): Map<string, Decoded> {
  const byKey = new Map<string, Decoded>();
  if (bytes.length === 0) return byKey;
  const tile = new VectorTile(new PbfReader(new Uint8Array(bytes)) as never);
  expect(Object.keys(tile.layers)).toEqual([layer]);
  const decoded = tile.layers[layer]!;
  expect([decoded.version, decoded.extent]).toEqual([2, 4096]);
  for (let i = 0; i < decoded.length; i++) {
    const feature = decoded.feature(i);
    byKey.set(String(feature.id), { type: feature.type, properties: feature.properties, rings: feature.loadGeometry() });
  }
  return byKey;
}

function segmentDistance(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const t = dx === 0 && dy === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

/** The largest distance from a vertex of one geometry to the other's outline (points: to its points). */
function hausdorff(one: Point[][], other: Point[][]): number {
  const near = (p: Point, rings: Point[][]) =>
    Math.min(...rings.flatMap((ring) => (ring.length === 1 ? [Math.hypot(p.x - ring[0]!.x, p.y - ring[0]!.y)] : ring.map((a, i) => segmentDistance(p, a, ring[(i + 1) % ring.length]!)))));
  const directed = (a: Point[][], b: Point[][]) => Math.max(...a.flat().map((p) => near(p, b)));
  return Math.max(directed(one, other), directed(other, one));
}

const signedArea = (rings: Point[][]) => rings.reduce((sum, ring) => sum + ring.reduce((s, p, i) => s + p.x * ring[(i + 1) % ring.length]!.y - ring[(i + 1) % ring.length]!.x * p.y, 0) / 2, 0);
const perimeter = (rings: Point[][]) => rings.reduce((sum, ring) => sum + ring.reduce((s, p, i) => s + Math.hypot(ring[(i + 1) % ring.length]!.x - p.x, ring[(i + 1) % ring.length]!.y - p.y), 0), 0);

describe.skipIf(!process.env.DATABASE_URL)('the ST_AsMVT and JS tile encoders', () => {
  const engines: Record<'embedded' | 'server', { test: TestDatabase; admin: ActorContext; runId: string; bsmOf: Map<number, string> }> = {} as never;
  let centres: [number, number][];

  beforeAll(async () => {
    const { zipPath } = await generatePackage({ districtCode: CHONGMING, parcels: 2000, seed: 11, outDir: tempDir() });
    for (const engine of ['embedded', 'server'] as const) {
      const test = await openTestDatabase(engine);
      await seedAccounts(test.db);
      const runId = await loadPackage(test.db, zipPath, CHONGMING);
      await test.db.scriptTransaction(async (exec) => {
        await exec(CHANGES);
        await exec(FINDINGS, [runId]);
      });
      const rows = await asSystem(test.db, (tx) => rawQuery(tx, `SELECT version_id, bsm FROM land_use_parcels UNION ALL SELECT version_id, 'farmland:' || bsm FROM basic_farmland_parcels`));
      engines[engine] = { test, admin: await actorFor(test.db, 'admin'), runId, bsmOf: new Map(rows.map((row) => [Number(row.version_id), String(row.bsm)])) };
    }
    // Places to look at: parcels spread over the district, the changed ones first.
    const points = await asSystem(engines.server.test.db, (tx) =>
      rawQuery(tx, `SELECT ST_X(c) AS lon, ST_Y(c) AS lat FROM (SELECT ST_PointOnSurface(geom) AS c, row_number() OVER (ORDER BY bsm) AS n FROM land_use_parcels WHERE valid_from = '2019-12-31') p
                    WHERE n IN (1, 12, 35, 400, 1100, 1700) ORDER BY n`),
    );
    centres = points.map((row) => [Number(row.lon), Number(row.lat)]);
  }, 900_000);
  afterAll(async () => {
    await engines.embedded?.test.drop();
    await engines.server?.test.drop();
  });

  async function render(engine: 'embedded' | 'server', mvt: boolean, layer: string, z: number, x: number, y: number, query: TileQueryString): Promise<Map<string, Decoded>> {
    const { test, admin, runId, bsmOf } = engines[engine];
    const request = tileRequest({ layer, z, x, y }, layer === 'findings' ? { ...query, runId } : query);
    const tile = await asActor(test.db, admin, (tx) => renderTile(tx, request, mvt));
    const decoded = decode(tile.bytes, layer);
    if (!['land_use', 'basic_farmland', 'changes'].includes(layer)) return decoded;
    // Version ids are each engine's own (the farmland's BSMs come prefixed): key parcels by BSM.
    return new Map(
      [...decoded].map(([id, feature]): [string, Decoded] => {
        const key = bsmOf.get(Number(id)) ?? `unknown version ${id}`;
        return [key, { ...feature, properties: { ...feature.properties, id: key } }];
      }),
    );
  }

  function expectSame(reference: Map<string, Decoded>, other: Map<string, Decoded>, label: string): void {
    expect([...other.keys()].sort(), label).toEqual([...reference.keys()].sort());
    for (const [key, want] of reference) {
      const got = other.get(key)!;
      expect(got.properties, `${label} ${key}`).toEqual(want.properties);
      expect(got.type, `${label} ${key}`).toBe(want.type);
      expect(hausdorff(got.rings, want.rings), `${label} ${key}`).toBeLessThanOrEqual(TOLERANCE);
      if (want.type === 3) {
        expect(signedArea(got.rings), `${label} ${key}: exterior rings of positive area`).toBeGreaterThan(0);
        expect(Math.abs(signedArea(got.rings) - signedArea(want.rings)), `${label} ${key}`).toBeLessThanOrEqual(perimeter(want.rings) + 4);
      }
    }
  }

  const cases: { layer: string; zooms: number[]; query: TileQueryString }[] = [
    { layer: 'land_use', zooms: [10, 12, 13, 14, 16], query: { asOf: '2020' } },
    { layer: 'basic_farmland', zooms: [11, 14], query: { asOf: '2019' } },
    { layer: 'changes', zooms: [12, 15], query: { from: '2019', to: '2020' } },
    { layer: 'findings', zooms: [12, 15], query: {} },
    { layer: 'districts', zooms: [8, 10], query: {} },
  ];

  it.each(cases)('$layer: the same features, properties and shapes from both encoders on both engines', async ({ layer, zooms, query }) => {
    let features = 0;
    for (const z of zooms) {
      const seen = new Set<string>();
      for (const [lon, lat] of centres) {
        const n = 2 ** z;
        const x = Math.floor(((lon + 180) / 360) * n);
        const y = Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * n);
        if (seen.has(`${x}/${y}`)) continue;
        seen.add(`${x}/${y}`);
        const reference = await render('server', true, layer, z, x, y, query);
        features += reference.size;
        expectSame(reference, await render('server', false, layer, z, x, y, query), `${layer} ${z}/${x}/${y} server JS`);
        expectSame(reference, await render('embedded', false, layer, z, x, y, query), `${layer} ${z}/${x}/${y} embedded JS`);
      }
    }
    expect(features).toBeGreaterThan(layer === 'districts' ? 1 : 5);
  });
});
