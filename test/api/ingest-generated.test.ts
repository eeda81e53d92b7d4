// A generated 三调 package of 崇明区 through the upload path: every parcel lands, Chinese text
// intact, and the ellipsoidal area PostGIS computes agrees with the TBMJ the generator wrote
// (computed independently in JS from the AREA.md series formula) to the cent.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePackage, type PackageManifest } from '../../server/seed/generator/package.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD, nationalSurveyId } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { tempDir } from '../support/packages.ts';

let zip: Buffer;
let manifest: PackageManifest;

beforeAll(async () => {
  const generated = await generatePackage({ districtCode: '310151', parcels: 2000, seed: 11, outDir: tempDir() });
  zip = fs.readFileSync(generated.zipPath);
  manifest = generated.manifest;
}, 120_000);

describe.each(ENGINES)('a generated package on the %s engine', (engine) => {
  let test: TestApp;
  let client: TestClient;

  beforeAll(async () => {
    test = await openTestApp(engine, { ARCHIVE_DIR: tempDir('lsp-archive-') });
    client = new TestClient(test.app);
    expect((await client.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
  });
  afterAll(() => test?.drop());

  it('imports every layer whole with areas that agree with TBMJ', async () => {
    const response = await client.upload(`/api/submissions?surveyId=${await nationalSurveyId(test.db)}`, '崇明区.zip', zip);
    expect(response.statusCode, response.body).toBe(202);
    const id = response.json<{ id: string }>().id;
    await test.app.imports.idle();
    const detail = (await client.get(`/api/submissions/${id}`)).json<{ state: string; report: { layers: { code: string; records: number; crs: { epsg: number } }[] } }>();
    // imported, then checked at once (the checks are the quality tests' business)
    expect(['imported', 'checked', 'rejected'], JSON.stringify(detail.report)).toContain(detail.state);
    const records = Object.fromEntries(detail.report.layers.map((layer) => [layer.code, layer.records]));
    expect(records).toEqual({ DLTB: manifest.parcels, YJJBNTTB: manifest.basicFarmland, XZQ: 1 });
    expect(detail.report.layers[0]!.crs.epsg).toBe(manifest.epsg);

    const [stats] = await test.db.scriptTransaction((exec) =>
      exec(
        `SELECT count(*) AS parcels,
                count(*) FILTER (WHERE tbmj <> area_m2) AS differing,
                max(abs(tbmj - area_m2)) AS worst,
                sum(area_m2) AS total,
                count(DISTINCT dlmc) AS classes,
                bool_and(qsdwmc LIKE '崇明区%') AS named
         FROM staged_land_use_parcels WHERE submission_id = $1`,
        [id],
      ),
    );
    expect(Number(stats!.parcels)).toBe(manifest.parcels);
    // Rounding both to the cent may differ by one cent where the two computations (the AREA.md
    // series in JS, PostGIS geography) straddle a half cent. These 2,000 parcels are large
    // (about 0.6 km²) and, along the densified district outline, have many short edges, so that
    // happens to a few per cent of them; never by more than the cent.
    expect(Number(stats!.worst)).toBeLessThanOrEqual(0.01);
    expect(Number(stats!.differing)).toBeLessThan(manifest.parcels / 20);
    expect(Math.abs(Number(stats!.total) - manifest.totalAreaM2)).toBeLessThan(1);
    expect(Number(stats!.classes)).toBeGreaterThan(5);
    expect(stats!.named).toBe(true);
  });
});
