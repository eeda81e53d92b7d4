// The same file uploaded eight times at once, on both engines: one submission per file, survey and
// district is the database's rule (unique index submissions_one_per_file), so exactly one upload
// gets 202 and the seven others 409 PACKAGE_ALREADY_SUBMITTED naming it, and one row exists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD, nationalSurveyId } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { dltbPackage, tempDir } from '../support/packages.ts';
import type { ErrorResponseBody } from './helpers.ts';

describe.each(ENGINES)('concurrent uploads of one file on the %s engine', (engine) => {
  let test: TestApp;
  let client: TestClient;
  let surveyId: string;

  beforeAll(async () => {
    test = await openTestApp(engine, { ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
    client = new TestClient(test.app);
    expect((await client.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    surveyId = await nationalSurveyId(test.db);
  });
  afterAll(() => test?.drop());

  it('makes one submission of eight simultaneous uploads; the others get 409 naming it', async () => {
    const content = await dltbPackage(40);
    const responses = await Promise.all(Array.from({ length: 8 }, (_, k) => client.upload(`/api/submissions?surveyId=${surveyId}`, `same-${k}.zip`, content)));
    await test.app.imports.idle();
    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses, responses.map((response) => response.body).join('\n')).toEqual([202, 409, 409, 409, 409, 409, 409, 409]);
    const winner = responses.find((response) => response.statusCode === 202)!.json<{ id: string; sha256: string }>();
    for (const response of responses.filter((r) => r.statusCode === 409)) {
      const body = response.json<ErrorResponseBody>();
      expect(body.error.code).toBe('PACKAGE_ALREADY_SUBMITTED');
      expect(body.error.details).toMatchObject({ submissionId: winner.id });
    }
    const rows = await test.db.kysely.selectFrom('submissions').select(['id']).where('sha256', '=', winner.sha256).execute();
    expect(rows.map((row) => row.id)).toEqual([winner.id]);
  });
});
