// 进度督导 in a real Chromium against the real app. The city has set deadlines for a change
// survey (through the API): 浦东新区's package was due 30 days ago and has not come, 崇明区's is
// due in two months. The city administrator sees 浦东 late on the board and issues a bulletin
// with 立即发布进度通报; it is listed with its XLSX. 浦东's operator finds it in the inbox (the
// header counting it unread) and marks it read; 崇明's operator, not behind, has no bulletin and
// reports its progress through the form.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiToday } from '../../server/modules/progress/steps.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { CHONGMING, DEMO_PASSWORD, PUDONG } from '../support/data.ts';
import { ARTIFACTS, canRun, launchChromium, listen, signIn, watchRequests } from './support.ts';

const dayOffset = (days: number) => new Date(Date.parse(`${shanghaiToday()}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

describe.skipIf(!canRun)('progress supervision in Chromium', { timeout: 180_000 }, () => {
  let test: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    test = await openTestApp('embedded');
    const admin = new TestClient(test.app);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    const created = await admin.post('/api/surveys', { kind: 'land_use_change', scope: 'city', year: 2026, timePoint: '2026-12-31', title: '2026年度土地利用变更调查（督导）' });
    expect(created.statusCode, created.body).toBe(201);
    const surveyId = created.json<{ id: string }>().id;
    for (const [districtCode, dueDate] of [[PUDONG, dayOffset(-30)], [CHONGMING, dayOffset(60)]] as const) {
      const response = await admin.request('PUT', '/api/progress/deadlines', { body: { surveyId, districtCode, step: 'received', dueDate } });
      expect(response.statusCode, response.body).toBe(200);
    }
    base = await listen(test);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await test?.drop();
  });

  it('lets the city issue a bulletin from the board, which reaches the district behind', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen = watchRequests(page, base);
    await page.goto(base);
    await signIn(page, 'admin');
    await page.click('[data-route="progress"]');
    const late = page.locator('#progress-board tr.overdue');
    await late.waitFor();
    expect(await late.textContent()).toContain('浦东新区');
    expect(await late.textContent()).toContain('逾期 30 天');
    expect(await page.locator('#progress-board tr.overdue').count()).toBe(1);
    await page.click('#issue-bulletin');
    await page.waitForFunction(() => document.getElementById('bulletin-status')?.textContent?.includes('已发布第 1 期'));
    const listed = await page.textContent('#bulletin-list');
    expect(listed).toContain('第 1 期');
    expect(listed).toContain('浦东新区');
    const href = await page.getAttribute('#bulletin-list a[download]', 'href');
    const download = await page.evaluate(async (url) => {
      const response = await fetch(url!);
      return { status: response.status, type: response.headers.get('content-type'), start: new Uint8Array(await response.arrayBuffer()).slice(0, 2) };
    }, href);
    expect(download.status).toBe(200);
    expect(download.type).toContain('spreadsheetml');
    expect(String.fromCharCode(...Object.values(download.start))).toBe('PK');
    await page.screenshot({ path: `${ARTIFACTS}/progress-board.png`, fullPage: true });
    await page.click('#logout');
    await page.waitForSelector('#login-form');

    await signIn(page, 'pudong');
    await page.waitForFunction(() => document.getElementById('inbox-count')?.textContent === '1');
    await page.click('[data-route="inbox"]');
    const notice = page.locator('#inbox-view .notice[data-kind="bulletin"]');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('土地调查进度通报');
    expect(await notice.textContent()).toContain('重点督导：浦东新区');
    await page.screenshot({ path: `${ARTIFACTS}/progress-inbox.png`, fullPage: true });
    await notice.locator('button', { hasText: '标为已读' }).click();
    await page.waitForSelector('#inbox-view .notice.read[data-kind="bulletin"]');
    expect(await page.isHidden('#inbox-count')).toBe(true);
    await page.click('#logout');
    await page.waitForSelector('#login-form');

    // 崇明 is not behind: no bulletin for it; it reports its progress.
    await signIn(page, 'chongming');
    await page.click('[data-route="inbox"]');
    await page.waitForFunction(() => document.getElementById('inbox-view')?.textContent?.includes('暂无消息'));
    await page.click('[data-route="progress"]');
    const form = page.locator('#report-form');
    await form.waitFor();
    await form.locator('select').selectOption({ label: '2026年度土地利用变更调查（督导）' });
    await form.locator('input[type="number"]').fill('45');
    await form.locator('input[type="text"]').fill('外业调查过半');
    await form.locator('button[type="submit"]').click();
    await page.waitForFunction(() => document.getElementById('report-history')?.textContent?.includes('45%'));
    expect(await page.textContent('#report-history')).toContain('外业调查过半');
    expect(await page.textContent('#progress-board')).toContain('45%');
    expect(await page.textContent('#progress-board')).not.toContain('浦东新区');
    expect(seen.foreign).toEqual([]);
    expect(seen.failed).toEqual([]);
    expect(seen.errors).toEqual([]);
    await page.close();
  });
});
