// 地籍变更调查 through the HTTP API: 随时调查，及时变更 (art. 13). Over 崇明's applied baseline,
// a cadastral change package is returned for 整改, the correction is round 2, and the city's
// acceptance applies it at once (accepted → applied in one decision), with its PDF on record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nationalSurveyId } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { baselineRecords, bsm, changePackage, expectAudited, expectDecision, openLifecycle, packageOf, type Lifecycle } from './lifecycle-helpers.ts';

describe.each(ENGINES)('the cadastral change survey’s route on the %s engine', (engine) => {
  let life: Lifecycle;
  let surveyId: string;

  beforeAll(async () => {
    life = await openLifecycle(engine);
    const nationalId = await nationalSurveyId(life.test.db);
    await life.relaxRules(nationalId);
    const baseline = await life.upload('chongming', nationalId, await packageOf(baselineRecords()), '崇明-三调.zip');
    await life.decided('auditor', baseline.id, 'accept');
    await life.decided('chongming', baseline.id, 'apply');
    surveyId = await life.createSurvey({ kind: 'cadastral_change', year: 2020 });
  }, 240_000);
  afterAll(() => life?.drop());

  it('is applied as it is accepted, after a round of 整改', async () => {
    const first = await life.upload('chongming', surveyId, await changePackage('B', '0702', '2020-05-01'), '崇明-地籍变更.zip');
    expect(first.state, JSON.stringify(first.findings)).toBe('checked');
    const rectification = [{ requirement: '宗地变更缺少权属来源证明，请补充后重新汇交' }];
    await life.decided('auditor', first.id, 'return', { rectification });
    const second = await life.upload('chongming', surveyId, await changePackage('B', '0702', '2020-05-02'), '崇明-地籍变更-整改.zip');
    expect(second.state).toBe('checked');
    const report = await life.attach('admin', '地籍变更审核意见');
    const accepted = await life.decided('admin', second.id, 'accept', { opinion: '同意变更', attachmentIds: [report.id] });
    expect(accepted).toMatchObject({ state: 'applied', applied: true });
    const record = await life.record('admin', second.id);
    expect(record.submission).toMatchObject({ state: 'applied', round: 2, correctsSubmissionId: first.id });
    const decision = expectDecision(life, record.decisions.find((d) => d.action === 'accept'), { action: 'accept', from: 'checked', to: 'accepted', by: 'admin', role: 'city_admin', opinion: '同意变更', round: 2 });
    expect(decision.attachments.map((a) => a.sha256)).toEqual([report.sha256]);
    expect(record.decisions.find((d) => d.action === 'return')?.rectification).toEqual(rectification);
    await expectAudited(life, second.id, [
      { action: 'submission.accept', by: 'admin', from: 'checked', to: 'accepted', decisionId: accepted.decisionId },
      { action: 'submission.apply', by: 'admin', from: 'accepted', to: 'applied' },
    ]);
    const b = (await life.as.admin.get(`/api/parcels/${bsm('B')}`)).json<{ versions: { validFrom: string; attributes: { dlbm: string } }[] }>();
    expect(b.versions.map((v) => [v.validFrom, v.attributes.dlbm])).toEqual([['2019-12-31', '0101'], ['2020-05-02', '0702']]);
  });
});
