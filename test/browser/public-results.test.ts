// What an anonymous visitor is given, in a real Chromium against the real app: with a small demo
// history on 宝山 (2019 baseline, 2020-2023 changes, every year frozen; 2023 published by the
// history, 2022 approved and published here through the API), the side panel lists the published
// days, the map draws the latest one's parcels (the land-use tiles the page fetched carry
// features), and the results page shows that day's statistics, which match the API, the flow table
// 2022 → 2023 and downloads. After both publications are withdrawn through the API, the panel says
// nothing is published and the very tiles fetched before come back empty.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoHistory } from '../../server/seed/demo-history.ts';
import { seedDemoPackages, type DemoPackage } from '../../server/seed/demo-packages.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD } from '../support/data.ts';
import { tempDir } from '../support/packages.ts';
import { ARTIFACTS, canRun, launchChromium, listen, waitForMap, watchRequests } from './support.ts';

const BAOSHAN: DemoPackage[] = [{ districtCode: '310113', operator: 'auditor', parcels: 400, seed: 2019 }];

interface Publication {
  id: string;
  surveyId: string;
  year: number;
  day: string;
}

describe.skipIf(!canRun)('the public results in Chromium', { timeout: 180_000 }, () => {
  let test: TestApp;
  let browser: Browser;
  let base: string;
  let admin: TestClient;
  let published: Publication[];

  beforeAll(async () => {
    test = await openTestApp('embedded', { ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
    await seedDemoPackages(test.app, BAOSHAN);
    const log: string[] = [];
    await seedDemoHistory(test.app, { info: (message) => log.push(message) }, BAOSHAN);
    expect(log.filter((message) => !/applied and frozen/.test(message))).toEqual([]);
    admin = new TestClient(test.app);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    // 2022 too, so that a flow table has two published days. The demo's 2022 is 内部 and no route
    // sets a survey's secrecy yet: made 公开 as the owner.
    const survey2022 = (await admin.get('/api/surveys')).json<{ id: string; kind: string; scope: string; year: number }[]>().find((s) => s.kind === 'land_use_change' && s.scope === 'city' && s.year === 2022)!;
    await test.db.scriptTransaction((exec) => exec(`UPDATE surveys SET secrecy = 'public' WHERE id = $1`, [survey2022.id]));
    for (const body of [
      { action: 'approve', opinion: '同意', document: { number: '沪府土调〔2023〕2号', date: '2023-03-31' } },
      { action: 'publish', opinion: '公布 2022 年度成果' },
    ]) {
      const response = await admin.post(`/api/surveys/${survey2022.id}/decisions`, body);
      expect(response.statusCode, response.body).toBe(200);
    }
    published = (await new TestClient(test.app).get('/api/publications?standing=true')).json<Publication[]>();
    expect(published.map((p) => p.year).sort()).toEqual([2022, 2023]);
    base = await listen(test);
    browser = await launchChromium();
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await test?.drop();
  });

  /** Opens the public page, collecting the land-use tiles it fetched and how many bytes each held. */
  async function openPublicPage(): Promise<{ page: Page; seen: ReturnType<typeof watchRequests>; tiles: Map<string, number> }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const seen = watchRequests(page, base);
    const tiles = new Map<string, number>();
    page.on('response', (response) => {
      if (!response.url().includes('/tiles/land_use/')) return;
      void response.body().then((body) => tiles.set(response.url(), body.length), () => undefined);
    });
    await page.goto(base);
    await page.waitForSelector('#public-results-list > *:not(.muted)', { timeout: 60_000 }).catch(() => undefined);
    return { page, seen, tiles };
  }

  it('lists the published days, draws the latest on the map, and shows its tables and downloads', async () => {
    const { page, seen, tiles } = await openPublicPage();
    const latest = [...published].sort((a, b) => b.day.localeCompare(a.day))[0]!;
    const earlier = published.find((p) => p !== latest)!;
    await page.waitForFunction(() => document.querySelectorAll('#public-results-list .published-day').length === 2);
    expect(await page.$$eval('#public-results-list .published-day', (items) => items.map((item) => (item as HTMLElement).dataset.day))).toEqual([latest.day, earlier.day]);
    await waitForMap(page, 0, `data=1;asOf=${latest.day}`);
    await page.waitForFunction(() => document.querySelector('#public-results-list .published-day.current'));
    // Let the last tiles' bodies be read.
    await page.waitForTimeout(500);
    const fetched = [...tiles].filter(([url]) => url.includes(`asOf=${latest.day}`));
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.some(([, bytes]) => bytes > 0)).toBe(true);
    // The anonymous visitor still has no menu and no reader's controls.
    expect(await page.isHidden('#nav')).toBe(true);
    expect(await page.isHidden('#reader-side')).toBe(true);

    await page.screenshot({ path: `${ARTIFACTS}/public-results-map.png` });
    await page.click(`#public-results-list .published-day[data-day="${latest.day}"] button.link`);
    await page.waitForSelector('#results-view:not([hidden]) #results-classes');
    expect(page.url()).toContain('#/results');
    const statistics = (await new TestClient(test.app).get(`/api/statistics?asOf=${latest.day}`)).json<{ city: { total: { ha: string; parcels: number }; classes: { code: string }[] } }>();
    const rows = await page.$$eval('#results-classes tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.length).toBe(statistics.city.classes.length + 1);
    expect(rows.at(-1)).toEqual(['', '合计', statistics.city.total.ha, expect.any(String), String(statistics.city.total.parcels)]);
    expect(statistics.city.total.parcels).toBeGreaterThan(0);
    // The flow table of the two published days, its last cell the later day's total.
    await page.waitForSelector('#results-flow-table');
    await page.screenshot({ path: `${ARTIFACTS}/public-results-tables.png`, fullPage: true });
    const lastRow = await page.$$eval('#results-flow-table tbody tr:last-child td', (tds) => tds.map((td) => td.textContent));
    expect(lastRow.at(-1)).toBe(statistics.city.total.ha);
    expect(await page.textContent('#results-flow')).toContain(`${earlier.day} → ${latest.day}`);
    // Every download answers with a file, fetched as the page's anonymous visitor.
    const hrefs = await page.$$eval('#results-downloads a', (links) => links.map((a) => (a as HTMLAnchorElement).getAttribute('href')!));
    expect(hrefs).toHaveLength(4);
    for (const href of hrefs) {
      const answer = await page.evaluate(async (url) => {
        const response = await fetch(url);
        return { status: response.status, type: response.headers.get('content-type') ?? '', bytes: (await response.arrayBuffer()).byteLength };
      }, href);
      expect(answer.status, href).toBe(200);
      expect(answer.type).toMatch(href.includes('xlsx') ? /spreadsheetml/ : /text\/csv/);
      expect(answer.bytes).toBeGreaterThan(100);
    }
    expect(seen.foreign).toEqual([]);
    expect(seen.failed).toEqual([]);
    await page.close();

    // Withdrawn through the API: nothing is offered, and the same tiles now hold nothing.
    for (const publication of published) {
      const response = await admin.post(`/api/surveys/${publication.surveyId}/decisions`, { action: 'withdraw', opinion: '撤回公布（测试）' });
      expect(response.statusCode, response.body).toBe(200);
    }
    const after = await openPublicPage();
    await after.page.waitForFunction(() => document.querySelector('#public-results-list')?.textContent?.includes('暂无已公布的调查成果'));
    await waitForMap(after.page, 0, 'data=0');
    expect([...after.tiles.keys()]).toEqual([]);
    const full = fetched.filter(([, bytes]) => bytes > 0).map(([url]) => url);
    const bytes = await after.page.evaluate(async (urls) => Promise.all(urls.map(async (url) => (await (await fetch(url)).arrayBuffer()).byteLength)), full);
    expect(bytes.every((n) => n === 0)).toBe(true);
    await after.page.goto(`${base}/#/results`);
    await after.page.waitForSelector('#results-view:not([hidden])');
    await after.page.waitForFunction(() => document.querySelector('#results-note')?.textContent?.includes('暂无'));
    expect(await after.page.$$('#results-classes')).toHaveLength(0);
    await after.page.close();
  });
});
