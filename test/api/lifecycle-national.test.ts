// 全国土地调查 through the HTTP API, as the demo accounts in their roles: 崇明 submits a baseline,
// the checks pass, the city returns it with 整改要求 pointing at a finding, the corrected package is
// round 2 naming round 1, the city accepts it under the ministry's document with a PDF attached,
// it is applied as the baseline, the year is frozen, 国务院批准 is recorded and the survey is
// published by the city, then by the district (依次公布). The survey is 内部: its publication
// never reaches an anonymous visitor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHONGMING, nationalSurveyId } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { expectError } from './helpers.ts';
import { baselineRecords, expectAudited, expectDecision, openLifecycle, packageOf, type Lifecycle } from './lifecycle-helpers.ts';

describe.each(ENGINES)('the national survey’s route on the %s engine', (engine) => {
  let life: Lifecycle;
  let surveyId: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    life = await openLifecycle(engine);
    surveyId = await nationalSurveyId(life.test.db);
    await life.relaxRules(surveyId);
  }, 180_000);
  afterAll(() => life?.drop());

  it('returns a checked baseline with 整改要求 pointing at its finding', async () => {
    const started = new Date();
    const uploaded = await life.upload('chongming', surveyId, await packageOf(baselineRecords({ flawed: true })), '崇明-三调.zip');
    expect(uploaded.state).toBe('checked');
    const warning = uploaded.findings.find((finding) => finding.ruleId === 'GEOM_MULTIPART');
    expect(warning, JSON.stringify(uploaded.findings)).toBeDefined();
    first = uploaded.id;
    // The uploader cannot return its own package, nor may a district office decide a national survey's.
    expectError(await life.decide('chongming', first, 'return', { rectification: [{ requirement: 'x' }] }), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    // A return needs its 整改要求.
    expectError(await life.decide('auditor', first, 'return', { opinion: '图斑 F 多部件' }), 409, 'LIFECYCLE_NEEDS_RECTIFICATION');
    const rectification = [{ requirement: '图斑 F 为多部件图斑，请拆分为两个图斑或合并为一个', findings: [warning!.findingNo] }];
    const returned = await life.decided('auditor', first, 'return', { opinion: '退回整改', rectification });
    expect(returned.state).toBe('rejected');
    const record = await life.record('admin', first);
    expect(record.submission.state).toBe('rejected');
    const decision = expectDecision(life, record.decisions.find((d) => d.action === 'return'), { action: 'return', from: 'checked', to: 'rejected', by: 'auditor', role: 'city_auditor', opinion: '退回整改', round: 1, after: started });
    expect(decision.rectification).toEqual(rectification);
    await expectAudited(life, first, [{ action: 'submission.return', by: 'auditor', from: 'checked', to: 'rejected', decisionId: returned.decisionId }]);
  });

  it('takes the corrected package as round 2 and accepts it under the ministry’s document, with a PDF', async () => {
    const uploaded = await life.upload('chongming', surveyId, await packageOf(baselineRecords()), '崇明-三调-整改.zip');
    expect(uploaded.state).toBe('checked');
    second = uploaded.id;
    const record = await life.record('chongming', second);
    expect(record.submission).toMatchObject({ round: 2, correctsSubmissionId: first });
    expect(record.rounds.map((round) => [round.id, round.round]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([[first, 1], [second, 2]]);
    // The district sees the steps it may take: none of the city's decisions.
    expect(record.steps.map((step) => step.action)).toEqual([]);
    expect((await life.record('admin', second)).steps.map((step) => step.action).sort()).toEqual(['accept', 'return']);

    const report = await life.attach('admin', '三调成果验收报告');
    const document = { number: '国土调查办函〔2021〕15号', date: '2021-06-30', issuer: '国务院第三次全国国土调查领导小组办公室' };
    const accepted = await life.decided('admin', second, 'accept', { opinion: '验收通过', document, attachmentIds: [report.id] });
    expect(accepted.state).toBe('accepted');
    const after = await life.record('admin', second);
    const decision = expectDecision(life, after.decisions.find((d) => d.action === 'accept'), { action: 'accept', from: 'checked', to: 'accepted', by: 'admin', role: 'city_admin', opinion: '验收通过', round: 2 });
    expect(decision.document).toEqual(document);
    expect(decision.attachments).toEqual([{ id: report.id, fileName: report.fileName, mediaType: 'application/pdf', sizeBytes: report.sizeBytes, sha256: report.sha256 }]);
    // The round-1 return stays on round 2's record.
    expect(after.decisions.map((d) => [d.action, d.round])).toEqual(expect.arrayContaining([['return', 1], ['accept', 2]]));
    // The district reads the attachment of a decision on its package, with its hash.
    const download = await life.as.chongming.get(`/api/attachments/${report.id}`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['x-content-sha256']).toBe(report.sha256);
  });

  it('applies it as the baseline, then 国务院批准 once the year is frozen', async () => {
    const applied = await life.decided('chongming', second, 'apply');
    expect(applied.state).toBe('applied');
    await expectAudited(life, second, [
      { action: 'submission.accept', by: 'admin', from: 'checked', to: 'accepted' },
      { action: 'submission.apply', by: 'chongming', from: 'accepted', to: 'applied', decisionId: null },
    ]);
    const features = (await life.as.admin.get(`/api/features?bbox=121,31,122,32&asOf=2019-12-31&districtCode=${CHONGMING}`)).json<{ features: unknown[] }>();
    expect(features.features).toHaveLength(6);

    const approval = { number: '国函〔2021〕88号', date: '2021-08-26', issuer: '国务院' };
    // Out of order: approval before closing.
    const early = expectError(await life.surveyStep('admin', surveyId, 'approve', { document: approval }), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    expect(early.error.details).toMatchObject({ state: 'collecting' });
    await life.surveyStepped('admin', surveyId, 'close');
    // Not frozen yet: the database's guard refuses (LS163).
    expect((await life.surveyStep('admin', surveyId, 'approve', { document: approval })).statusCode).toBe(409);
    const frozen = await life.as.admin.post('/api/snapshots', { year: 2019 });
    expect(frozen.statusCode, frozen.body).toBe(201);
    // No document number: refused.
    expectError(await life.surveyStep('admin', surveyId, 'approve', {}), 409, 'LIFECYCLE_NEEDS_DOCUMENT');
    const approved = await life.surveyStepped('office', surveyId, 'approve', { document: approval, opinion: '国务院批准第三次全国国土调查成果' });
    expect(approved.state).toBe('approved');
    const record = await life.surveyRecord('admin', surveyId);
    const decision = expectDecision(life, record.decisions.find((d) => d.action === 'approve'), { action: 'approve', from: 'closed', to: 'approved', by: 'office', role: 'leading_group_office' });
    expect(decision.document).toEqual(approval);
  });

  it('is published by the city, then by the district; 内部, it never reaches anonymous visitors', async () => {
    // 依次公布: a district cannot publish before the city.
    expectError(await life.surveyStep('chongming', surveyId, 'publish_district'), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    expectError(await life.surveyStep('chongming', surveyId, 'publish'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    await life.surveyStepped('admin', surveyId, 'publish', { opinion: '市级公布' });
    const district = await life.surveyStepped('chongming', surveyId, 'publish_district', { opinion: '崇明区公布' });
    expect(district).toMatchObject({ state: 'published', districtCode: CHONGMING });
    const record = await life.surveyRecord('admin', surveyId);
    expect(record.publications.map((p) => [p.districtCode, p.day, p.withdrawnAt])).toEqual(expect.arrayContaining([[null, '2019-12-31', null], [CHONGMING, '2019-12-31', null]]));
    expectDecision(life, record.decisions.find((d) => d.action === 'publish_district'), { action: 'publish_district', from: 'published', to: 'published', by: 'chongming', role: 'district_operator' });
    expect((await life.surveyRecord('admin', surveyId)).decisions.find((d) => d.action === 'publish_district')!.districtCode).toBe(CHONGMING);
    // 内部: nothing for the public.
    expect((await life.anonymous('/api/publications')).json()).toEqual([]);
    expectError(await life.anonymous('/api/statistics?asOf=2019-12-31'), 404, 'NOT_PUBLISHED');
    const features = await life.anonymous('/api/features?bbox=121,31,122,32&asOf=2019-12-31');
    expect(features.statusCode === 200 ? features.json<{ features: unknown[] }>().features : []).toEqual([]);
    // Signed in, the publications are on record.
    expect((await life.as.chongming.get('/api/publications')).json<unknown[]>().length).toBe(2);
  });
});
