// The web page in a real Chromium (Debian's package, driven by playwright-core) against the real
// app on the embedded engine: the page loads its data, logs in and out, and asks nothing of any
// other host. CI installs Chromium and requires it; a machine without it skips with a notice.
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { DEMO_PASSWORD } from '../support/data.ts';
import { openTestApp, type TestApp } from '../support/app.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
const haveWebBuild = fs.existsSync(`${loadConfig({}).webDistDir}/index.html`);
if (process.env.CI && (!haveChromium || !haveWebBuild)) {
  throw new Error(`browser tests need ${CHROMIUM} and a built web app (npm run build:web) under CI`);
}
if (!haveChromium) console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!haveChromium || !haveWebBuild)('the web page in Chromium', () => {
  let test: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    test = await openTestApp('embedded');
    await test.app.listen({ host: '127.0.0.1', port: 0 });
    const address = test.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await test?.drop();
  });

  it('shows the engine and districts, logs a district operator in and out, and stays on this server', async () => {
    const page = await browser.newPage();
    const foreign: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(base) && !request.url().startsWith('data:')) foreign.push(request.url());
    });
    await page.goto(base);
    await page.waitForFunction(() => document.querySelectorAll('#district-table tbody tr').length === 16);
    expect(await page.textContent('#health')).toContain('PGlite');

    await page.fill('#username', 'chongming');
    await page.fill('#password', 'not-the-password');
    await page.click('#login-submit');
    await page.waitForFunction(() => document.querySelector('#login-error')?.textContent?.trim());
    expect(await page.textContent('#login-error')).toContain('用户名或密码错误');

    await page.fill('#password', DEMO_PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#current-user:not([hidden])');
    const who = await page.textContent('#current-user');
    expect(who).toContain('区级操作员');
    expect(who).toContain('崇明区');
    await page.screenshot({ path: 'test-results/browser-logged-in.png' });

    await page.click('#logout');
    await page.waitForSelector('#login-form:not([hidden])');
    expect(foreign).toEqual([]);
  });
});
