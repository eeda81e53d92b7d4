// 全市土地专项调查 through the HTTP API, as the demo accounts in their roles: the city creates it;
// the city office approves its plan (文号 required) and collection opens; 崇明 submits; 崇明's
// district office 初验; the city office returns it at 终验 with 整改要求 pointing at a finding; the
// corrected package is round 2 naming round 1, 初验 again and 终验 with the report attached;
// collection closes, 市政府批准 once no package is on its way, and the city publishes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHONGMING, nationalSurveyId } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { expectError } from './helpers.ts';
import { applyBaseline, changePackage, expectAudited, expectDecision, openLifecycle, sliverSplitPackage, type Lifecycle } from './lifecycle-helpers.ts';

describe.each(ENGINES)('the city special survey’s route on the %s engine', (engine) => {
  let life: Lifecycle;
  let surveyId: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    life = await openLifecycle(engine);
    await applyBaseline(life, await nationalSurveyId(life.test.db));
    surveyId = await life.createSurvey({ kind: 'special', scope: 'city', year: 2022, title: '全市低效建设用地专项调查', secrecy: 'public' });
  }, 180_000);
  afterAll(() => life?.drop());

  it('opens only once the city office approves its plan', async () => {
    expectError(await life.as.chongming.upload(`/api/submissions?surveyId=${surveyId}`, '崇明-专项.zip', await changePackage('A', '0201', '2022-05-01')), 409, 'SURVEY_NOT_COLLECTING');
    // A special survey is not simply opened: its plan is decided.
    expectError(await life.surveyStep('admin', surveyId, 'open'), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    const plan = { number: '沪调查领〔2022〕2号', date: '2022-02-10', issuer: '上海市土地调查领导小组' };
    expectError(await life.surveyStep('admin', surveyId, 'approve_plan', { document: plan }), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    expectError(await life.surveyStep('chongming-office', surveyId, 'approve_plan', { document: plan }), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    expectError(await life.surveyStep('office', surveyId, 'approve_plan', {}), 409, 'LIFECYCLE_NEEDS_DOCUMENT');
    expect((await life.surveyStepped('office', surveyId, 'approve_plan', { document: plan, opinion: '审议通过调查计划' })).state).toBe('collecting');
    const record = await life.surveyRecord('admin', surveyId);
    const decision = expectDecision(life, record.decisions.find((d) => d.action === 'approve_plan'), { action: 'approve_plan', from: 'planned', to: 'collecting', by: 'office', role: 'leading_group_office', opinion: '审议通过调查计划' });
    expect(decision.document).toEqual(plan);
  });

  it('passes 初验 at the district office, then is returned at 终验 with 整改要求', async () => {
    const uploaded = await life.upload('chongming', surveyId, await sliverSplitPackage('2022-05-01'), '崇明-专项.zip');
    expect(uploaded.state, JSON.stringify(uploaded.findings)).toBe('checked');
    first = uploaded.id;
    const sliver = uploaded.findings.find((finding) => finding.ruleId === 'TOPO_SLIVER');
    expect(sliver, JSON.stringify(uploaded.findings)).toBeDefined();
    // 初验 is the district office's of the package's district, and comes before 终验.
    expectError(await life.decide('office', first, 'accept'), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    expectError(await life.decide('admin', first, 'preliminary_accept'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    expectError(await life.decide('pudong-office', first, 'preliminary_accept'), 404, 'NOT_FOUND');
    expect((await life.decided('chongming-office', first, 'preliminary_accept', { opinion: '初验合格' })).state).toBe('preliminary_accepted');
    // 终验 is the city office's, not the district office's.
    expectError(await life.decide('chongming-office', first, 'accept'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    const rectification = [{ requirement: '图斑 H 小于最小上图面积，请并入相邻图斑', findings: [sliver!.findingNo] }];
    const returned = await life.decided('office', first, 'return', { opinion: '终验不合格', rectification });
    expect(returned.state).toBe('rejected');
    const record = await life.record('admin', first);
    expectDecision(life, record.decisions.find((d) => d.action === 'preliminary_accept'), { action: 'preliminary_accept', from: 'checked', to: 'preliminary_accepted', by: 'chongming-office', role: 'district_office', opinion: '初验合格', round: 1 });
    const ret = expectDecision(life, record.decisions.find((d) => d.action === 'return'), { action: 'return', from: 'preliminary_accepted', to: 'rejected', by: 'office', role: 'leading_group_office', opinion: '终验不合格', round: 1 });
    expect(ret.rectification).toEqual(rectification);
    expect(ret.districtCode).toBe(CHONGMING);
    await expectAudited(life, first, [
      { action: 'submission.preliminary_accept', by: 'chongming-office', from: 'checked', to: 'preliminary_accepted' },
      { action: 'submission.return', by: 'office', from: 'preliminary_accepted', to: 'rejected', decisionId: returned.decisionId },
    ]);
  });

  it('takes the corrected package as round 2: 初验, then 终验 with the report attached', async () => {
    const uploaded = await life.upload('chongming', surveyId, await changePackage('A', '0201', '2022-06-01', { note: '专项调查' }), '崇明-专项-整改.zip');
    expect(uploaded.state, JSON.stringify(uploaded.findings)).toBe('checked');
    second = uploaded.id;
    expect((await life.record('chongming', second)).submission).toMatchObject({ round: 2, correctsSubmissionId: first });
    await life.decided('chongming-office', second, 'preliminary_accept', { opinion: '整改后初验合格' });
    expect((await life.record('office', second)).steps.map((step) => step.action).sort()).toEqual(['accept', 'return']);
    const report = await life.attach('office', '专项调查终验报告');
    expect((await life.decided('office', second, 'accept', { opinion: '终验通过', attachmentIds: [report.id] })).state).toBe('accepted');
    const record = await life.record('admin', second);
    const accept = expectDecision(life, record.decisions.find((d) => d.action === 'accept'), { action: 'accept', from: 'preliminary_accepted', to: 'accepted', by: 'office', role: 'leading_group_office', opinion: '终验通过', round: 2 });
    expect(accept.attachments).toEqual([{ id: report.id, fileName: report.fileName, mediaType: 'application/pdf', sizeBytes: report.sizeBytes, sha256: report.sha256 }]);
    expect(record.decisions.map((d) => [d.action, d.round])).toEqual(expect.arrayContaining([['return', 1], ['preliminary_accept', 2], ['accept', 2]]));
  });

  it('is approved by the city government and published by the city', async () => {
    const approval = { number: '沪府〔2022〕99号', date: '2022-12-28', issuer: '上海市人民政府' };
    expectError(await life.surveyStep('office', surveyId, 'approve', { document: approval }), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    expectError(await life.surveyStep('chongming', surveyId, 'close'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    await life.surveyStepped('admin', surveyId, 'close');
    expectError(await life.surveyStep('chongming-office', surveyId, 'approve', { document: approval }), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    const approved = await life.surveyStepped('office', surveyId, 'approve', { document: approval, opinion: '市政府批准' });
    expect(approved.state).toBe('approved');
    expectError(await life.surveyStep('chongming', surveyId, 'publish'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    expectError(await life.surveyStep('office', surveyId, 'publish'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    const published = await life.surveyStepped('admin', surveyId, 'publish', { opinion: '市局公布' });
    expect(published).toMatchObject({ state: 'published', districtCode: null });
    const record = await life.surveyRecord('admin', surveyId);
    expect(record.publications.map((p) => [p.districtCode, p.day, p.withdrawnAt])).toEqual([[null, '2022-12-31', null]]);
    expect(expectDecision(life, record.decisions.find((d) => d.action === 'approve'), { action: 'approve', from: 'closed', to: 'approved', by: 'office', role: 'leading_group_office' }).document).toEqual(approval);
    expectDecision(life, record.decisions.find((d) => d.action === 'publish'), { action: 'publish', from: 'approved', to: 'published', by: 'admin', role: 'city_admin', opinion: '市局公布' });
    const listed = (await life.anonymous('/api/publications')).json<{ surveyId: string; districtCode: string | null }[]>();
    expect(listed.filter((p) => p.surveyId === surveyId).map((p) => p.districtCode)).toEqual([null]);
  });
});
