// A district correcting a returned package, in a real Chromium against the real app: 崇明 uploads
// a generated package with a sliver (findings that do not block) through the API, it is
// imported and checked, and the city auditor returns it through the API with two 整改
// requirements, one pointing at that finding. On 本区成果 the district sees it in its 整改 list
// (the requirements and the finding's text) and its round with the decision; 上传整改成果 opens
// the upload page on that survey saying the package is round 2; the corrected package sent
// through the page becomes round 2, linked to round 1, on the page and in the API.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePackage } from '../../server/seed/generator/package.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD } from '../support/data.ts';
import { tempDir } from '../support/packages.ts';
import { ARTIFACTS, canRun, launchChromium, listen, signIn, watchRequests } from './support.ts';

interface Submission {
  id: string;
  state: string;
  round: number;
  correctsSubmissionId: string | null;
  surveyId: string;
}

describe.skipIf(!canRun)('a district correcting a returned package in Chromium', { timeout: 300_000 }, () => {
  let test: TestApp;
  let browser: Browser;
  let base: string;
  let district: TestClient;
  let returned: Submission;
  let finding: { findingNo: number; message: { zh: string } };
  let correctedZip: string;

  beforeAll(async () => {
    test = await openTestApp('embedded', { ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
    const out = tempDir('lsp-rectify-');
    const first = await generatePackage({ districtCode: '310151', parcels: 300, seed: 2019, outDir: path.join(out, 'first'), defects: { sliver: 1 } });
    const corrected = await generatePackage({ districtCode: '310151', parcels: 300, seed: 2020, outDir: path.join(out, 'second') });
    correctedZip = path.join(out, '崇明区-三调成果-整改.zip');
    fs.renameSync(corrected.zipPath, correctedZip);

    district = new TestClient(test.app);
    expect((await district.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    const survey = (await district.get('/api/surveys')).json<{ id: string; kind: string }[]>().find((s) => s.kind === 'national')!;
    // The sliver also leaves its neighbour's TBMJ off: the city makes that a warning for this
    // survey, so the package passes its checks with findings the city can point at.
    const admin = new TestClient(test.app);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    const setting = await admin.request('PUT', `/api/surveys/${survey.id}/quality-rules/AREA_TBMJ`, { body: { severity: 'warning' } });
    expect(setting.statusCode, setting.body).toBe(200);
    const sent = await district.upload(`/api/submissions?surveyId=${survey.id}`, '崇明区-三调成果.zip', fs.readFileSync(first.zipPath));
    expect(sent.statusCode, sent.body).toBe(202);
    const id = sent.json<{ id: string }>().id;
    await test.app.imports.idle();
    expect((await district.get(`/api/submissions/${id}`)).json<{ state: string }>().state).toBe('checked');
    const run = (await district.get(`/api/submissions/${id}/quality`)).json<{ id: string }>();
    const findings = (await district.get(`/api/quality-runs/${run.id}/findings`)).json<{ findings: (typeof finding)[] }>().findings;
    expect(findings.length).toBeGreaterThan(0);
    finding = findings[0]!;

    const auditor = new TestClient(test.app);
    expect((await auditor.login('auditor', DEMO_PASSWORD)).statusCode).toBe(200);
    const decided = await auditor.post(`/api/submissions/${id}/decisions`, {
      action: 'return',
      opinion: '成果存在碎图斑，退回整改',
      rectification: [
        { requirement: '消除碎图斑并重新计算面积', findings: [finding.findingNo] },
        { requirement: '补充权属调查说明' },
      ],
    });
    expect(decided.statusCode, decided.body).toBe(200);
    returned = (await district.get(`/api/submissions/${id}/record`)).json<{ submission: Submission }>().submission;
    expect(returned.state).toBe('rejected');
    base = await listen(test);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await test?.drop();
  });

  it('shows the return in the 整改 list and uploads the correction as round 2, linked to round 1', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen = watchRequests(page, base);
    await page.goto(base);
    await signIn(page, 'chongming');
    await page.click('[data-route="district"]');
    await page.waitForSelector('#district-view:not([hidden]) .rectify-item');

    const item = page.locator(`.rectify-item[data-submission="${returned.id}"]`);
    const text = await item.textContent();
    expect(text).toContain('第 1 轮');
    expect(text).toContain('成果存在碎图斑，退回整改');
    expect(text).toContain('消除碎图斑并重新计算面积');
    expect(text).toContain('补充权属调查说明');
    expect(await item.locator(`[data-finding="${finding.findingNo}"]`).textContent()).toContain(finding.message.zh);
    // The round, its state and the decision with who took it.
    const round = page.locator(`#district-chains li.round[data-submission="${returned.id}"]`);
    expect(await round.locator('.round-state').textContent()).toBe('已退回（须整改）');
    expect(await round.locator('li.decision[data-action="return"]').textContent()).toContain('市级审核员');

    await page.screenshot({ path: `${ARTIFACTS}/district-rectify.png`, fullPage: true });
    await item.locator('button', { hasText: '上传整改成果' }).click();
    await page.waitForSelector('#upload-view:not([hidden])');
    await page.waitForFunction((id) => document.getElementById('survey-hint')?.dataset.corrects === id, returned.id);
    expect(await page.inputValue('#survey-select')).toBe(returned.surveyId);
    expect(await page.textContent('#survey-hint')).toContain('第 2 轮，更正第 1 轮');
    await page.setInputFiles('#package-file', correctedZip);
    await page.click('#upload-submit');
    await page.waitForSelector('#quality-report:not([hidden]) .rule-summary', { timeout: 240_000 });

    const all = (await district.get('/api/submissions')).json<Submission[]>();
    const second = all.find((s) => s.id !== returned.id && s.surveyId === returned.surveyId)!;
    expect(second).toMatchObject({ round: 2, correctsSubmissionId: returned.id });

    // Back on 本区成果: round 2 under the same survey, linked to round 1, and nothing left to correct.
    await page.click('[data-route="district"]');
    await page.waitForSelector(`#district-chains li.round[data-submission="${second.id}"]`);
    const secondRound = page.locator(`#district-chains li.round[data-submission="${second.id}"]`);
    expect(await secondRound.getAttribute('data-round')).toBe('2');
    expect(await secondRound.getAttribute('data-corrects')).toBe(returned.id);
    expect(await secondRound.textContent()).toContain('更正第 1 轮');
    expect(await page.locator('.rectify-item').count()).toBe(0);
    expect(await page.textContent('#rectify-list')).toContain('没有待整改的成果');
    expect(seen.foreign).toEqual([]);
    expect(seen.failed).toEqual([]);
    await page.close();
  });
});
