// What the city's review pages read besides the lifecycle routes: a submission's parcels as sent
// (GET /api/submissions/:id/parcels, its staging, paged and boxed, row-level security deciding
// who sees them), the review queue's order by waiting time, and what still keeps a year from
// being frozen (GET /api/snapshots/:year/blockers), on both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { asActor, asSystem } from '../../server/db/context.ts';
import { stagedParcels } from '../../server/modules/ingest/staged-parcels.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { cleanChongmingPackage, disableWholeDistrictRules } from '../support/clean-package.ts';
import { actorFor, CHONGMING, DEMO_PASSWORD, insertSubmission, nationalSurveyId, PUDONG } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { tempDir } from '../support/packages.ts';
import { expectError } from './helpers.ts';

interface Page {
  numberReturned: number;
  nextAfter: number | null;
  extent: [number, number, number, number] | null;
  features: { id: number; geometry: { type: string; coordinates: number[][][][] }; properties: Record<string, unknown> }[];
}

describe.each(ENGINES)('the review pages’ routes on the %s engine', (engine) => {
  let test: TestApp;
  let admin: TestClient;
  let chongming: TestClient;
  let pudong: TestClient;
  let pudongOffice: TestClient;
  let nationalId: string;
  let submissionId: string;

  beforeAll(async () => {
    test = await openTestApp(engine, { ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
    admin = new TestClient(test.app);
    chongming = new TestClient(test.app);
    pudong = new TestClient(test.app);
    pudongOffice = new TestClient(test.app);
    for (const [client, name] of [[admin, 'admin'], [chongming, 'chongming'], [pudong, 'pudong'], [pudongOffice, 'pudong-office']] as const) {
      expect((await client.login(name, DEMO_PASSWORD)).statusCode).toBe(200);
    }
    nationalId = await nationalSurveyId(test.db);
    await disableWholeDistrictRules(admin, nationalId);
    const uploaded = await chongming.upload(`/api/submissions?surveyId=${nationalId}`, '崇明-基础.zip', await cleanChongmingPackage(6));
    expect(uploaded.statusCode, uploaded.body).toBe(202);
    submissionId = uploaded.json<{ id: string }>().id;
    await test.app.imports.idle();
    expect((await chongming.get(`/api/submissions/${submissionId}`)).json<{ state: string }>().state).toBe('checked');
  }, 180_000);
  afterAll(() => test?.drop());

  const parcels = (client: TestClient, query = '') => client.get(`/api/submissions/${submissionId}/parcels${query ? `?${query}` : ''}`);

  it('gives the district and the city the parcels as sent, paged by record number, within a box', async () => {
    for (const client of [chongming, admin]) {
      const response = await parcels(client);
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json<Page>();
      expect(page.numberReturned).toBe(6);
      expect(page.nextAfter).toBeNull();
      expect(page.features.map((f) => f.id)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(page.features[0]!.properties).toMatchObject({ bsm: '310151211000000001', dlbm: '0101', dlmc: '水田', recordNo: 1, districtCode: CHONGMING });
      expect(page.features[0]!.geometry.type).toBe('MultiPolygon');
      // 崇明岛, in CGCS2000 longitude/latitude.
      const [lon, lat] = page.features[0]!.geometry.coordinates[0]![0]![0]!;
      expect(lon).toBeGreaterThan(121.3);
      expect(lon).toBeLessThan(121.9);
      expect(lat).toBeGreaterThan(31.5);
      expect(lat).toBeLessThan(31.8);
      const [x0, y0, x1, y1] = page.extent!;
      expect(x0).toBeLessThan(x1);
      expect(y0).toBeLessThan(y1);
      // Six squares side by side: 600 m east-west, 100 m north-south.
      expect((x1 - x0) / (y1 - y0)).toBeGreaterThan(4);
    }
    const first = (await parcels(admin, 'limit=4')).json<Page>();
    expect(first.features.map((f) => f.id)).toEqual([1, 2, 3, 4]);
    expect(first.nextAfter).toBe(4);
    const second = (await parcels(admin, `limit=4&after=${first.nextAfter}`)).json<Page>();
    expect(second.features.map((f) => f.id)).toEqual([5, 6]);
    expect(second.nextAfter).toBeNull();
    expect(second.extent).toBeNull();

    // A box around the first square's middle holds that square only.
    const ring = first.features[0]!.geometry.coordinates[0]![0]!;
    const mid = [(ring[0]![0]! + ring[2]![0]!) / 2, (ring[0]![1]! + ring[2]![1]!) / 2];
    const boxed = (await parcels(admin, `bbox=${mid[0]! - 1e-5},${mid[1]! - 1e-5},${mid[0]! + 1e-5},${mid[1]! + 1e-5}`)).json<Page>();
    expect(boxed.features.map((f) => f.id)).toEqual([1]);
    expect((await parcels(admin, 'layer=basic_farmland')).json<Page>().numberReturned).toBe(0);
    expectError(await parcels(admin, 'bbox=121.6,31.6,121.5,31.7'), 400, 'BBOX_INVALID');
  });

  it('shows another district neither the submission nor, in the database, its staging rows', async () => {
    expectError(await parcels(pudong), 404, 'NOT_FOUND');
    expectError(await parcels(pudongOffice), 404, 'NOT_FOUND');
    expectError(await parcels(new TestClient(test.app)), 401, 'AUTH_REQUIRED');
    // Not the route's check alone: the staging tables' own policy returns 浦东 none of 崇明's rows.
    const asPudong = await asActor(test.db, await actorFor(test.db, 'pudong'), (tx) => stagedParcels(tx, { submissionId, layer: 'land_use', bbox: null, limit: 100, after: 0 }));
    expect(asPudong.numberReturned).toBe(0);
    const asChongming = await asActor(test.db, await actorFor(test.db, 'chongming'), (tx) => stagedParcels(tx, { submissionId, layer: 'land_use', bbox: null, limit: 100, after: 0 }));
    expect(asChongming.numberReturned).toBe(6);
  });

  it('orders the queue by waiting time and names what keeps a year from being frozen', async () => {
    // Two 浦东 packages: the first sent earlier but moved (re-checked) later, so it has waited less.
    const earlier = await insertSubmission(test.db, PUDONG, nationalId, 'checked');
    const later = await insertSubmission(test.db, PUDONG, nationalId, 'checked');
    await asSystem(test.db, (tx) => tx.updateTable('submissions').set({ updated_at: sql`now() + interval '1 hour'` }).where('id', '=', earlier).execute());
    const ids = async (query: string) => (await admin.get(`/api/submissions?districtCode=${PUDONG}&state=checked${query}`)).json<{ id: string }[]>().map((s) => s.id);
    expect(await ids('')).toEqual([later, earlier]);
    expect(await ids('&order=waiting')).toEqual([later, earlier]);
    await asSystem(test.db, (tx) => tx.updateTable('submissions').set({ updated_at: sql`now() - interval '1 day'` }).where('id', '=', earlier).execute());
    expect(await ids('')).toEqual([later, earlier]);
    expect(await ids('&order=waiting')).toEqual([earlier, later]);

    const blockers = await admin.get('/api/snapshots/2019/blockers');
    expect(blockers.statusCode, blockers.body).toBe(200);
    expect(blockers.json()).toEqual([{ reason: 'open', subject: nationalId, name: '第三次全国国土调查（上海市）', state: 'collecting' }]);
    expectError(await chongming.get('/api/snapshots/2019/blockers'), 403, 'FORBIDDEN');
  });
});
