// Change surveys end to end through the API, on hand-checked small cases: a baseline of six 100 m
// squares in 崇明区, then a change package with a reclassification, a split and a merge, an
// ownership change, the 2019 and 2020 snapshots frozen, and a late change refused. The areas
// expected are the baseline parcels' own ellipsoidal areas, added up by hand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectedRingArea, roundArea } from '../../server/geo/ellipsoidal-area.ts';
import { projectionForZone } from '../../server/seed/generator/district.ts';
import type { DbfField, ShapefileRecord } from '../../server/seed/generator/shapefile-writer.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD, nationalSurveyId } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { DLTB_FIELDS, dltbRecord, tempDir, writeLayer, zipFolder } from '../support/packages.ts';
import { expectError } from './helpers.ts';

/** South-west corner of the squares: inside 崇明岛, zone 40. */
const E0 = 40_642_000;
const N0 = 3_500_600;
const rect = (e: number, n: number, width: number, height: number) => [E0 + e, N0 + n, E0 + e, N0 + n + height, E0 + e + width, N0 + n + height, E0 + e + width, N0 + n, E0 + e, N0 + n];
const bsm = (letter: string) => `3101512110000${letter.charCodeAt(0)}`.padEnd(18, '0');

const CHANGE_FIELDS: DbfField[] = [...DLTB_FIELDS, { name: 'BGQBSM', type: 'C', length: 254 }, { name: 'BGRQ', type: 'C', length: 10 }, { name: 'BGLX', type: 'C', length: 20 }];
const ZD_FIELDS: DbfField[] = [
  { name: 'BSM', type: 'C', length: 18 }, { name: 'YSDM', type: 'C', length: 10 }, { name: 'ZDDM', type: 'C', length: 19 },
  { name: 'QSXZ', type: 'C', length: 2 }, { name: 'QLLX', type: 'C', length: 3 }, { name: 'QLRMC', type: 'C', length: 255 },
  { name: 'ZL', type: 'C', length: 255 }, { name: 'TDYT', type: 'C', length: 5 }, { name: 'ZDMJ', type: 'N', length: 15, decimals: 2 },
];
const CHANGE_ZD_FIELDS: DbfField[] = [...ZD_FIELDS, { name: 'BGQBSM', type: 'C', length: 254 }, { name: 'BGRQ', type: 'C', length: 10 }];

const ZONE40 = projectionForZone(40);
/** TBMJ as a district records it: the ring's ellipsoidal area, to the cent. */
const recordedArea = (ring: number[]) => roundArea(Math.abs(projectedRingArea(ring.slice(0, -2), ZONE40.inverse)));

const NAMES: Record<string, string> = { '0101': '水田', '0702': '农村宅基地', '0301': '乔木林地', '1001': '铁路用地' };

function parcel(letter: string, dlbm: string, ring: number[], extra: Record<string, string> = {}): ShapefileRecord {
  const tbmj = recordedArea(ring);
  return dltbRecord(letter.charCodeAt(0), { BSM: bsm(letter), DLBM: dlbm, DLMC: NAMES[dlbm]!, TBMJ: tbmj, TBDLMJ: tbmj, SJNF: 2019, ...extra }, ring);
}

const BASELINE: ShapefileRecord[] = [
  parcel('A', '0101', rect(0, 0, 100, 100)),
  parcel('B', '0101', rect(100, 0, 100, 100)),
  parcel('C', '0702', rect(0, 100, 100, 100)),
  parcel('D', '0101', rect(100, 100, 100, 100)),
  parcel('E', '0301', rect(200, 0, 100, 100)),
  parcel('F', '0301', rect(200, 100, 100, 100)),
];

function zd(owner: string, extra: Record<string, string> = {}): ShapefileRecord {
  return {
    geometry: [[rect(0, 100, 100, 100)]],
    attributes: { BSM: '310151211000Z00001', YSDM: '6001000000', ZDDM: '310151001001JC00001', QSXZ: '30', QLLX: '3', QLRMC: owner, ZL: '崇明区城桥镇', TDYT: '0702', ZDMJ: recordedArea(rect(0, 100, 100, 100)), ...extra },
  };
}

