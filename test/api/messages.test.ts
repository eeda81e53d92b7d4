// Refusals are whole in each language: no English words or ISO timestamps in the Chinese text,
// dates as people in Shanghai write them. (The hostile-parameter walk checks every validation
// refusal the same way; these are the messages built from the platform's own data.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiTime } from '../../server/errors.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD, nationalSurveyId, PUDONG } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { messageLeaks } from '../support/messages.ts';
import { dltbPackage, tempDir } from '../support/packages.ts';
import { expectError } from './helpers.ts';

describe('shanghaiTime', () => {
  it('writes a moment in Shanghai time, as people write it in each language', () => {
    expect(shanghaiTime(new Date('2026-12-04T13:12:11.561Z'))).toEqual({ zh: '2026年12月4日 21:12', en: '2026-12-04 21:12 (UTC+8)' });
    // Past midnight in Shanghai is the next day.
    expect(shanghaiTime(new Date('2026-12-31T16:05:00Z'))).toEqual({ zh: '2027年1月1日 00:05', en: '2027-01-01 00:05 (UTC+8)' });
  });
});

describe.each(ENGINES)('messages whole in each language (%s engine)', (engine) => {
  let test: TestApp;
  let chongming: TestClient;
  let surveyId: string;

  beforeAll(async () => {
    test = await openTestApp(engine, { ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
    chongming = new TestClient(test.app);
    expect((await chongming.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    surveyId = await nationalSurveyId(test.db);
  });
  afterAll(() => test?.drop());

  it('refuses an upload for another district in Chinese without English words', async () => {
    const body = expectError(await chongming.upload(`/api/submissions?surveyId=${surveyId}&districtCode=${PUDONG}`, 'a.zip', await dltbPackage(2)), 403, 'FORBIDDEN');
    expect(messageLeaks(body.error.message.zh)).toEqual([]);
    expect(body.error.message.zh).toContain(PUDONG);
    expect(body.error.message.en).toMatch(/another district/);
  });

  it('refuses a role its route in Chinese without English words', async () => {
    const body = expectError(await chongming.get('/api/users'), 403, 'FORBIDDEN');
    expect(messageLeaks(body.error.message.zh)).toEqual([]);
    expect(body.error.details).toEqual({ route: 'GET /api/users' });
  });

  it('dates the earlier submission of the same file in Shanghai time, not as an ISO timestamp', async () => {
    const content = await dltbPackage(2);
    const first = await chongming.upload(`/api/submissions?surveyId=${surveyId}`, 'a.zip', content);
    expect(first.statusCode, first.body).toBe(202);
    await test.app.imports.idle();
    const body = expectError(await chongming.upload(`/api/submissions?surveyId=${surveyId}`, 'b.zip', content), 409, 'PACKAGE_ALREADY_SUBMITTED');
    const { zh, en } = body.error.message;
    expect(messageLeaks(zh)).toEqual([]);
    const submittedAt = new Date(String(body.error.details?.submittedAt));
    expect(zh).toContain(shanghaiTime(submittedAt).zh);
    expect(en).toContain(shanghaiTime(submittedAt).en);
    expect(zh).toMatch(/\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/);
    expect(`${zh} ${en}`).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });

  it('tells a validation failure in Chinese, naming the parameter and its bound', async () => {
    const admin = new TestClient(test.app);
    await admin.login('admin', DEMO_PASSWORD);
    const body = expectError(await admin.get('/api/audit-log?limit=5001'), 400, 'VALIDATION_FAILED');
    expect(body.error.message.zh).toBe('请求不符合要求：查询参数 `limit` 不得大于 1000');
    expect(body.error.message.en).toMatch(/limit must be <= 1000/);
  });
});
