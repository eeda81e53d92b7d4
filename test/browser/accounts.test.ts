// The accounts page (#/accounts) in a real Chromium: the city administrator creates a district
// operator's account by filling the form, the new account appears in the list and can log in;
// the city auditor reads the list without the form; a district operator has no such page.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { canRun, launchChromium, listen, signIn, watchRequests } from './support.ts';

describe.skipIf(!canRun)('the accounts page in Chromium', () => {
  let test: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    test = await openTestApp('embedded');
    base = await listen(test);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await test?.drop();
  });

  it('lets the city administrator create an account that then logs in', async () => {
    const page: Page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen = watchRequests(page, base);
    await page.goto(base);
    await signIn(page, 'admin');
    await page.click('[data-route="accounts"]');
    await page.waitForSelector('#accounts-view:not([hidden]) tr[data-username="chongming"]');
    const form = '#accounts-view form.accounts-form';
    await page.fill(`${form} [name="username"]`, 'chongming2');
    await page.fill(`${form} [name="displayName"]`, '崇明区局操作员二');
    await page.selectOption(`${form} [name="role"]`, 'district_operator');
    await page.selectOption(`${form} [name="districtCode"]`, '310151');
    await page.fill(`${form} [name="password"]`, 'chongming-new-2026');
    await page.click(`${form} button[type="submit"]`);
    const row = '#accounts-view tr[data-username="chongming2"]';
    await page.waitForSelector(row);
    expect(await page.textContent(row)).toContain('崇明区');
    expect(await page.textContent(row)).toContain('崇明区局操作员二');
    expect(await page.textContent('#accounts-view')).toContain('已创建账户 chongming2');

    const created = new TestClient(test.app);
    expect((await created.login('chongming2', 'chongming-new-2026')).statusCode).toBe(200);
    expect((await created.get('/api/auth/session')).json<{ user: { role: string; districtCode: string } }>().user).toMatchObject({ role: 'district_operator', districtCode: '310151' });
    expect(seen.failed).toEqual([]);
    expect(seen.errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows the city auditor the list without the form, and a district operator no page', async () => {
    const auditor = await browser.newPage();
    await auditor.goto(base);
    await signIn(auditor, 'auditor');
    await auditor.click('[data-route="accounts"]');
    await auditor.waitForSelector('#accounts-view:not([hidden]) tr[data-username="admin"]');
    expect(await auditor.isHidden('#accounts-view form.accounts-form')).toBe(true);
    await auditor.close();

    const district = await browser.newPage();
    await district.goto(`${base}/#/accounts`);
    await signIn(district, 'pudong');
    expect(await district.isHidden('[data-route="accounts"]')).toBe(true);
    await district.waitForSelector('#map-view:not([hidden])');
    expect(await district.isHidden('#accounts-view')).toBe(true);
    await district.close();
  }, 120_000);
});
