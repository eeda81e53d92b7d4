// The district operator's upload page in a real Chromium against the real app: a generated 崇明
// package with seeded defects goes up with a progress bar (upload throttled, so the XHR's
// progress shows), is imported and checked while the page polls, and its quality report lists
// the findings; a finding opens the map on its place with the run's findings drawn (pixels).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePackage } from '../../server/seed/generator/package.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD } from '../support/data.ts';
import { tempDir } from '../support/packages.ts';
import { canRun, countNear, hexRgb, idleCount, launchChromium, listen, mapImage, signIn, waitForMap, watchRequests } from './support.ts';

describe.skipIf(!canRun)('the upload page in Chromium', () => {
  let test: TestApp;
  let browser: Browser;
  let base: string;
  let client: TestClient;
  let zipPath: string;
  let nationalSurvey: string;

  beforeAll(async () => {
    test = await openTestApp('embedded', { ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
    const out = tempDir('lsp-upload-');
    const generated = await generatePackage({
      districtCode: '310151',
      parcels: 1500,
      seed: 2019,
      outDir: out,
      defects: { overlap: 2, wrong_code: 2, area_mismatch: 2, sliver: 1, outside_district: 1 },
    });
    // A name as a district bureau would give it.
    zipPath = path.join(out, '崇明区-2019-三调成果.zip');
    fs.renameSync(generated.zipPath, zipPath);
    client = new TestClient(test.app);
    expect((await client.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    nationalSurvey = (await client.get('/api/surveys')).json<{ id: string; kind: string }[]>().find((survey) => survey.kind === 'national')!.id;
    base = await listen(test);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await test?.drop();
  });

  it('uploads with a progress bar, follows the import and checks, lists the findings, and opens one on the map', async () => {
    const page: Page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const seen = watchRequests(page, base);
    await page.goto(base);
    await signIn(page, 'chongming');
    expect(await page.textContent('#current-user')).toContain('崇明区');
    await page.click('[data-route="upload"]');
    await page.waitForSelector('#upload-view:not([hidden])');
    await page.waitForFunction(() => document.querySelectorAll('#survey-select option').length > 0);
    await page.selectOption('#survey-select', nationalSurvey);
    await page.setInputFiles('#package-file', zipPath);

    // Every state the progress box shows, as it shows it.
    await page.evaluate(() => {
      const box = document.getElementById('upload-progress')!;
      const seen: [string, number, string][] = [];
      (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
      const record = () =>
        seen.push([document.getElementById('progress-phase')!.textContent ?? '', (document.getElementById('progress-bar') as HTMLProgressElement).value, document.getElementById('progress-label')!.textContent ?? '']);
      new MutationObserver(record).observe(box, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    // A slow line, so the upload takes a few seconds and its progress can be seen.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    const size = fs.statSync(zipPath).size;
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 5, downloadThroughput: -1, uploadThroughput: Math.ceil(size / 3) });
    await page.click('#upload-submit');
    await page.waitForSelector('#quality-report:not([hidden]) .rule-summary', { timeout: 240_000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    const progress = await page.evaluate(() => (window as unknown as { progressSeen: [string, number, string][] }).progressSeen);
    fs.writeFileSync('test-results/browser/upload-progress.json', JSON.stringify(progress, null, 1));
    const uploading = progress.filter(([phase]) => phase === '上传');
    expect(uploading.some(([, value]) => value > 0 && value < 100), JSON.stringify(uploading)).toBe(true);
    expect(progress.some(([phase]) => phase === '导入' || phase === '质检')).toBe(true);
    expect(progress.at(-1)![0]).toBe('完成');
    // The bar only moves forward within a phase.
    for (const phase of ['上传', '导入', '质检']) {
      const values = progress.filter(([p]) => p === phase).map(([, value]) => value);
      expect(values, phase).toEqual([...values].sort((a, b) => a - b));
    }

    // The submission as the API has it: rejected (blocking findings), with its latest run.
    const submission = (await client.get('/api/submissions')).json<{ id: string; state: string }[]>()[0]!;
    expect(submission.state).toBe('rejected');
    const run = (await client.get(`/api/submissions/${submission.id}/quality`)).json<{ id: string; findings: number; summary: { ruleId: string; findings: number }[] }>();
    expect(run.findings).toBeGreaterThan(0);

    const report = (await page.textContent('#quality-report'))!;
    expect(report).toContain('未通过');
    expect(report).toContain(`共发现 ${run.findings.toLocaleString('zh-CN')} 个问题`);
    const rulesWithFindings = run.summary.filter((entry) => entry.findings > 0).map((entry) => entry.ruleId).sort();
    const rows = await page.$$eval('.rule-summary tr.has-findings', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.rule!).sort());
    expect(rows).toEqual(rulesWithFindings);
    expect(await page.locator('ol.findings li.finding').count()).toBe(Math.min(50, run.findings));
    await page.screenshot({ path: 'test-results/browser/upload-report.png', fullPage: true });
    // The district's submissions, this one among them.
    expect(await page.locator(`#submission-table tr[data-submission="${submission.id}"]`).count()).toBe(1);

    // A finding opens the map on its place, with the run's findings drawn.
    const before = await idleCount(page);
    await page.click('ol.findings li.finding.clickable');
    await page.waitForSelector('#map-view:not([hidden])');
    expect(await page.isHidden('#upload-view')).toBe(true);
    expect(await page.evaluate(() => window.location.hash)).toBe('#/map');
    await waitForMap(page, before, `run=${run.id}`);
    expect(await page.inputValue('#run-select')).toBe(submission.id);
    const image = await mapImage(page, 'finding-on-map');
    const findingPixels = ['#d7191c', '#f59e0b', '#2b83ba'].reduce((sum, colour) => sum + countNear(image, hexRgb(colour), 30), 0);
    expect(findingPixels).toBeGreaterThan(30);
    expect(seen.tiles.some((url) => url.startsWith(`/tiles/findings/`) && url.includes(`runId=${run.id}`))).toBe(true);

    // The same package again is refused, and the page shows that submission's report instead.
    await page.click('[data-route="upload"]');
    await page.selectOption('#survey-select', nationalSurvey);
    await page.setInputFiles('#package-file', zipPath);
    await page.click('#upload-submit');
    await page.waitForSelector('#upload-error:not([hidden])');
    expect(await page.textContent('#upload-error')).toContain('下方显示该提交的报告');
    await page.waitForSelector('#quality-report:not([hidden]) .rule-summary');

    expect(seen.foreign).toEqual([]);
    expect(seen.failed).toEqual([]);
  });
});
