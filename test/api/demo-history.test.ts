// The demo's history, as `npm start` loads it, on smaller districts: the 2019 baselines of two
// districts applied and frozen, then four years of generated change packages uploaded, checked,
// accepted, applied and frozen; the tables and the history that come back from it. On both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoHistory } from '../../server/seed/demo-history.ts';
import { seedDemoPackages, type DemoPackage } from '../../server/seed/demo-packages.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { expectError } from './helpers.ts';
import { tempDir } from '../support/packages.ts';

// Smaller than the demo's 崇明 and 浦东 (4,000 parcels each), for time: 1,500 parcels each in two
// smaller districts keeps the parcels near real sizes. (Parcels of square kilometres would have
// edges so long that a cut's end, on the parent's geodesic edge, lies centimetres off the straight
// edge the parent is stored with, and the coverage check would rightly report it.)
const SMALL: DemoPackage[] = [
  // Uploaded in the city's name by the auditor: whoever uploads may not accept (谁审核、谁负责),
  // and the demo history accepts as the admin.
  { districtCode: '310113', operator: 'auditor', parcels: 1500, seed: 2019 },
  { districtCode: '310114', operator: 'auditor', parcels: 1500, seed: 2019 },
];

describe.each(ENGINES)('the demo history on the %s engine', (engine) => {
  let test: TestApp;
  let client: TestClient;
  const messages: string[] = [];

  beforeAll(async () => {
    test = await openTestApp(engine, { ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
    await seedDemoPackages(test.app, SMALL);
    await seedDemoHistory(test.app, { info: (message) => messages.push(message) }, SMALL);
    client = new TestClient(test.app);
    expect((await client.login('auditor', DEMO_PASSWORD)).statusCode).toBe(200);
  }, 600_000);
  afterAll(() => test?.drop());

  it('freezes 2019 to 2023, each snapshot verifying', async () => {
    expect(messages.filter((message) => !/applied and frozen/.test(message))).toEqual([]);
    const snapshots = (await client.get('/api/snapshots')).json<{ year: number; parcelCounts: { land_use: number } }[]>();
    expect(snapshots.map((snapshot) => snapshot.year)).toEqual([2019, 2020, 2021, 2022, 2023]);
    for (const { year } of snapshots) expect((await client.get(`/api/snapshots/${year}/verify`)).json<{ matches: boolean }>().matches).toBe(true);
    // Splits add parcels and merges remove them: the count moves every year.
    expect(new Set(snapshots.map((snapshot) => snapshot.parcelCounts.land_use)).size).toBeGreaterThan(1);
  });

  it('shows the surveys of 2019-2022 closed and 已冻结, 2023 approved and published, and keeps 2024 open', async () => {
    const surveys = (await client.get('/api/surveys')).json<{ kind: string; year: number; state: string; frozen: boolean }[]>();
    for (const year of [2019, 2020, 2021, 2022]) {
      expect(surveys.find((s) => s.year === year && s.kind !== 'cadastral_change'), `${year}`).toMatchObject({ state: 'closed', frozen: true });
    }
    expect(surveys.find((s) => s.year === 2023 && s.kind !== 'cadastral_change')).toMatchObject({ state: 'published', frozen: true });
    expect(surveys.find((s) => s.year === 2024)).toMatchObject({ state: 'collecting', frozen: false });
    const admin = new TestClient(test.app);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    expectError(await admin.post('/api/snapshots', { year: 2024 }), 409, 'SNAPSHOT_SURVEY_OPEN');
  });

  it('every year differs from the one before, and a changed parcel’s history reaches the baseline', async () => {
    for (const year of [2020, 2021, 2022, 2023]) {
      const diff = (await client.get(`/api/changes?from=${year - 1}&to=${year}&districtCode=310113`)).json<{ counts: { added: number; retired: number; changed: number }; added: { bsm: string }[] }>();
      expect(diff.counts.changed, `${year}`).toBeGreaterThan(0);
      expect(diff.counts.added, `${year}`).toBeGreaterThan(0);
      expect(diff.counts.retired, `${year}`).toBeGreaterThan(0);
    }
    const latest = (await client.get('/api/changes?from=2022&to=2023&districtCode=310113')).json<{ added: { bsm: string }[] }>();
    const history = (await client.get(`/api/parcels/${latest.added[0]!.bsm}`)).json<{ graph: { nodes: { validFrom: string }[]; edges: { kind: string }[] } }>();
    expect(history.graph.edges.length).toBeGreaterThan(0);
    expect(history.graph.nodes.map((node) => node.validFrom)).toContain('2019-12-31');
  });

  it('the city’s flow table 2019 → 2023 adds up to both years’ statistics', async () => {
    const before = (await client.get('/api/statistics?asOf=2019')).json<{ city: { total: { ha: string }; classes: { code: string; ha: string }[] } }>();
    const after = (await client.get('/api/statistics?asOf=2023')).json<{ city: { total: { ha: string }; classes: { code: string; ha: string }[] } }>();
    const flow = (await client.get('/api/change-flows?from=2019&to=2023&level=1')).json<{
      columns: { code: string }[];
      rows: { code: string; ha: string[]; total: { ha: string } }[];
      columnTotals: { ha: string[] };
      grandTotal: { from: { ha: string }; to: { ha: string } };
    }>();
    const cents = (text: string) => Math.round(Number(text) * 100);
    expect(flow.grandTotal.from.ha).toBe(before.city.total.ha);
    expect(flow.grandTotal.to.ha).toBe(after.city.total.ha);
    for (const row of flow.rows) {
      expect(row.ha.reduce((total, value) => total + cents(value), 0)).toBe(cents(row.total.ha));
      if (row.code !== '面积差') expect(row.total.ha).toBe(before.city.classes.find((group) => group.code === row.code)?.ha ?? '0.00');
    }
    flow.columns.forEach((column, c) => {
      expect(flow.rows.reduce((total, row) => total + cents(row.ha[c]!), 0)).toBe(cents(flow.columnTotals.ha[c]!));
      if (column.code !== '面积差') expect(flow.columnTotals.ha[c]).toBe(after.city.classes.find((group) => group.code === column.code)?.ha ?? '0.00');
    });
    // Land moved between classes: something off the diagonal.
    expect(flow.rows.some((row) => row.ha.some((value, c) => flow.columns[c]!.code !== row.code && value !== '0.00'))).toBe(true);
  });
});
