// The upload page offers the survey that fits the district, in a real Chromium: 崇明 without a
// baseline is offered the national survey (its first package is a baseline), and once its
// baseline is applied, the open 2024 change survey; a line under the choice says what it takes.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../support/app.ts';
import { CHONGMING, insertSubmission, nationalSurveyId } from '../support/data.ts';
import { tempDir } from '../support/packages.ts';
import { canRun, launchChromium, listen, signIn } from './support.ts';

describe.skipIf(!canRun)('the survey the upload page offers, in Chromium', () => {
  let test: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    test = await openTestApp('embedded', { ARCHIVE_DIR: tempDir('lsp-archive-') });
    base = await listen(test);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await test?.drop();
  });

  async function offered(page: Page): Promise<{ survey: string; hint: string }> {
    await page.click('[data-route="upload"]');
    await page.waitForSelector('#upload-view:not([hidden])');
    await page.waitForFunction(() => (document.getElementById('survey-hint')?.textContent ?? '') !== '');
    return { survey: await page.inputValue('#survey-select'), hint: (await page.textContent('#survey-hint')) ?? '' };
  }

  it('offers the national survey until the district has a baseline, then the open change survey', async () => {
    const national = await nationalSurveyId(test.db);
    const change2024 = (await test.db.kysely.selectFrom('surveys').select('id').where('kind', '=', 'land_use_change').where('year', '=', 2024).executeTakeFirstOrThrow()).id;
    const page = await browser.newPage();
    await page.goto(base);
    await signIn(page, 'chongming');
    expect(await offered(page)).toMatchObject({ survey: national, hint: expect.stringContaining('基础成果') });

    // The district's baseline is applied (as the city would): its next packages are changes.
    await insertSubmission(test.db, CHONGMING, national, 'applied');
    await page.reload();
    await page.waitForSelector('#current-user:not([hidden])');
    expect(await offered(page)).toMatchObject({ survey: change2024, hint: expect.stringContaining('BGQBSM') });
    await page.close();
  });
});
