// 区(县)土地专项调查 through the HTTP API, as the demo accounts in their roles: 崇明 creates its
// survey; the district office decides the plan and files it with the city office (文号 required),
// which records its receipt; 崇明 submits; the district office 验收; the city office objects at
// 备案 with 整改要求 pointing at a finding (a sliver) (备案有异议); the corrected package is round 2 naming
// round 1, accepted by the district office with its report attached and 备案 by the city office;
// 区政府批准 once no package is on its way; published by 崇明 (not by the city, not by 浦东).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHONGMING, nationalSurveyId } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { expectError } from './helpers.ts';
import { applyBaseline, changePackage, sliverSplitPackage, expectAudited, expectDecision, openLifecycle, type Lifecycle } from './lifecycle-helpers.ts';

describe.each(ENGINES)('the district special survey’s route on the %s engine', (engine) => {
  let life: Lifecycle;
  let surveyId: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    life = await openLifecycle(engine);
    await applyBaseline(life, await nationalSurveyId(life.test.db));
    surveyId = await life.createSurvey({ kind: 'special', scope: 'district', districtCode: CHONGMING, year: 2021, title: '崇明区耕地后备资源专项调查', secrecy: 'public' }, 'chongming');
  }, 180_000);
  afterAll(() => life?.drop());

  it('takes no package before its plan is decided and filed; the city office records the receipt', async () => {
    expect((await life.surveyRecord('chongming', surveyId)).state).toBe('planned');
    const early = await life.as.chongming.upload(`/api/submissions?surveyId=${surveyId}`, '崇明-专项.zip', await changePackage('A', '0201', '2021-06-01'));
    expectError(early, 409, 'SURVEY_NOT_COLLECTING');
    // The plan is the district office's to decide; the city office cannot, and 浦东's office does
    // not even see 崇明's survey (row-level security).
    expectError(await life.surveyStep('office', surveyId, 'file_plan', { document: { number: 'x', date: '2021-01-05' } }), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    expectError(await life.surveyStep('pudong-office', surveyId, 'file_plan', { document: { number: 'x', date: '2021-01-05' } }), 404, 'NOT_FOUND');
    expectError(await life.surveyStep('chongming-office', surveyId, 'file_plan', {}), 409, 'LIFECYCLE_NEEDS_DOCUMENT');
    const plan = { number: '崇调查办〔2021〕3号', date: '2021-01-05', issuer: '崇明区土地调查领导小组' };
    const filed = await life.surveyStepped('chongming-office', surveyId, 'file_plan', { document: plan, opinion: '区领导小组决定开展，报市办备案' });
    expect(filed.state).toBe('collecting');
    // The receipt is the city office's, and leaves the state as it is.
    expectError(await life.surveyStep('chongming-office', surveyId, 'receive_plan'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    const receipt = await life.surveyStepped('office', surveyId, 'receive_plan', { opinion: '已收到备案' });
    expect(receipt.state).toBe('collecting');
    const record = await life.surveyRecord('admin', surveyId);
    const decision = expectDecision(life, record.decisions.find((d) => d.action === 'file_plan'), { action: 'file_plan', from: 'planned', to: 'collecting', by: 'chongming-office', role: 'district_office' });
    expect(decision.document).toEqual(plan);
    expect(decision.districtCode).toBe(CHONGMING);
    expectDecision(life, record.decisions.find((d) => d.action === 'receive_plan'), { action: 'receive_plan', from: 'collecting', to: 'collecting', by: 'office', role: 'leading_group_office', opinion: '已收到备案' });
  });

  it('is accepted by the district office, then objected to at 备案 with 整改要求', async () => {
    const uploaded = await life.upload('chongming', surveyId, await sliverSplitPackage('2021-06-01'), '崇明-专项.zip');
    expect(uploaded.state, JSON.stringify(uploaded.findings.filter((f) => f.severity === 'error'))).toBe('checked');
    first = uploaded.id;
    const warning = uploaded.findings.find((finding) => finding.ruleId === 'TOPO_SLIVER');
    expect(warning, JSON.stringify(uploaded.findings)).toBeDefined();
    // 验收 is the district office's: not the city's, nor the uploader's; 浦东's office does not see it.
    expectError(await life.decide('admin', first, 'accept'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    expectError(await life.decide('chongming', first, 'accept'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    expectError(await life.decide('pudong-office', first, 'accept'), 404, 'NOT_FOUND');
    expectError(await life.decide('office', first, 'file'), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    expect((await life.decided('chongming-office', first, 'accept', { opinion: '区办验收通过' })).state).toBe('accepted');
    expectError(await life.decide('office', first, 'object', { opinion: '有异议' }), 409, 'LIFECYCLE_NEEDS_RECTIFICATION');
    const rectification = [{ requirement: '图斑 H 面积小于最小上图面积，请并入相邻图斑后重新提交', findings: [warning!.findingNo] }];
    const objected = await life.decided('office', first, 'object', { opinion: '备案有异议', rectification });
    expect(objected.state).toBe('rejected');
    const record = await life.record('admin', first);
    expectDecision(life, record.decisions.find((d) => d.action === 'accept'), { action: 'accept', from: 'checked', to: 'accepted', by: 'chongming-office', role: 'district_office', opinion: '区办验收通过', round: 1 });
    const objection = expectDecision(life, record.decisions.find((d) => d.action === 'object'), { action: 'object', from: 'accepted', to: 'rejected', by: 'office', role: 'leading_group_office', opinion: '备案有异议', round: 1 });
    expect(objection.rectification).toEqual(rectification);
    await expectAudited(life, first, [
      { action: 'submission.accept', by: 'chongming-office', from: 'checked', to: 'accepted' },
      { action: 'submission.object', by: 'office', from: 'accepted', to: 'rejected', decisionId: objected.decisionId },
    ]);
  });

  it('takes the corrected package as round 2: 验收 with the report attached, then 备案', async () => {
    const uploaded = await life.upload('chongming', surveyId, await changePackage('A', '0201', '2021-07-01', { note: '专项调查' }), '崇明-专项-整改.zip');
    expect(uploaded.state).toBe('checked');
    second = uploaded.id;
    expect((await life.record('chongming', second)).submission).toMatchObject({ round: 2, correctsSubmissionId: first });
    // The offices see their own step offered, the district bureau none.
    expect((await life.record('chongming-office', second)).steps.map((step) => step.action).sort()).toEqual(['accept', 'return']);
    expect((await life.record('chongming', second)).steps).toEqual([]);

    const report = await life.attach('chongming-office', '专项调查验收报告');
    await life.decided('chongming-office', second, 'accept', { opinion: '整改后验收通过', attachmentIds: [report.id] });
    // 区办 cannot file with itself.
    expectError(await life.decide('chongming-office', second, 'file'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    const filed = await life.decided('office', second, 'file', { opinion: '同意备案' });
    expect(filed.state).toBe('filed');
    const record = await life.record('admin', second);
    const accept = expectDecision(life, record.decisions.find((d) => d.action === 'accept' && d.round === 2), { action: 'accept', from: 'checked', to: 'accepted', by: 'chongming-office', role: 'district_office', round: 2 });
    expect(accept.attachments).toEqual([{ id: report.id, fileName: report.fileName, mediaType: 'application/pdf', sizeBytes: report.sizeBytes, sha256: report.sha256 }]);
    expectDecision(life, record.decisions.find((d) => d.action === 'file'), { action: 'file', from: 'accepted', to: 'filed', by: 'office', role: 'leading_group_office', opinion: '同意备案', round: 2 });
  });

  it('is approved by the district government and published by 崇明 only', async () => {
    const approval = { number: '崇府〔2021〕120号', date: '2021-12-20', issuer: '崇明区人民政府' };
    expectError(await life.surveyStep('chongming-office', surveyId, 'approve', { document: approval }), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    await life.surveyStepped('chongming', surveyId, 'close');
    expectError(await life.surveyStep('office', surveyId, 'approve', { document: approval }), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    expectError(await life.surveyStep('chongming-office', surveyId, 'approve', {}), 409, 'LIFECYCLE_NEEDS_DOCUMENT');
    const approved = await life.surveyStepped('chongming-office', surveyId, 'approve', { document: approval, opinion: '区政府批准' });
    expect(approved.state).toBe('approved');

    expectError(await life.surveyStep('admin', surveyId, 'publish'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    expectError(await life.surveyStep('pudong', surveyId, 'publish'), 404, 'NOT_FOUND');
    const published = await life.surveyStepped('chongming', surveyId, 'publish', { opinion: '崇明区公布' });
    expect(published).toMatchObject({ state: 'published', districtCode: CHONGMING });
    const record = await life.surveyRecord('admin', surveyId);
    expect(record.publications.map((p) => [p.districtCode, p.day, p.withdrawnAt])).toEqual([[CHONGMING, '2021-12-31', null]]);
    const approve = expectDecision(life, record.decisions.find((d) => d.action === 'approve'), { action: 'approve', from: 'closed', to: 'approved', by: 'chongming-office', role: 'district_office' });
    expect(approve.document).toEqual(approval);
    expectDecision(life, record.decisions.find((d) => d.action === 'publish'), { action: 'publish', from: 'approved', to: 'published', by: 'chongming', role: 'district_operator', opinion: '崇明区公布' });
    // 公开: the public list names it.
    const listed = (await life.anonymous('/api/publications')).json<{ surveyId: string; districtCode: string | null }[]>();
    expect(listed.filter((p) => p.surveyId === surveyId).map((p) => p.districtCode)).toEqual([CHONGMING]);
  });
});
