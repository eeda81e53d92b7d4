// The 500 KB cap on a generated district: 黄浦区 at its densest (about 20,600 parcels of ~1,000 m²
// in 20 km²), imported and applied like any package, then every tile over it from z8 to z13
// rendered as the city administrator on each engine. Uncut, the tiles at z12 and z13 would be
// larger than the cap; served, none is.
import fs from 'node:fs';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { detectCapabilities } from '../../server/db/capabilities.ts';
import { asActor, asSystem, rawQuery, type ActorContext } from '../../server/db/context.ts';
import type { Database } from '../../server/db/engine.ts';
import type { SessionUser } from '../../server/modules/auth/repository.ts';
import { ImportQueue } from '../../server/modules/ingest/jobs.ts';
import { receivePackage } from '../../server/modules/ingest/upload.ts';
import { runChecks } from '../../server/modules/quality/engine.ts';
import { MAX_TILE_BYTES, tileRequest } from '../../server/modules/tiles/layers.ts';
import { encodeRows } from '../../server/modules/tiles/encode-js.ts';
import { renderTile } from '../../server/modules/tiles/repository.ts';
import { tileStatement } from '../../server/modules/tiles/sql.ts';
import { applySubmission } from '../../server/modules/versions/apply.ts';
import { acceptSubmission } from '../../server/modules/submissions/decide.ts';
import { generatePackage } from '../../server/seed/generator/package.ts';
import { actorFor, nationalSurveyId, seedAccounts } from '../support/data.ts';
import { ENGINES, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { tempDir } from '../support/packages.ts';

const HUANGPU = '310101';
let zipPath: string;

/** Imports a package as the CLI does, then the empty rule set, acceptance and application: parcel versions as of 2019-12-31. */
async function loadPackage(db: Database, zip: string, districtCode: string): Promise<number> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
  const queue = new ImportQueue(db, config.ingest, { info: () => undefined, warn: () => undefined, error: () => undefined });
  const accepted = await receivePackage(
    db,
    config.ingest,
    queue,
    fs.createReadStream(zip),
    { surveyId: await nationalSurveyId(db), districtCode, fileName: 'package.zip', encoding: null, epsg: null, uploadedBy: null, surveyorId: null },
    (work) => asSystem(db, work),
  );
  const outcome = await accepted.outcome;
  if (outcome.error) throw new Error(`import failed: ${outcome.error.en}`);
  await runChecks(db, accepted.submissionId, { startedBy: null, only: [] });
  const admin = await db.kysely.selectFrom('users').select(['id', 'username', 'display_name']).where('username', '=', 'admin').executeTakeFirstOrThrow();
  const user: SessionUser = { id: admin.id, username: admin.username, displayName: admin.display_name, role: 'city_admin', districtCode: null, districtName: null, organisationName: null };
  await acceptSubmission(db, accepted.submissionId, user, null);
  const applied = await applySubmission(db, accepted.submissionId, { id: admin.id, role: 'city_admin' });
  return applied.layers.find((layer) => layer.layer === 'land_use')!.created;
}

/** The tiles at zoom z over a lon/lat box. */
function tilesOver(box: number[], z: number): { x: number; y: number }[] {
  const n = 2 ** z;
  const col = (lon: number) => Math.floor(((lon + 180) / 360) * n);
  const row = (lat: number) => Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * n);
  const tiles: { x: number; y: number }[] = [];
  for (let x = col(box[0]!); x <= col(box[2]!); x++) for (let y = row(box[3]!); y <= row(box[1]!); y++) tiles.push({ x, y });
  return tiles;
}

beforeAll(async () => {
  ({ zipPath } = await generatePackage({ districtCode: HUANGPU, parcels: 40_000, seed: 3, outDir: tempDir(), layers: ['DLTB', 'XZQ'] }));
}, 120_000);

