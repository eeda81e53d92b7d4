// The web page in a real Chromium (Debian's package, driven by playwright-core) against the real
// app on the embedded engine: the public page loads its data, logs in and out, and asks nothing of
// any other host. CI installs Chromium and requires it; a machine without it skips with a notice.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../support/data.ts';
import { openTestApp, type TestApp } from '../support/app.ts';
import { ARTIFACTS, canRun, launchChromium, listen, watchRequests } from './support.ts';

describe.skipIf(!canRun)('the web page in Chromium', () => {
  let test: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    test = await openTestApp('embedded');
    base = await listen(test);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await test?.drop();
  });

  it('shows the status (not the engine) and districts, logs a district operator in and out, and stays on this server', async () => {
    const page = await browser.newPage();
    const seen = watchRequests(page, base);
    await page.goto(base);
    await page.waitForFunction(() => document.querySelectorAll('#district-table tbody tr').length === 16);
    await page.waitForFunction(() => document.querySelectorAll('.district-label').length === 16);
    await page.waitForFunction(() => !document.querySelector('#health')?.hasAttribute('aria-busy'));
    // Anonymous visitors learn up or down only, no engine or versions (issue 13, item 15).
    expect(await page.textContent('#health')).toContain('运行正常');
    expect(await page.textContent('#health')).not.toMatch(/PGlite|PostGIS|PostgreSQL/);
    expect(await page.isHidden('#nav')).toBe(true);

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
    expect(await page.isVisible('[data-route="upload"]')).toBe(true);
    expect(await page.isHidden('#login-form')).toBe(true);
    expect(await page.textContent('.district-label.own')).toBe('崇明区');
    await page.screenshot({ path: `${ARTIFACTS}/logged-in.png` });

    await page.click('#logout');
    await page.waitForSelector('#login-form:not([hidden])');
    expect(await page.isHidden('#current-user')).toBe(true);
    expect(seen.foreign).toEqual([]);
    expect(seen.failed).toEqual([]);
  });
});
