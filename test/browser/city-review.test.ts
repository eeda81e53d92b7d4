// The city bureau's review pages in a real Chromium against the real app: 崇明 uploads a small
// clean baseline through the API, which the city returns with 整改 requirements; 崇明 sends the
// corrected package with a 技术报告; the city administrator then, only by clicking, finds it in
// the review queue, opens it (its parcels drawn over the current ones, its documents
// listed for download), accepts it with an opinion, applies it, closes the survey, freezes 2019
// after a confirmation naming the day, records the State Council's approval with a document and
// an attachment, and publishes; 崇明 then publishes its district in turn (依次公布). The API is asked afterwards whether each step really happened.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { cleanChongmingPackage, disableWholeDistrictRules } from '../support/clean-package.ts';
import { DEMO_PASSWORD, nationalSurveyId } from '../support/data.ts';
import { tempDir } from '../support/packages.ts';
import { ARTIFACTS, canRun, countNear, decodePng, hexRgb, launchChromium, listen, signIn, watchRequests } from './support.ts';

/** web/src/submission-map.ts, SUBMITTED_COLOR: the submitted parcels' outline. */
const SUBMITTED = hexRgb('#d01c8b');
const REPORT_PDF = Buffer.from('%PDF-1.4\n% 崇明区第三次国土调查技术报告\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const APPROVAL_PDF = Buffer.from('%PDF-1.4\n% 国务院批复\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

describe.skipIf(!canRun)('the city’s review pages in Chromium', () => {
  let test: TestApp;
  let browser: Browser;
  let base: string;
  let admin: TestClient;
  let nationalId: string;
  let submissionId: string;
  let returnedId: string;
  let chongming: TestClient;

  /** Uploads a package as 崇明 and waits for its checks to pass. */
  async function upload(fileName: string, zip: Buffer): Promise<string> {
    const uploaded = await chongming.upload(`/api/submissions?surveyId=${nationalId}`, fileName, zip);
    expect(uploaded.statusCode, uploaded.body).toBe(202);
    const id = uploaded.json<{ id: string }>().id;
    await test.app.imports.idle();
    expect((await chongming.get(`/api/submissions/${id}`)).json<{ state: string }>().state).toBe('checked');
    return id;
  }

  beforeAll(async () => {
    test = await openTestApp('embedded', { ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
    admin = new TestClient(test.app);
    chongming = new TestClient(test.app);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    expect((await chongming.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    nationalId = await nationalSurveyId(test.db);
    await disableWholeDistrictRules(admin, nationalId);
    // The first round, which the city returns for correction.
    returnedId = await upload('崇明区-三调成果.zip', await cleanChongmingPackage(4, 1));
    base = await listen(test);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await test?.drop();
  });

  async function decide(page: Page, scope: string, action: string, fill: (page: Page) => Promise<void> = async () => {}): Promise<void> {
    await page.click(`${scope} button[data-action="${action}"]`);
    await page.waitForSelector(`form.decision-form[data-action="${action}"]`);
    await fill(page);
    await page.click('#decision-submit');
  }

  it('returns a package with an opinion and 整改 requirements naming findings', async () => {
    const page: Page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const seen = watchRequests(page, base);
    await page.goto(`${base}/#/review`);
    await signIn(page, 'admin');
    await page.click(`#queue-table tr[data-submission="${returnedId}"] a`);
    await page.waitForSelector('#submission-state[data-state="checked"]');
    await page.click('#submission-steps button[data-action="return"]');
    await page.fill('#decision-opinion', '图斑边界与影像不符，退回整改。');
    // No requirement: the form says so and sends nothing.
    await page.click('#decision-submit');
    expect(await page.textContent('#decision-error')).toContain('至少填写一条整改要求');
    await page.fill('.requirement-text', '第 2、3 号图斑按实地核实后更正边界');
    await page.fill('.requirement-findings', '2，3');
    await page.click('#decision-submit');
    await page.waitForSelector('#submission-state[data-state="rejected"]');
    const history = (await page.textContent(`#round-history li.round[data-submission="${returnedId}"]`))!;
    expect(history).toContain('审核意见：图斑边界与影像不符，退回整改。');
    expect(history).toContain('第 2、3 号图斑按实地核实后更正边界（质检问题 #2、#3）');
    const record = (await admin.get(`/api/submissions/${returnedId}/record`)).json<{ decisions: { action: string; rectification: unknown }[] }>();
    expect(record.decisions.find((d) => d.action === 'return')?.rectification).toEqual([{ requirement: '第 2、3 号图斑按实地核实后更正边界', findings: [2, 3] }]);
    // Returned, it leaves the waiting queue, and shows under 已退回整改.
    await page.click('a[href="#/review"]');
    await page.waitForSelector('#queue-summary:has-text("没有待处理的成果")');
    expect(await page.locator(`#queue-table tr[data-submission="${returnedId}"]`).count()).toBe(0);
    await page.selectOption('#queue-state', 'rejected');
    await page.waitForSelector(`#queue-table tr[data-submission="${returnedId}"][data-state="rejected"]`);
    expect(seen.failed).toEqual([]);
    expect(seen.errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('runs queue → submission → accept → apply → freeze → approve → publish by clicking', async () => {
    // The district's corrected package: the second round, with its 技术报告.
    submissionId = await upload('崇明区-三调成果-整改后.zip', await cleanChongmingPackage(6, 0, { '文字成果/技术报告.pdf': REPORT_PDF }));
    const page: Page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const seen = watchRequests(page, base);
    await page.goto(base);
    await signIn(page, 'admin');

    // The queue: the district's package waits for the city, filterable by district and survey.
    await page.click('[data-route="review"]');
    await page.waitForSelector('#review-view:not([hidden]) #queue-table');
    const row = `#queue-table tr[data-submission="${submissionId}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent(row)).toContain('崇明区');
    expect(await page.textContent(row)).toContain('质检通过，待验收');
    await page.selectOption('#queue-district', '310115');
    await page.waitForFunction((id) => !document.querySelector(`#queue-table tr[data-submission="${id}"]`), submissionId);
    expect(await page.textContent('#queue-summary')).toContain('没有待处理的成果');
    await page.selectOption('#queue-district', '310151');
    await page.selectOption('#queue-survey', nationalId);
    await page.waitForSelector(row);
    await page.click(`${row} a`);

    // The submission: its six parcels drawn in magenta over the current ones, its documents.
    await page.waitForSelector('#submission-view:not([hidden]) #submission-state[data-state="checked"]');
    expect(await page.evaluate(() => window.location.hash)).toBe(`#/submissions/${submissionId}`);
    await page.waitForSelector('#submission-map[data-submitted-features="6"]', { timeout: 60_000 });
    await page.waitForFunction(() => document.getElementById('submission-map')?.getAttribute('aria-busy') === 'false', undefined, { timeout: 60_000 });
    await page.waitForTimeout(500);
    const mapShot = decodePng(await page.locator('#submission-map').screenshot({ path: `${ARTIFACTS}/submission-map.png` }));
    expect(countNear(mapShot, SUBMITTED, 40)).toBeGreaterThan(200);
    const documentLink = page.locator('#submission-documents tr[data-path="文字成果/技术报告.pdf"] a');
    await documentLink.waitFor();
    expect(await page.textContent('#submission-documents')).toContain('文字成果');
    const download = await (await page.request.get(`${base}${await documentLink.getAttribute('href')}`)).body();
    expect(download.equals(REPORT_PDF)).toBe(true);
    await page.waitForSelector('#submission-quality:not([hidden])');
    expect(await page.textContent('#submission-quality')).toContain('质检通过');

    // 验收通过 with an opinion, then 入库.
    const opinion = '成果完整，图斑与实地一致，同意验收。';
    await decide(page, '#submission-steps', 'accept', (p) => p.fill('#decision-opinion', opinion));
    await page.waitForSelector('#submission-state[data-state="accepted"]');
    expect(await page.textContent('#round-history')).toContain(`审核意见：${opinion}`);
    expect(await page.textContent('#round-history')).toContain('验收通过');
    // The round before, with its return, is in the history too.
    expect(await page.locator('#round-history li.round').count()).toBe(2);
    expect(await page.textContent(`#round-history li.round[data-round="1"]`)).toContain('图斑边界与影像不符');
    expect(await page.getAttribute(`#round-history li.round.current`, 'data-round')).toBe('2');
    await decide(page, '#submission-steps', 'apply');
    await page.waitForSelector('#submission-state[data-state="applied"]', { timeout: 60_000 });
    expect(await page.textContent('#submission-steps')).toContain('该成果已入库');
    await page.screenshot({ path: `${ARTIFACTS}/submission-applied.png`, fullPage: true });
    const record = (await admin.get(`/api/submissions/${submissionId}/record`)).json<{ submission: { state: string }; decisions: { action: string; opinion: string | null; deciderName: string | null }[] }>();
    expect(record.submission.state).toBe('applied');
    expect(record.decisions.find((d) => d.action === 'accept')).toMatchObject({ opinion });

    // The survey: still collecting, so 2019 cannot be frozen yet and the page says why.
    await page.click('[data-route="surveys"]');
    await page.click(`#survey-table tr[data-survey="${nationalId}"] a`);
    await page.waitForSelector('#survey-view:not([hidden]) #survey-state[data-state="collecting"]');
    await page.waitForSelector('#freeze-blockers li[data-reason="open"]');
    expect(await page.isDisabled('#freeze-open')).toBe(true);
    await decide(page, '#survey-steps', 'close', (p) => p.fill('#decision-opinion', '各区成果已汇交完毕。'));
    await page.waitForSelector('#survey-state[data-state="closed"]');

    // Freeze, after a confirmation naming the day.
    await page.waitForSelector('#freeze-open:not([disabled])');
    await page.click('#freeze-open');
    await page.waitForSelector('#freeze-dialog[open]');
    expect(await page.textContent('#freeze-dialog h3')).toBe('冻结 2019 年 12月31日 快照');
    await page.click('#freeze-confirm');
    await page.waitForSelector('#survey-state[data-frozen="true"]', { timeout: 60_000 });
    expect(await page.textContent('#survey-message')).toContain('已冻结 2019 年度快照');
    const snapshots = (await admin.get('/api/snapshots')).json<{ year: number }[]>();
    expect(snapshots.map((s) => s.year)).toEqual([2019]);

    // 国务院批准: a document and its attachment.
    await decide(page, '#survey-steps', 'approve', async (p) => {
      await p.fill('#decision-opinion', '经国务院批准。');
      await p.fill('#decision-document-number', '国函〔2021〕12号');
      await p.fill('#decision-document-date', '2021-08-26');
      await p.setInputFiles('#decision-files', { name: '国务院批复.pdf', mimeType: 'application/pdf', buffer: APPROVAL_PDF });
    });
    await page.waitForSelector('#survey-state[data-state="approved"]', { timeout: 60_000 });
    const decisions = await page.textContent('#survey-decisions');
    expect(decisions).toContain('国函〔2021〕12号（2021-08-26');
    expect(decisions).toContain('国务院批复.pdf');

    // 市级公布, the land-use layer only.
    await decide(page, '#survey-steps', 'publish', async (p) => {
      await p.uncheck('form.decision-form input[data-layer="basic_farmland"][value="basic_farmland"]');
      await p.fill('#decision-opinion', '依法公布第三次全国国土调查主要数据。');
    });
    await page.waitForSelector('#survey-state[data-state="published"]', { timeout: 60_000 });
    await page.waitForSelector('#publication-table tr[data-district=""]');
    expect(await page.textContent('#publication-table')).toContain('地类图斑');
    expect(await page.textContent('#publication-table')).not.toContain('永久基本农田');
    await page.screenshot({ path: `${ARTIFACTS}/survey-published.png`, fullPage: true });

    const survey = (await admin.get(`/api/surveys/${nationalId}/record`)).json<{ state: string; decisions: { action: string; document: { number: string } | null; attachments: { fileName: string }[] }[]; publications: { layers: string[]; withdrawnAt: string | null }[] }>();
    expect(survey.state).toBe('published');
    expect(survey.decisions.find((d) => d.action === 'approve')).toMatchObject({ document: { number: '国函〔2021〕12号' }, attachments: [{ fileName: '国务院批复.pdf' }] });
    expect(survey.publications).toMatchObject([{ layers: ['land_use'], withdrawnAt: null }]);

    // No district has published in turn yet: nothing to withdraw per district.
    expect(await page.locator('#survey-steps button[data-action="withdraw_district"]').count()).toBe(0);
    expect(seen.foreign).toEqual([]);
    expect(seen.failed).toEqual([]);
    expect(seen.errors).toEqual([]);
    await page.close();

    // 依次公布: 崇明 publishes its own district after the city, on the same survey page.
    const district = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const districtSeen = watchRequests(district, base);
    await district.goto(base);
    await signIn(district, 'chongming');
    expect(await district.isVisible('[data-route="review"]')).toBe(false);
    await district.click('[data-route="surveys"]');
    await district.click(`#survey-table tr[data-survey="${nationalId}"] a`);
    await district.waitForSelector('#survey-state[data-state="published"]');
    expect(await district.isHidden('#survey-freeze')).toBe(true);
    await decide(district, '#survey-steps', 'publish_district', async (p) => {
      expect(await p.inputValue('#decision-district')).toBe('310151');
      await p.fill('#decision-opinion', '崇明区依次公布本区调查成果。');
    });
    await district.waitForSelector('#publication-table tr[data-district="310151"]', { timeout: 60_000 });
    expect(await district.textContent('#publication-table tr[data-district="310151"]')).toContain('公布中');
    expect(await district.locator('#survey-steps button[data-action="publish_district"]').count()).toBe(0);
    const publications = (await admin.get(`/api/surveys/${nationalId}/record`)).json<{ publications: { districtCode: string | null; withdrawnAt: string | null }[] }>().publications;
    expect(publications.map((p) => p.districtCode).sort()).toEqual(['310151', null].sort());
    expect(districtSeen.failed).toEqual([]);
    expect(districtSeen.errors).toEqual([]);
    await district.close();
  }, 300_000);
});
