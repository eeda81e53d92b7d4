// Freezing a year asks that its survey exists and is closed, and that every district with a
// baseline has an applied change package or has declared no change (本年度无变化); the surveys
// then say they are frozen. Issue 13, item 18: 2024 froze with one district's package in and the
// survey still 汇交中, and 2025 froze with no survey at all. Two districts with a baseline (rows
// written as the importer would; the packages themselves are covered by versions.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSystem } from '../../server/db/context.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { CHONGMING, DEMO_PASSWORD, insertLandUseParcel, insertSubmission, nationalSurveyId, PUDONG } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { expectError } from './helpers.ts';

interface Survey {
  id: string;
  kind: string;
  year: number;
  state: string;
  frozen: boolean;
}

describe.each(ENGINES)('the freeze guard on the %s engine', (engine) => {
  let test: TestApp;
  let admin: TestClient;
  let chongming: TestClient;
  let pudong: TestClient;

  beforeAll(async () => {
    test = await openTestApp(engine);
    admin = new TestClient(test.app);
    chongming = new TestClient(test.app);
    pudong = new TestClient(test.app);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    expect((await chongming.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    expect((await pudong.login('pudong', DEMO_PASSWORD)).statusCode).toBe(200);
    const national = await nationalSurveyId(test.db);
    for (const [district, lon] of [[CHONGMING, 121.5], [PUDONG, 121.7]] as const) {
      const submissionId = await insertSubmission(test.db, district, national);
      await insertLandUseParcel(test.db, { districtCode: district, submissionId, bsm: `${district}000000000001`, lon, lat: 31.3 });
    }
  }, 120_000);
  afterAll(() => test?.drop());

  const surveys = async () => (await admin.get('/api/surveys')).json<Survey[]>();
  const changeSurvey = async (year: number) => (await surveys()).find((s) => s.kind === 'land_use_change' && s.year === year)!;

  it('freezes the baseline year only once its national survey is closed', async () => {
    const national = (await surveys()).find((s) => s.kind === 'national')!;
    expect(national).toMatchObject({ state: 'collecting', frozen: false });
    const open = expectError(await admin.post('/api/snapshots', { year: 2019 }), 409, 'SNAPSHOT_SURVEY_OPEN');
    expect(open.error.message.zh).toContain('汇交中');
    expect(open.error.message.en).toContain(national.id);
    // A district operator may not close a city-wide survey.
    expectError(await chongming.post(`/api/surveys/${national.id}/close`), 403, 'LIFECYCLE_NOT_YOUR_STEP');
    const closed = await admin.post(`/api/surveys/${national.id}/close`);
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toMatchObject({ state: 'closed', frozen: false });
    expectError(await admin.post(`/api/surveys/${national.id}/close`), 409, 'SURVEY_CLOSED');
    // A closed survey takes no more packages.
    expectError(await chongming.upload(`/api/submissions?surveyId=${national.id}`, 'late.geojson', Buffer.from('{}')), 409, 'SURVEY_CLOSED');
    expect((await admin.post('/api/snapshots', { year: 2019 })).statusCode).toBe(201);
    expect((await surveys()).find((s) => s.id === national.id)).toMatchObject({ state: 'closed', frozen: true });
  });

  it('freezes a change year only when every district with a baseline has an applied package or declared no change', async () => {
    const survey = await changeSurvey(2020);
    // Years freeze one after another: 2021 would fix 2020's days too, unchecked.
    expect(expectError(await admin.post('/api/snapshots', { year: 2021 }), 409, 'SNAPSHOT_YEAR_SKIPPED').error.details).toMatchObject({ firstUnfrozen: 2020 });
    expect((await admin.post(`/api/surveys/${survey.id}/close`)).statusCode).toBe(200);
    const missing = expectError(await admin.post('/api/snapshots', { year: 2020 }), 409, 'SNAPSHOT_DISTRICTS_INCOMPLETE');
    expect(missing.error.message.zh).toContain('浦东新区（310115）、崇明区（310151）');
    expect(missing.error.message.en).toContain('310115, 310151');
    expect(missing.error.details).toMatchObject({ year: 2020, districts: [{ districtCode: PUDONG, name: '浦东新区' }, { districtCode: CHONGMING, name: '崇明区' }] });

    // 崇明 sends a change package; 浦东 declares that nothing changed.
    await insertSubmission(test.db, CHONGMING, survey.id, 'applied');
    expect(expectError(await admin.post('/api/snapshots', { year: 2020 }), 409, 'SNAPSHOT_DISTRICTS_INCOMPLETE').error.details).toMatchObject({ districts: [{ districtCode: PUDONG }] });
    const declared = await pudong.post(`/api/surveys/${survey.id}/no-change-declarations`, { note: '经核查本年度无地类变化' });
    expect(declared.statusCode, declared.body).toBe(201);
    expect(declared.json()).toMatchObject({ surveyId: survey.id, districtCode: PUDONG, note: '经核查本年度无地类变化' });
    expect((await admin.post('/api/snapshots', { year: 2020 })).statusCode).toBe(201);
    expect(await changeSurvey(2020)).toMatchObject({ state: 'closed', frozen: true });
  });

  it('refuses a declaration from a district with an applied package, for another district, or twice; and records it', async () => {
    const survey = await changeSurvey(2021);
    await insertSubmission(test.db, CHONGMING, survey.id, 'applied');
    expectError(await chongming.post(`/api/surveys/${survey.id}/no-change-declarations`, {}), 409, 'NO_CHANGE_AFTER_APPLY');
    // Row-level security: a district declares for itself only.
    expectError(await pudong.post(`/api/surveys/${survey.id}/no-change-declarations`, { districtCode: CHONGMING }), 403, 'FORBIDDEN');
    // Not for a national survey.
    expectError(await admin.post(`/api/surveys/${await nationalSurveyId(test.db)}/no-change-declarations`, { districtCode: PUDONG }), 409, 'NO_CHANGE_NOT_APPLICABLE');
    const byCity = await admin.post(`/api/surveys/${survey.id}/no-change-declarations`, { districtCode: PUDONG });
    expect(byCity.statusCode, byCity.body).toBe(201);
    expectError(await pudong.post(`/api/surveys/${survey.id}/no-change-declarations`, {}), 409, 'CONFLICT');
    // 浦东 declared no change: a 浦东 package of the survey can no longer be applied.
    const late = await insertSubmission(test.db, PUDONG, survey.id, 'checked');
    // checked clean, as a quality run would leave it, and accepted by the city
    await asSystem(test.db, (tx) => tx.insertInto('qc_runs').values({ district_code: PUDONG, submission_id: late, state: 'finished', rules: '[]', findings: 0, blocking: 0 }).execute());
    expect((await admin.post(`/api/submissions/${late}/accept`)).statusCode).toBe(200);
    expectError(await admin.post(`/api/submissions/${late}/apply`), 409, 'NO_CHANGE_DECLARED');
    expect((await admin.post(`/api/submissions/${late}/reject`, { reason: '已声明本年度无变化' })).statusCode).toBe(200);

    const listed = (await chongming.get(`/api/surveys/${survey.id}/no-change-declarations`)).json<unknown[]>();
    expect(listed).toEqual([]); // 崇明 sees its own district's declarations only
    expect((await admin.get(`/api/surveys/${survey.id}/no-change-declarations`)).json()).toMatchObject([{ districtCode: PUDONG }]);
    const audit = await test.db.kysely.selectFrom('audit_log').select(['district_code', 'object_id']).where('action', '=', 'survey.no_change_declared').orderBy('id').execute();
    expect(audit).toEqual([
      { district_code: PUDONG, object_id: (await changeSurvey(2020)).id },
      { district_code: PUDONG, object_id: survey.id },
    ]);
    expect((await admin.post(`/api/surveys/${survey.id}/close`)).statusCode).toBe(200);
    expect((await admin.post('/api/snapshots', { year: 2021 })).statusCode).toBe(201);
  });

  it('refuses 2024 while its survey is 汇交中 and 浦东 has sent nothing, and 2025, which has no survey', async () => {
    for (const year of [2022, 2023]) {
      const survey = await changeSurvey(year);
      for (const client of [chongming, pudong]) expect((await client.post(`/api/surveys/${survey.id}/no-change-declarations`, {})).statusCode).toBe(201);
      expect((await admin.post(`/api/surveys/${survey.id}/close`)).statusCode).toBe(200);
      expect((await admin.post('/api/snapshots', { year })).statusCode).toBe(201);
    }
    const survey = await changeSurvey(2024);
    await insertSubmission(test.db, CHONGMING, survey.id, 'applied');
    expect(expectError(await admin.post('/api/snapshots', { year: 2024 }), 409, 'SNAPSHOT_SURVEY_OPEN').error.message.zh).toContain('2024年度土地利用变更调查');
    expect((await admin.post(`/api/surveys/${survey.id}/close`)).statusCode).toBe(200);
    const missing = expectError(await admin.post('/api/snapshots', { year: 2024 }), 409, 'SNAPSHOT_DISTRICTS_INCOMPLETE');
    expect(missing.error.message.zh).toContain('浦东新区（310115）');
    expect(missing.error.message.zh).not.toContain('崇明区');
    expect(await changeSurvey(2024)).toMatchObject({ frozen: false });
    expect((await pudong.post(`/api/surveys/${survey.id}/no-change-declarations`, {})).statusCode).toBe(201);
    expect((await admin.post('/api/snapshots', { year: 2024 })).statusCode).toBe(201);
    expect(await changeSurvey(2024)).toMatchObject({ state: 'closed', frozen: true });

    const none = expectError(await admin.post('/api/snapshots', { year: 2025 }), 409, 'SNAPSHOT_NO_SURVEY');
    expect(none.error.message.zh).toContain('2025');
    expect((await admin.get('/api/snapshots')).json<{ year: number }[]>().map((s) => s.year)).toEqual([2019, 2020, 2021, 2022, 2023, 2024]);
  });
});
