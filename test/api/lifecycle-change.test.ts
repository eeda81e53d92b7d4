// 土地利用变更调查 through the HTTP API: over 崇明's applied baseline (2019 frozen), the district
// submits a 2020 change package, the checks pass, the city returns it for 整改, the corrected
// package is round 2, the city accepts it with a PDF, the district applies it, the year is frozen
// at 12月31日, the city approves and publishes it. An anonymous visitor sees the year's parcels
// (decoded tiles, statistics) exactly while it is published, and not after its withdrawal.
import { VectorTile } from '@mapbox/vector-tile';
import type { LightMyRequestResponse } from 'fastify';
import { PbfReader } from 'pbf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHONGMING, nationalSurveyId } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { expectError } from './helpers.ts';
import { baselineRecords, bsm, changePackage, expectAudited, expectDecision, openLifecycle, packageOf, type Lifecycle } from './lifecycle-helpers.ts';

function tileUrl(lon: number, lat: number, z: number): string {
  const n = 2 ** z;
  const phi = (lat * Math.PI) / 180;
  const x = Math.floor(((lon + 180) / 360) * n);
  const y = Math.floor(((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * n);
  return `/tiles/land_use/${z}/${x}/${y}.mvt?asOf=2020-12-31`;
}

/** The BSMs and DLBMs a land-use tile holds. */
function tileParcels(response: LightMyRequestResponse): string[] {
  expect(response.statusCode, response.body.slice(0, 200)).toBe(200);
  if (response.rawPayload.length === 0) return [];
  const layer = new VectorTile(new PbfReader(new Uint8Array(response.rawPayload)) as never).layers.land_use;
  const out: string[] = [];
  for (let i = 0; layer && i < layer.length; i++) out.push(`${layer.feature(i).properties.bsm}:${layer.feature(i).properties.dlbm}`);
  return out.sort();
}

describe.each(ENGINES)('the land-use change survey’s route on the %s engine', (engine) => {
  let life: Lifecycle;
  let surveyId: string;
  let first: string;
  let second: string;
  let tile: string;

  beforeAll(async () => {
    life = await openLifecycle(engine);
    const nationalId = await nationalSurveyId(life.test.db);
    await life.relaxRules(nationalId);
    const baseline = await life.upload('chongming', nationalId, await packageOf(baselineRecords()), '崇明-三调.zip');
    await life.decided('auditor', baseline.id, 'accept');
    await life.decided('chongming', baseline.id, 'apply');
    await life.surveyStepped('admin', nationalId, 'close');
    expect((await life.as.admin.post('/api/snapshots', { year: 2019 })).statusCode).toBe(201);
    const surveys = (await life.as.admin.get('/api/surveys')).json<{ id: string; kind: string; year: number }[]>();
    surveyId = surveys.find((s) => s.kind === 'land_use_change' && s.year === 2020)!.id;
    await life.relaxRules(surveyId);
    // The city classes the 2020 results 公开 (the demo made them 内部); no route changes secrecy yet.
    await life.test.db.scriptTransaction((exec) => exec(`UPDATE surveys SET secrecy = 'public' WHERE id = $1`, [surveyId]));
    const feature = (await life.as.admin.get('/api/features?bbox=121,31,122,32&asOf=2019-12-31&limit=1')).json<{ features: { geometry: { coordinates: number[][][][] } }[] }>().features[0]!;
    const [lon, lat] = feature.geometry.coordinates[0]![0]![0]!;
    tile = tileUrl(lon! + 0.0001, lat! + 0.0001, 14);
  }, 240_000);
  afterAll(() => life?.drop());

  it('returns the first change package for 整改 and takes the corrected one as round 2', async () => {
    const uploaded = await life.upload('chongming', surveyId, await changePackage('A', '0702', '2020-06-30'), '崇明-2020变更.zip');
    expect(uploaded.state, JSON.stringify(uploaded.findings)).toBe('checked');
    first = uploaded.id;
    const rectification = [{ requirement: '图斑 A 实地为果园（0201），请按实地现状更正地类' }];
    await life.decided('admin', first, 'return', { opinion: '地类与实地不符', rectification });
    const corrected = await life.upload('chongming', surveyId, await changePackage('A', '0201', '2020-07-01'), '崇明-2020变更-整改.zip');
    expect(corrected.state).toBe('checked');
    second = corrected.id;
    const record = await life.record('admin', second);
    expect(record.submission).toMatchObject({ round: 2, correctsSubmissionId: first });
    const returned = expectDecision(life, record.decisions.find((d) => d.action === 'return'), { action: 'return', from: 'checked', to: 'rejected', by: 'admin', role: 'city_admin', round: 1 });
    expect(returned.rectification).toEqual(rectification);
  });

  it('is accepted with a PDF and applied by the district', async () => {
    const report = await life.attach('auditor', '2020年度变更调查验收意见');
    const accepted = await life.decided('auditor', second, 'accept', { opinion: '变更成果验收通过', attachmentIds: [report.id] });
    const decision = expectDecision(life, (await life.record('admin', second)).decisions.find((d) => d.action === 'accept'), { action: 'accept', from: 'checked', to: 'accepted', by: 'auditor', role: 'city_auditor', opinion: '变更成果验收通过', round: 2 });
    expect(decision.attachments.map((a) => [a.id, a.sha256])).toEqual([[report.id, report.sha256]]);
    expect((await life.decided('chongming', second, 'apply')).state).toBe('applied');
    await expectAudited(life, second, [
      { action: 'submission.accept', by: 'auditor', from: 'checked', to: 'accepted', decisionId: accepted.decisionId },
      { action: 'submission.apply', by: 'chongming', from: 'accepted', to: 'applied' },
    ]);
    const a = (await life.as.chongming.get(`/api/parcels/${bsm('A')}`)).json<{ versions: { validFrom: string; attributes: { dlbm: string } }[] }>();
    expect(a.versions.map((v) => [v.validFrom, v.attributes.dlbm])).toEqual([['2019-12-31', '0101'], ['2020-07-01', '0201']]);
  });

  it('is frozen at 12月31日, approved by the city and published; the public sees it exactly while published', async () => {
    const approval = { number: '沪府〔2021〕21号', date: '2021-04-15', issuer: '上海市人民政府' };
    await life.surveyStepped('admin', surveyId, 'close');
    // Approval needs the year frozen first.
    expect((await life.surveyStep('admin', surveyId, 'approve', { document: approval })).statusCode).toBe(409);
    const frozen = await life.as.admin.post('/api/snapshots', { year: 2020 });
    expect(frozen.statusCode, frozen.body).toBe(201);
    await life.surveyStepped('admin', surveyId, 'approve', { document: approval });
    // Approved is not published: nothing for the public yet.
    expect(tileParcels(await life.anonymous(tile))).toEqual([]);
    expectError(await life.anonymous('/api/statistics?asOf=2020-12-31'), 404, 'NOT_PUBLISHED');
    // A district does not publish the city's change survey.
    expectError(await life.surveyStep('chongming', surveyId, 'publish'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    await life.surveyStepped('admin', surveyId, 'publish', { opinion: '2020年度变更调查成果公布' });
    const record = await life.surveyRecord('admin', surveyId);
    expectDecision(life, record.decisions.find((d) => d.action === 'approve'), { action: 'approve', from: 'closed', to: 'approved', by: 'admin', role: 'city_admin' });
    expect(record.publications).toMatchObject([{ districtCode: null, day: '2020-12-31', withdrawnAt: null }]);

    const parcels = tileParcels(await life.anonymous(tile));
    expect(parcels).toContain(`${bsm('A')}:0201`);
    expect(parcels).toHaveLength(6);
    const statistics = await life.anonymous('/api/statistics?asOf=2020-12-31');
    expect(statistics.statusCode, statistics.body).toBe(200);
    const chongming = statistics.json<{ districts: { districtCode: string; total: { parcels: number } }[] }>().districts.find((d) => d.districtCode === CHONGMING);
    expect(chongming?.total.parcels).toBe(6);
    // The flow table needs both days published; 2019 (the 内部 national survey) is not.
    expectError(await life.anonymous('/api/change-flows?from=2019-12-31&to=2020-12-31'), 404, 'NOT_PUBLISHED');
    expect((await life.anonymous('/api/publications')).json<{ day: string }[]>().map((p) => p.day)).toEqual(['2020-12-31']);

    await life.surveyStepped('admin', surveyId, 'withdraw', { opinion: '撤回公布' });
    expect(tileParcels(await life.anonymous(tile))).toEqual([]);
    expectError(await life.anonymous('/api/statistics?asOf=2020-12-31'), 404, 'NOT_PUBLISHED');
    expect((await life.anonymous('/api/publications')).json()).toEqual([]);
    // Signed in, the city still reads them.
    expect(tileParcels(await life.test.app.inject({ method: 'GET', url: tile, cookies: { lsp_session: life.as.admin.cookie('lsp_session')! } }))).toHaveLength(6);
  });
});