async function packageOf(layers: { name: string; records: ShapefileRecord[]; fields: DbfField[] }[]): Promise<Buffer> {
  const dir = tempDir();
  for (const layer of layers) await writeLayer(dir, layer.name, layer.records, { fields: layer.fields });
  return zipFolder(dir);
}

interface Figure {
  m2: string;
  ha: string;
  mu: string;
  parcels: number;
}
interface ClassFigure extends Figure {
  code: string;
  classes?: ClassFigure[];
}
interface Statistics {
  districts: ({ districtCode: string; total: Figure; classes: ClassFigure[] })[];
  city: { total: Figure; classes: ClassFigure[] };
}
interface Flow {
  columns: { code: string }[];
  rows: { code: string; ha: string[]; mu: string[]; m2: string[]; total: { ha: string; mu: string; m2: string } }[];
  columnTotals: { ha: string[]; mu: string[]; m2: string[] };
  grandTotal: { from: { ha: string }; to: { ha: string } };
}

const cents = (text: string) => Math.round(Number(text) * 100);
/** Exact m² in cents of the given parcels. */
const centsOfParcels = (area: Record<string, number>, ...letters: string[]) => letters.reduce((total, letter) => total + Math.round(area[bsm(letter)]! * 100), 0);
/** A sum of cents (of m²) in 公顷, rounded half up to two decimals. */
const printedHa = (sumCents: number) => (Math.floor(sumCents / 10_000 + 0.5) / 100).toFixed(2);

/** Every class's printed figures add up: 二级 → 一级 → total. */
function expectAddsUp(block: { total: Figure; classes: ClassFigure[] }) {
  for (const unit of ['ha', 'mu'] as const) {
    const groups = block.classes.map((group) => {
      expect(cents(group[unit])).toBe((group.classes ?? []).reduce((total, item) => total + cents(item[unit]), 0));
      return cents(group[unit]);
    });
    expect(cents(block.total[unit])).toBe(groups.reduce((a, b) => a + b, 0));
  }
}