describe.each(ENGINES)('the tile size cap on the %s engine', (engine) => {
  let test: TestDatabase;
  let admin: ActorContext;
  let box: number[];
  let parcels: number;
  let mvt: boolean;

  beforeAll(async () => {
    test = await openTestDatabase(engine);
    await seedAccounts(test.db);
    admin = await actorFor(test.db, 'admin');
    mvt = (await detectCapabilities(test.db)).mvt;
    parcels = await loadPackage(test.db, zipPath, HUANGPU);
    const [extent] = await asSystem(test.db, (tx) => rawQuery(tx, `SELECT ST_XMin(e) AS a, ST_YMin(e) AS b, ST_XMax(e) AS c, ST_YMax(e) AS d FROM (SELECT ST_Extent(geom) AS e FROM land_use_parcels) s`));
    box = [Number(extent!.a), Number(extent!.b), Number(extent!.c), Number(extent!.d)];
  }, 600_000);
  afterAll(() => test?.drop());

  it('keeps every tile from z8 to z13 at or under 500 KB, cutting the smallest parcels where needed', async () => {
    expect(parcels).toBeGreaterThan(20_000);
    let oversized = 0;
    let tiles = 0;
    for (let z = 8; z <= 13; z++) {
      for (const { x, y } of tilesOver(box, z)) {
        const request = tileRequest({ layer: 'land_use', z, x, y }, { asOf: '2020' });
        const served = await asActor(test.db, admin, (tx) => renderTile(tx, request, mvt));
        expect(served.bytes.length, `${z}/${x}/${y}`).toBeLessThanOrEqual(MAX_TILE_BYTES);
        if (served.features > 0) tiles++;
        // The same tile with every parcel over a pixel: what the cap saves the browser from.
        const statement = tileStatement(request, mvt ? 'mvt' : 'rows', null);
        const rows = await asActor(test.db, admin, (tx) => rawQuery(tx, statement.text, statement.params));
        const uncut = mvt ? (rows[0]!.tile as Uint8Array).length : encodeRows('land_use', rows).bytes.length;
        if (uncut > MAX_TILE_BYTES) {
          oversized++;
          expect(served.features, `${z}/${x}/${y}`).toBeGreaterThan(5_000);
        }
      }
    }
    expect(tiles).toBeGreaterThan(5);
    expect(oversized).toBeGreaterThan(0);
  });

  it('renders a tile again without its smallest parcels until it fits the cap', async () => {
    // The densest z14 tile, under a cap of 60 KB instead of 500 KB.
    let densest = { x: 0, y: 0, features: 0 };
    for (const { x, y } of tilesOver(box, 14)) {
      const served = await asActor(test.db, admin, (tx) => renderTile(tx, tileRequest({ layer: 'land_use', z: 14, x, y }, { asOf: '2020' }), mvt));
      if (served.features > densest.features) densest = { x, y, features: served.features };
    }
    const request = tileRequest({ layer: 'land_use', z: 14, ...densest }, { asOf: '2020' });
    const capped = await asActor(test.db, admin, (tx) => renderTile(tx, request, mvt, 60_000));
    expect(capped.attempts).toBeGreaterThan(1);
    expect(capped.bytes.length).toBeLessThanOrEqual(60_000);
    expect(capped.features).toBeGreaterThan(densest.features / 10);
    expect(capped.features).toBeLessThan(densest.features);
    // What is left are the largest parcels of the tile.
    const kept = new VectorTile(new PbfReader(new Uint8Array(capped.bytes)) as never).layers.land_use!;
    const ids = Array.from({ length: kept.length }, (_, i) => Number(kept.feature(i).id));
    const [row] = await asSystem(test.db, (tx) =>
      rawQuery(
        tx,
        `SELECT min(area_m2) FILTER (WHERE version_id = ANY($1::bigint[]))::float8 AS kept, max(area_m2) FILTER (WHERE NOT version_id = ANY($1::bigint[]))::float8 AS dropped
           FROM land_use_parcels WHERE ST_Intersects(geom, ST_Transform(ST_TileEnvelope(14, $2, $3), 4490))`,
        [ids, densest.x, densest.y],
      ),
    );
    expect(Number(row!.dropped)).toBeGreaterThan(0);
    expect(Number(row!.kept)).toBeGreaterThanOrEqual(Number(row!.dropped));
  });
});
