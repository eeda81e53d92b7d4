// The API refusing a step it must not take: skipped or out of order (409, with the state and the
// steps open from it), by the uploader (DECIDER_IS_UPLOADER), by the wrong role or district (403,
// or 404 where row-level security hides the object), and a step missing what it needs. Submissions
// are written with insertSubmission where only their state matters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHONGMING, insertSubmission, nationalSurveyId, PUDONG } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { expectError } from './helpers.ts';
import { openLifecycle, type Lifecycle } from './lifecycle-helpers.ts';

interface Details {
  state: string;
  allowed: { action: string; to: string; roles: string[] }[];
}

describe.each(ENGINES)('lifecycle refusals through the API on the %s engine', (engine) => {
  let life: Lifecycle;
  let nationalId: string;

  /** A checked submission: its latest quality run finished clean (migrations/0008 asks before acceptance). */
  async function checked(district: string, surveyId: string, uploadedBy: string | null = null): Promise<string> {
    const id = await insertSubmission(life.test.db, district, surveyId, 'checked');
    await life.test.db.scriptTransaction(async (exec) => {
      await exec(`INSERT INTO qc_runs (district_code, submission_id, state, rules, blocking) VALUES ($1, $2, 'finished', '[]', 0)`, [district, id]);
      if (uploadedBy) {
        // The uploader as an upload would have recorded it; the row was written as a restore.
        await exec(`SELECT set_config('session_replication_role', 'replica', true)`);
        await exec(`UPDATE submissions SET uploaded_by = $2 WHERE id = $1`, [id, uploadedBy]);
      }
    });
    return id;
  }

  beforeAll(async () => {
    life = await openLifecycle(engine);
    nationalId = await nationalSurveyId(life.test.db);
  }, 180_000);
  afterAll(() => life?.drop());

  it('refuses a skipped step with the state and the steps open from it', async () => {
    const id = await checked(CHONGMING, nationalId);
    const skipped = expectError(await life.decide('admin', id, 'apply'), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    const details = skipped.error.details as unknown as Details;
    expect(details.state).toBe('checked');
    expect(details.allowed.map((step) => step.action).sort()).toEqual(['accept', 'check_start', 'return', 'supersede']);
    expect(skipped.error.message.zh).toContain('验收通过');
    // A step of another kind's route.
    expect((expectError(await life.decide('admin', id, 'file'), 409, 'LIFECYCLE_STEP_NOT_ALLOWED').error.details as unknown as Details).state).toBe('checked');
    // An unknown action.
    expectError(await life.decide('admin', id, 'approve_everything'), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    // Nothing moved, and nothing was recorded.
    const record = await life.record('admin', id);
    expect(record.submission.state).toBe('checked');
    expect(record.decisions).toEqual([]);
    // Survey steps out of order: publish while collecting, approve before closing.
    const publish = expectError(await life.surveyStep('admin', nationalId, 'publish'), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    expect(publish.error.details).toMatchObject({ state: 'collecting', allowed: [{ action: 'close', to: 'closed' }] });
    expectError(await life.surveyStep('office', nationalId, 'approve', { document: { number: '国函〔2021〕1号', date: '2021-01-01' } }), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
  });

  it('never lets the uploader decide (谁审核、谁负责), and offers it no decision', async () => {
    const id = await checked(CHONGMING, nationalId, life.users.admin.id);
    const own = expectError(await life.decide('admin', id, 'accept'), 403, 'DECIDER_IS_UPLOADER');
    expect(own.error.details).toMatchObject({ state: 'checked', action: 'accept' });
    // Like every refusal, it names the steps open from the state.
    expect((own.error.details as { allowed: { action: string }[] }).allowed.map((step) => step.action).sort()).toEqual(['accept', 'check_start', 'return', 'supersede']);
    expectError(await life.decide('admin', id, 'return', { rectification: [{ requirement: '自己退回' }] }), 403, 'DECIDER_IS_UPLOADER');
    expect((await life.record('admin', id)).steps.map((step) => step.action)).toEqual([]);
    // Another city decider may.
    expect((await life.record('auditor', id)).steps.map((step) => step.action).sort()).toEqual(['accept', 'return']);
    expect((await life.decided('auditor', id, 'accept')).state).toBe('accepted');
  });

  it('refuses the wrong role and the wrong district', async () => {
    const id = await checked(CHONGMING, nationalId);
    // A district's own roles do not accept a national survey's package: the city does.
    const operator = expectError(await life.decide('chongming', id, 'accept'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    expect(operator.error.details).toMatchObject({ state: 'checked', action: 'accept', roles: ['city_admin', 'city_auditor'] });
    expect((operator.error.details as unknown as Details).allowed.map((step) => step.action)).toContain('accept');
    expectError(await life.decide('chongming-office', id, 'accept'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    // Another district's operator does not even see it (row-level security).
    expectError(await life.decide('pudong', id, 'accept'), 404, 'NOT_FOUND');

    // A 崇明 special survey: its plan is 崇明's office's to decide, not 浦东's.
    const special = await life.createSurvey({ kind: 'special', scope: 'district', districtCode: CHONGMING, year: 2020, timePoint: '2020-06-30' });
    const document = { number: '崇土调〔2020〕3号', date: '2020-03-01' };
    // 浦东's office does not even see 崇明's own survey; 崇明's operator sees it but may not decide its plan.
    expectError(await life.surveyStep('pudong-office', special, 'file_plan', { document }), 404, 'NOT_FOUND');
    const wrong = expectError(await life.surveyStep('chongming', special, 'file_plan', { document }), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    expect(wrong.error.details).toMatchObject({ state: 'planned', action: 'file_plan', roles: ['district_office'] });
    const undocumented = expectError(await life.surveyStep('chongming-office', special, 'file_plan', {}), 409, 'LIFECYCLE_NEEDS_DOCUMENT');
    expect(undocumented.error.details).toMatchObject({ state: 'planned', allowed: [expect.objectContaining({ action: 'close' }), expect.objectContaining({ action: 'file_plan' })] });
    expect((await life.surveyStepped('chongming-office', special, 'file_plan', { document })).state).toBe('collecting');
    const pkg = await checked(CHONGMING, special);
    expectError(await life.decide('pudong-office', pkg, 'accept'), 404, 'NOT_FOUND');
    expectError(await life.decide('admin', pkg, 'accept'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    expect((await life.decided('chongming-office', pkg, 'accept')).state).toBe('accepted');
    // 备案 is the city office's; a 浦东 package of the national survey stays 浦东's.
    expectError(await life.decide('chongming-office', pkg, 'file'), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    const pudong = await checked(PUDONG, nationalId);
    expectError(await life.decide('chongming', pudong, 'apply'), 404, 'NOT_FOUND');
  });
});