describe.each(ENGINES)('change surveys and snapshots on the %s engine', (engine) => {
  let test: TestApp;
  let admin: TestClient;
  let operator: TestClient;
  let nationalId: string;
  const area: Record<string, number> = {};

  beforeAll(async () => {
    test = await openTestApp(engine, { ARCHIVE_DIR: tempDir('lsp-archive-') });
    admin = new TestClient(test.app);
    operator = new TestClient(test.app);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    expect((await operator.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    nationalId = await nationalSurveyId(test.db);
    // The test baseline covers six squares, not the whole district: the whole-district rules are off.
    for (const rule of ['TOPO_GAP', 'AREA_DISTRICT_TOTAL']) {
      const response = await admin.request('PUT', `/api/surveys/${nationalId}/quality-rules/${rule}`, { body: { enabled: false } });
      expect(response.statusCode, response.body).toBe(200);
    }
  }, 120_000);
  afterAll(() => test?.drop());

  async function survey(kind: string, year: number, scope: 'city' | 'district' = 'city'): Promise<string> {
    const response = await admin.post('/api/surveys', { kind, scope, districtCode: scope === 'district' ? '310151' : null, year, timePoint: `${year}-12-31`, title: `${year} ${kind}` });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ id: string }>().id;
  }

  /** Uploads as the district operator and waits for import and checks. */
  async function upload(surveyId: string, zip: Buffer, name: string) {
    const response = await operator.upload(`/api/submissions?surveyId=${surveyId}`, name, zip);
    expect(response.statusCode, response.body).toBe(202);
    const id = response.json<{ id: string }>().id;
    await test.app.imports.idle();
    const run = (await operator.get(`/api/submissions/${id}/quality`)).json<{ id: string; state: string; blocking: number }>();
    expect(run.state, JSON.stringify(run)).toBe('finished');
    const findings = (await operator.get(`/api/quality-runs/${run.id}/findings?limit=100`)).json<{ findings: { ruleId: string; severity: string; bsm: string | null; otherBsm: string | null; message: { en: string } }[] }>().findings;
    return { id, run, findings };
  }

  /** The city accepts; the district applies its own accepted package. */
  async function acceptAndApply(id: string) {
    const accepted = await admin.post(`/api/submissions/${id}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(200);
    const applied = await operator.post(`/api/submissions/${id}/apply`);
    expect(applied.statusCode, applied.body).toBe(200);
    return applied.json<{ kind: string; layers: { layer: string; created: number; closed: number; lineage: number }[] }>();
  }

  const blockingOf = (findings: { severity: string; ruleId: string; bsm: string | null; message: { en: string } }[]) =>
    findings.filter((f) => f.severity === 'error').map((f) => `${f.ruleId} ${f.bsm} ${f.message.en}`);

  it('applies a baseline package as the district’s first versions, from the survey’s time point', async () => {
    const zip = await packageOf([{ name: 'DLTB', records: BASELINE, fields: DLTB_FIELDS }, { name: 'ZD', records: [zd('张三')], fields: ZD_FIELDS }]);
    const { id, findings } = await upload(nationalId, zip, '崇明-基础.zip');
    expect(blockingOf(findings)).toEqual([]);
    // Not yet accepted: cannot be applied.
    expectError(await admin.post(`/api/submissions/${id}/apply`), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    // A district operator cannot accept its own package.
    expectError(await operator.post(`/api/submissions/${id}/accept`), 403, 'FORBIDDEN');
    const applied = await acceptAndApply(id);
    expect(applied.kind).toBe('baseline');
    expect(applied.layers).toEqual([
      { layer: 'land_use', created: 6, closed: 0, lineage: 0 },
      { layer: 'ownership', created: 1, closed: 0, lineage: 0 },
    ]);
    const page = (await admin.get('/api/features?bbox=121,31,122,32&asOf=2019-12-31&districtCode=310151')).json<{ features: { properties: { bsm: string; areaM2: string; validFrom: string } }[] }>();
    expect(page.features).toHaveLength(6);
    for (const feature of page.features) {
      expect(feature.properties.validFrom).toBe('2019-12-31');
      area[feature.properties.bsm] = Number(feature.properties.areaM2);
    }
    // The day before the time point there was nothing yet.
    expect((await admin.get('/api/features?bbox=121,31,122,32&asOf=2019-12-30')).json<{ numberReturned: number }>().numberReturned).toBe(0);
    // A second baseline for the district is refused at check time: it could never be applied.
    const again = await upload(nationalId, await packageOf([{ name: 'DLTB', records: BASELINE.slice(0, 2), fields: DLTB_FIELDS }]), '崇明-基础-2.zip');
    expect(blockingOf(again.findings)).toEqual([expect.stringMatching(/^PKG_BASELINE_EXISTS null District 310151 already has a baseline/)]);
    expectError(await admin.post(`/api/submissions/${again.id}/accept`), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    // With that rule switched off for the survey, applying still refuses it.
    const setRule = (enabled: boolean) => admin.request('PUT', `/api/surveys/${nationalId}/quality-rules/PKG_BASELINE_EXISTS`, { body: { enabled } });
    expect((await setRule(false)).statusCode).toBe(200);
    expect((await operator.post(`/api/submissions/${again.id}/quality-runs`)).statusCode).toBe(202);
    await test.app.imports.idle();
    expect((await admin.post(`/api/submissions/${again.id}/accept`)).statusCode).toBe(200);
    expect((await setRule(true)).statusCode).toBe(200);
    expectError(await admin.post(`/api/submissions/${again.id}/apply`), 409, 'BASELINE_EXISTS');
    // Until it is turned down, the accepted package keeps the year from freezing.
    expectError(await admin.post('/api/snapshots', { year: 2019 }), 409, 'SNAPSHOT_NOT_FREEZABLE');
    expect((await admin.post(`/api/submissions/${again.id}/reject`, { reason: '重复的基础调查成果' })).json()).toMatchObject({ state: 'rejected' });
  });

  it('freezes 2019: its checksum verifies, and the database refuses any change dated in it', async () => {
    // The national survey's collection ends first (a year freezes only with its surveys closed).
    expectError(await admin.post('/api/snapshots', { year: 2019 }), 409, 'SNAPSHOT_SURVEY_OPEN');
    expect((await admin.post(`/api/surveys/${nationalId}/close`)).statusCode).toBe(200);
    const frozen = await admin.post('/api/snapshots', { year: 2019 });
    expect(frozen.statusCode, frozen.body).toBe(201);
    expect(frozen.json()).toMatchObject({ year: 2019, snapshotDate: '2019-12-31', parcelCounts: { land_use: 6, basic_farmland: 0, ownership: 1 } });
    const verified = (await admin.get('/api/snapshots/2019/verify')).json<{ matches: boolean }>();
    expect(verified.matches).toBe(true);
    expectError(await admin.post('/api/snapshots', { year: 2019 }), 409, 'SNAPSHOT_NOT_FREEZABLE');
    // Even the owner cannot close a version on or before the frozen day, nor add one dated in it.
    await expect(test.db.scriptTransaction((exec) => exec(`UPDATE land_use_parcels SET valid_to = '2019-12-31' WHERE bsm = $1`, [bsm('A')]))).rejects.toMatchObject({ code: expect.stringMatching(/LS00[24]/) });
    await expect(
      test.db.scriptTransaction((exec) =>
        exec(`INSERT INTO land_use_parcels (district_code, bsm, valid_from, submission_id, dlbm, geom, area_m2)
              SELECT district_code, 'X', '2019-06-30', submission_id, dlbm, geom, area_m2 FROM land_use_parcels WHERE bsm = $1`, [bsm('A')]),
      ),
    ).rejects.toMatchObject({ code: 'LS004' });
    await expect(test.db.scriptTransaction((exec) => exec(`DELETE FROM snapshots`))).rejects.toMatchObject({ code: 'LS001' });
  });

  it('checks a change package against the current parcels before it can apply', async () => {
    const surveyId = await survey('land_use_change', 2020);
    const bad = await packageOf([
      {
        name: 'DLTB',
        fields: CHANGE_FIELDS,
        records: [
          // date outside the survey year; predecessor that does not exist
          parcel('A', '0702', rect(0, 0, 100, 100), { BGQBSM: bsm('A'), BGRQ: '2021-03-01' }),
          parcel('P', '0101', rect(100, 0, 100, 100), { BGQBSM: bsm('Q'), BGRQ: '2020-05-01' }),
          // reaches over unchanged parcel D
          parcel('R', '0301', rect(200, 0, 100, 150), { BGQBSM: bsm('E'), BGRQ: '2020-05-01' }),
        ],
      },
    ]);
    const { findings, run } = await upload(surveyId, bad, '崇明-变更-错误.zip');
    const rules = new Set(blockingOf(findings).map((line) => line.split(' ')[0]));
    expect([...rules].sort()).toEqual(['CHG_AREA_CONSERVED', 'CHG_COVERAGE', 'CHG_DATE', 'CHG_PREDECESSOR']);
    expect(run.blocking).toBeGreaterThan(0);
    expect(findings.filter((f) => f.ruleId === 'CHG_COVERAGE').map((f) => [f.bsm, f.otherBsm])).toContainEqual([bsm('R'), bsm('F')]);
  });

  it('reports a baseline uploaded under a change survey once, as not a change package', async () => {
    const surveyId = (await admin.get('/api/surveys')).json<{ id: string; kind: string; year: number }[]>().find((s) => s.kind === 'land_use_change' && s.year === 2020)!.id;
    // The baseline as it is, without change fields: the package rule says so, and no change rule runs.
    const baseline = await upload(surveyId, await packageOf([{ name: 'DLTB', records: BASELINE, fields: DLTB_FIELDS }]), '崇明-基础-误传.zip');
    expect(baseline.findings.map((f) => f.ruleId)).toEqual(['PKG_KIND_MATCHES_SURVEY']);
    // The district's parcels again with change fields but no predecessor named: all of them lie on current parcels.
    const dated = BASELINE.map((record) => ({ ...record, attributes: { ...record.attributes, BGQBSM: '', BGRQ: '2020-06-30', BGLX: '' } }));
    const { findings } = await upload(surveyId, await packageOf([{ name: 'DLTB', records: dated, fields: CHANGE_FIELDS }]), '崇明-基础-误传-2.zip');
    const coverage = findings.filter((f) => f.ruleId === 'CHG_COVERAGE');
    expect(coverage).toHaveLength(1);
    expect(coverage[0]).toMatchObject({ severity: 'error', bsm: null });
    expect(coverage[0]!.message.en).toContain(`names no predecessor (BGQBSM), yet ${BASELINE.length} of its ${BASELINE.length} new parcels lie on current parcels`);
  });

  it('applies a reclassification, a split and a merge as new versions with their lineage', async () => {
    const surveyId = (await admin.get('/api/surveys')).json<{ id: string; kind: string; year: number }[]>().find((s) => s.kind === 'land_use_change' && s.year === 2020)!.id;
    const zip = await packageOf([
      {
        name: 'DLTB',
        fields: CHANGE_FIELDS,
        records: [
          parcel('A', '0702', rect(0, 0, 100, 100), { BGQBSM: bsm('A'), BGRQ: '2020-06-30', BGLX: '地类变更' }),
          parcel('G', '0101', rect(100, 0, 50, 100), { BGQBSM: bsm('B'), BGRQ: '20200901', BGLX: '分割' }),
          parcel('H', '1001', rect(150, 0, 50, 100), { BGQBSM: bsm('B'), BGRQ: '20200901', BGLX: '分割' }),
          parcel('M', '0301', rect(200, 0, 100, 200), { BGQBSM: `${bsm('E')},${bsm('F')}`, BGRQ: '2020-11-15', BGLX: '合并' }),
        ],
      },
    ]);
    const { id, findings } = await upload(surveyId, zip, '崇明-2020变更.zip');
    expect(blockingOf(findings)).toEqual([]);
    const applied = await acceptAndApply(id);
    // A, G, H, M new; A, B, E, F closed; lineage A←A, G←B, H←B, M←E, M←F
    expect(applied.layers).toEqual([{ layer: 'land_use', created: 4, closed: 4, lineage: 5 }]);

    const history = (await operator.get(`/api/parcels/${bsm('G')}`)).json<{ versions: { validFrom: string; validTo: string | null }[]; graph: { nodes: { bsm: string; validTo: string | null }[]; edges: { kind: string; changeDate: string }[] } }>();
    expect(history.versions).toMatchObject([{ validFrom: '2020-09-01', validTo: null }]);
    expect(history.graph.nodes.map((node) => node.bsm).sort()).toEqual([bsm('B'), bsm('G')]);
    expect(history.graph.edges).toMatchObject([{ kind: 'split', changeDate: '2020-09-01' }]);
    const a = (await operator.get(`/api/parcels/${bsm('A')}`)).json<{ versions: { validFrom: string; validTo: string | null; attributes: { dlbm: string } }[]; graph: { edges: { kind: string }[] } }>();
    expect(a.versions.map((v) => [v.validFrom, v.validTo, v.attributes.dlbm])).toEqual([['2019-12-31', '2020-06-30', '0101'], ['2020-06-30', null, '0702']]);
    expect(a.graph.edges.map((edge) => edge.kind)).toEqual(['reclassification']);
    const m = (await operator.get(`/api/parcels/${bsm('M')}`)).json<{ graph: { edges: { kind: string }[] } }>();
    expect(m.graph.edges.map((edge) => edge.kind)).toEqual(['merge', 'merge']);

    // As of a date inside the year: only the changes dated by then.
    const mid = (await admin.get('/api/features?bbox=121,31,122,32&asOf=2020-07-01')).json<{ features: { properties: { bsm: string; dlbm: string } }[] }>();
    expect(mid.features.map((f) => `${f.properties.bsm.slice(-5)}:${f.properties.dlbm}`).sort()).toEqual(
      ['A', 'B', 'C', 'D', 'E', 'F'].map((letter) => `${bsm(letter).slice(-5)}:${letter === 'A' || letter === 'C' ? '0702' : letter === 'E' || letter === 'F' ? '0301' : '0101'}`).sort(),
    );
    const end = (await admin.get('/api/features?bbox=121,31,122,32&asOf=2020')).json<{ features: { properties: { bsm: string } }[] }>();
    expect(end.features.map((f) => f.properties.bsm).sort()).toEqual(['A', 'C', 'D', 'G', 'H', 'M'].map(bsm).sort());
    // Paging returns every feature once.
    const first = (await admin.get('/api/features?bbox=121,31,122,32&asOf=2020&limit=4')).json<{ features: unknown[]; nextAfter: number }>();
    const second = (await admin.get(`/api/features?bbox=121,31,122,32&asOf=2020&limit=4&after=${first.nextAfter}`)).json<{ features: unknown[]; nextAfter: number | null }>();
    expect([first.features.length, second.features.length, second.nextAfter]).toEqual([4, 2, null]);
  });

  it('the difference between the two snapshots lists what was added, retired and changed', async () => {
    const diff = (await admin.get('/api/changes?from=2019&to=2020')).json<{
      counts: Record<string, number>;
      added: { bsm: string }[];
      retired: { bsm: string }[];
      changed: { bsm: string; changes: Record<string, { from: unknown; to: unknown }> }[];
    }>();
    expect(diff.counts).toEqual({ added: 3, retired: 3, changed: 1 });
    expect(diff.added.map((e) => e.bsm).sort()).toEqual(['G', 'H', 'M'].map(bsm).sort());
    expect(diff.retired.map((e) => e.bsm).sort()).toEqual(['B', 'E', 'F'].map(bsm).sort());
    expect(diff.changed[0]!.bsm).toBe(bsm('A'));
    expect(diff.changed[0]!.changes.dlbm).toEqual({ from: '0101', to: '0702' });
    expect(diff.changed[0]!.changes.geometry).toBeUndefined();
    // Reversed, the roles swap.
    const back = (await admin.get('/api/changes?from=2020&to=2019')).json<{ counts: Record<string, number>; changed: { changes: Record<string, { from: unknown; to: unknown }> }[] }>();
    expect(back.counts).toEqual({ added: 3, retired: 3, changed: 1 });
    expect(back.changed[0]!.changes.dlbm).toEqual({ from: '0702', to: '0101' });
  });

  it('statistics by class add up exactly, and the flow table balances on both snapshots', async () => {
    const page = (await admin.get('/api/features?bbox=121,31,122,32&asOf=2020')).json<{ features: { properties: { bsm: string; areaM2: string } }[] }>();
    for (const feature of page.features) area[feature.properties.bsm] = Number(feature.properties.areaM2);
    const stats2019 = (await admin.get('/api/statistics?asOf=2019')).json<Statistics>();
    const chongming = stats2019.districts.find((d) => d.districtCode === '310151')!;
    const figure = (block: { classes: ClassFigure[] }, code: string) => block.classes.flatMap((group) => [group, ...(group.classes ?? [])]).find((item) => item.code === code);
    expect(cents(figure(chongming, '0101')!.m2)).toBe(centsOfParcels(area, 'A', 'B', 'D'));
    expect(cents(figure(chongming, '01')!.m2)).toBe(centsOfParcels(area, 'A', 'B', 'D'));
    expect(cents(figure(chongming, '0301')!.m2)).toBe(centsOfParcels(area, 'E', 'F'));
    expect(cents(chongming.total.m2)).toBe(centsOfParcels(area, 'A', 'B', 'C', 'D', 'E', 'F'));
    expect(chongming.total.ha).toBe(printedHa(centsOfParcels(area, 'A', 'B', 'C', 'D', 'E', 'F')));
    expect(chongming.total.parcels).toBe(6);
    expectAddsUp(chongming);
    expectAddsUp(stats2019.city);
    const stats2020 = (await admin.get('/api/statistics?asOf=2020-12-31')).json<Statistics>();
    const after = stats2020.districts.find((d) => d.districtCode === '310151')!;
    expect(cents(figure(after, '0702')!.m2)).toBe(centsOfParcels(area, 'A', 'C'));
    expect(cents(figure(after, '1001')!.m2)).toBe(centsOfParcels(area, 'H'));
    expectAddsUp(after);

    const flow = (await admin.get('/api/change-flows?from=2019&to=2020&districtCode=310151')).json<Flow>();
    const column = (code: string) => flow.columns.findIndex((c) => c.code === code);
    const measured = (fromCode: string, toCode: string) => cents(flow.rows.find((r) => r.code === fromCode)!.m2[column(toCode)]!);
    expect(measured('0101', '0101')).toBe(centsOfParcels(area, 'D', 'G'));
    expect(measured('0101', '1001')).toBe(centsOfParcels(area, 'H'));
    expect(measured('0101', '0702')).toBe(centsOfParcels(area, 'A'));
    expect(measured('0301', '0301')).toBe(centsOfParcels(area, 'E', 'F'));
    expect(measured('0702', '0702')).toBe(centsOfParcels(area, 'C'));
    expect(measured('0702', '0101')).toBe(0);
    // The printed table: rows add up to the 2019 figures, columns to the 2020 figures, exactly.
    for (const unit of ['ha', 'mu'] as const) {
      for (const row of flow.rows) {
        expect(row[unit].reduce((total, value) => total + cents(value), 0)).toBe(cents(row.total[unit]));
        if (row.code !== '面积差') expect(row.total[unit]).toBe(figure(chongming, row.code)?.[unit] ?? '0.00');
      }
      flow.columns.forEach((col, c) => {
        expect(flow.rows.reduce((total, row) => total + cents(row[unit][c]!), 0)).toBe(cents(flow.columnTotals[unit][c]!));
        if (col.code !== '面积差') expect(flow.columnTotals[unit][c]).toBe(figure(after, col.code)?.[unit] ?? '0.00');
      });
    }
    // 一级: the same land by 一级 class.
    const groups = (await admin.get('/api/change-flows?from=2019&to=2020&districtCode=310151&level=1')).json<Flow>();
    // Rows and columns are the classes of either day (10 交通运输用地 is new in 2020: its row is empty).
    expect(groups.rows.map((row) => row.code).filter((code) => code !== '面积差')).toEqual(['01', '03', '07', '10']);
    expect(groups.rows.find((row) => row.code === '10')!.total.ha).toBe('0.00');
    expect(groups.columns.map((c) => c.code).filter((code) => code !== '面积差')).toEqual(['01', '03', '07', '10']);

    const csv = await admin.get('/api/statistics?asOf=2019&format=csv');
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body).toContain('二级类编码');
    expect(csv.body).toContain(`310151,崇明区,01,耕地,0101,水田,${figure(chongming, '0101')!.m2},${figure(chongming, '0101')!.ha},${figure(chongming, '0101')!.mu},3`);
    const xlsx = await admin.get('/api/change-flows?from=2019&to=2020&format=xlsx');
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.rawPayload.subarray(0, 2).toString()).toBe('PK');
    expectError(await admin.get('/api/change-flows?from=2020&to=2019'), 400, 'DATE_ORDER');
  });

  it('applies an ownership change on its own date, then freezes 2020 and refuses a late change', async () => {
    const cadastral = await survey('cadastral_change', 2021, 'district');
    const { id, findings } = await upload(cadastral, await packageOf([{ name: 'ZD', fields: CHANGE_ZD_FIELDS, records: [zd('李四', { BGQBSM: '310151211000Z00001', BGRQ: '2020-12-20' })] }]), '崇明-地籍变更.zip');
    expect(blockingOf(findings)).toEqual([]);
    // A cadastral change is applied as it is accepted (art. 13: 随时调查，及时变更), in one
    // transaction: when the apply fails, the 验收 is not recorded either.
    await test.db.scriptTransaction((exec) => exec(`ALTER TABLE ownership_parcels ADD CONSTRAINT test_refuse_all CHECK (false) NOT VALID`));
    const refused = await admin.post(`/api/submissions/${id}/accept`);
    expectError(refused, 400, 'CONSTRAINT_VIOLATED');
    await test.db.scriptTransaction((exec) => exec(`ALTER TABLE ownership_parcels DROP CONSTRAINT test_refuse_all`));
    expect((await admin.get(`/api/submissions/${id}`)).json<{ state: string }>().state).toBe('checked');
    expect((await test.db.kysely.selectFrom('decisions').select('action').where('submission_id', '=', id).execute()).map((row) => row.action)).not.toContain('accept');
    const accepted = await admin.post(`/api/submissions/${id}/accept`);
    expect(accepted.json(), accepted.body).toMatchObject({ state: 'applied' });
    expectError(await operator.post(`/api/submissions/${id}/apply`), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    const history = (await admin.get('/api/parcels/310151211000Z00001?layer=ownership')).json<{ versions: { attributes: { qlrmc: string }; validFrom: string }[]; graph: { edges: { kind: string }[] } }>();
    expect(history.versions.map((v) => [v.validFrom, v.attributes.qlrmc])).toEqual([['2019-12-31', '张三'], ['2020-12-20', '李四']]);
    expect(history.graph.edges.map((e) => e.kind)).toEqual(['ownership_change']);

    // Every 2020 land-use change survey closes (the demo's and this test's); 崇明, the one district
    // with a baseline, has applied its 2020 package.
    for (const s of (await admin.get('/api/surveys')).json<{ id: string; kind: string; year: number }[]>()) {
      if (s.kind === 'land_use_change' && s.year === 2020) expect((await admin.post(`/api/surveys/${s.id}/close`)).statusCode).toBe(200);
    }
    expect((await admin.post('/api/snapshots', { year: 2020 })).statusCode).toBe(201);
    const late = await survey('land_use_change', 2020);
    const { findings: lateFindings } = await upload(late, await packageOf([{ name: 'DLTB', fields: CHANGE_FIELDS, records: [parcel('C', '0101', rect(0, 100, 100, 100), { BGQBSM: bsm('C'), BGRQ: '2020-12-30' })] }]), '崇明-迟到.zip');
    expect(blockingOf(lateFindings).map((line) => line.split(' ')[0])).toEqual(['CHG_DATE']);
    expect((await admin.get('/api/snapshots/2019/verify')).json<{ matches: boolean }>().matches).toBe(true);
    expect((await admin.get('/api/snapshots/2020/verify')).json<{ matches: boolean }>().matches).toBe(true);
  });

  it('retires a parcel (灭失) with no successor; the flow table carries the lost area in 面积差', async () => {
    const surveyId = await survey('land_use_change', 2021);
    const { id, findings } = await upload(surveyId, await packageOf([{ name: 'DLTB', fields: CHANGE_FIELDS, records: [parcel('D', '0101', rect(100, 100, 100, 100), { BGRQ: '2021-05-01', BGLX: '灭失' })] }]), '崇明-2021灭失.zip');
    expect(blockingOf(findings)).toEqual([]);
    expect((await acceptAndApply(id)).layers).toEqual([{ layer: 'land_use', created: 0, closed: 1, lineage: 0 }]);
    const history = (await admin.get(`/api/parcels/${bsm('D')}`)).json<{ versions: { validTo: string | null }[]; graph: { edges: unknown[] } }>();
    expect(history.versions.map((v) => v.validTo)).toEqual(['2021-05-01']);
    expect(history.graph.edges).toEqual([]);
    const diff = (await admin.get('/api/changes?from=2020&to=2021')).json<{ counts: Record<string, number>; retired: { bsm: string }[] }>();
    expect(diff.counts).toEqual({ added: 0, retired: 1, changed: 0 });
    expect(diff.retired[0]!.bsm).toBe(bsm('D'));

    const flow = (await admin.get('/api/change-flows?from=2020&to=2021&districtCode=310151')).json<Flow>();
    const balance = flow.columns.findIndex((column) => column.code === '面积差');
    expect(balance).toBeGreaterThan(-1);
    expect(cents(flow.columnTotals.ha[balance]!)).toBe(cents(flow.grandTotal.from.ha) - cents(flow.grandTotal.to.ha));
    expect(cents(flow.rows.find((row) => row.code === '0101')!.ha[balance]!)).toBe(cents(flow.columnTotals.ha[balance]!));
    expect(flow.grandTotal.from.ha).toBe(printedHa(centsOfParcels(area, 'A', 'C', 'D', 'G', 'H', 'M')));
    expect(flow.grandTotal.to.ha).toBe(printedHa(centsOfParcels(area, 'A', 'C', 'G', 'H', 'M')));
    for (const row of flow.rows) expect(row.ha.reduce((total, value) => total + cents(value), 0)).toBe(cents(row.total.ha));
  });

  it('scopes a district operator to its district', async () => {
    const pudong = new TestClient(test.app);
    expect((await pudong.login('pudong', DEMO_PASSWORD)).statusCode).toBe(200);
    expect((await pudong.get('/api/features?bbox=121,31,122,32&asOf=2020')).json<{ numberReturned: number }>().numberReturned).toBe(0);
    expectError(await pudong.get(`/api/parcels/${bsm('A')}`), 404, 'PARCEL_NOT_FOUND');
    expectError(await pudong.post('/api/snapshots', { year: 2021 }), 403, 'FORBIDDEN');
    // Nor can it apply another district's package, or accept anything.
    const chongmingSubmission = (await admin.get('/api/submissions?districtCode=310151')).json<{ id: string }[]>()[0]!.id;
    expectError(await pudong.post(`/api/submissions/${chongmingSubmission}/apply`), 404, 'NOT_FOUND');
    expectError(await pudong.post(`/api/submissions/${chongmingSubmission}/accept`), 403, 'FORBIDDEN');
  });

});
