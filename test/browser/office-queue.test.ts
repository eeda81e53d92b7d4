// The leading-group offices' queue in a real Chromium against the real app. A 全市土地专项调查
// is created by the city and its plan approved by the city office (through the API); a checked
// 崇明 package of it waits. 崇明's district office sees it in its queue with 初步验收, records the
// 初验 through the form with an opinion and a PDF 验收报告, and the API then holds the state, the
// decision (who, role, opinion) and the attachment with its SHA-256; the item leaves that queue
// and reaches the city office's, now with 最终验收 and 终验 return. The other district's office
// never sees it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { CHONGMING, DEMO_PASSWORD, insertSubmission } from '../support/data.ts';
import { tempDir } from '../support/packages.ts';
import { ARTIFACTS, canRun, launchChromium, listen, signIn, watchRequests } from './support.ts';

describe.skipIf(!canRun)('the offices’ queue in Chromium', { timeout: 180_000 }, () => {
  let test: TestApp;
  let browser: Browser;
  let base: string;
  let admin: TestClient;
  let submissionId: string;
  let reportPath: string;

  beforeAll(async () => {
    test = await openTestApp('embedded', { ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
    admin = new TestClient(test.app);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    const created = await admin.post('/api/surveys', { kind: 'special', scope: 'city', year: 2026, timePoint: '2026-06-30', title: '2026年全市耕地保护专项调查' });
    expect(created.statusCode, created.body).toBe(201);
    const surveyId = created.json<{ id: string }>().id;
    const office = new TestClient(test.app);
    expect((await office.login('office', DEMO_PASSWORD)).statusCode).toBe(200);
    const plan = await office.post(`/api/surveys/${surveyId}/decisions`, { action: 'approve_plan', opinion: '同意调查计划', document: { number: '沪土调领〔2026〕1号', date: '2026-01-15' } });
    expect(plan.statusCode, plan.body).toBe(200);
    // A package that passed its checks (written as the platform would leave it; the lifecycle of
    // import and checks has tests of its own).
    submissionId = await insertSubmission(test.db, CHONGMING, surveyId, 'checked');
    reportPath = path.join(tempDir('lsp-report-'), '崇明区初验报告.pdf');
    fs.writeFileSync(reportPath, `%PDF-1.4\n% 崇明区初步验收报告 ${crypto.randomUUID()}\n%%EOF\n`);
    base = await listen(test);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await test?.drop();
  });

  it('lets a district office record 初验 through its queue, which passes the item to the city office', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen = watchRequests(page, base);
    await page.goto(base);
    await signIn(page, 'chongming-office');
    expect(await page.textContent('#current-user')).toContain('区领导小组办公室');
    await page.click('[data-route="office"]');
    const item = page.locator(`#office-submissions .queue-item[data-submission="${submissionId}"]`);
    await item.waitFor();
    expect(await item.textContent()).toContain('2026年全市耕地保护专项调查');
    expect(await item.locator('.item-actions button').allTextContents()).toEqual(['初步验收合格', '初验不合格，退回整改']);
    // The survey's plan is the city office's business, not the district's.
    expect(await page.textContent('#office-surveys')).toContain('没有待办的调查任务事项');

    await item.locator('button[data-action="preliminary_accept"]').click();
    const form = item.locator('form.decision-form[data-action="preliminary_accept"]');
    await form.locator('textarea[name="opinion"]').fill('成果完整，同意初步验收');
    await form.locator('input[name="attachments"]').setInputFiles(reportPath);
    await page.screenshot({ path: `${ARTIFACTS}/office-queue.png`, fullPage: true });
    await form.locator('button[type="submit"]').click();
    await page.waitForFunction(() => document.getElementById('office-notice')?.textContent?.includes('已记录：初步验收合格'));
    await page.waitForFunction((id) => !document.querySelector(`#office-submissions [data-submission="${id}"]`), submissionId);
    expect(await page.textContent('#office-submissions')).toContain('没有待审核的成果');

    const record = (await admin.get(`/api/submissions/${submissionId}/record`)).json<{
      submission: { state: string };
      decisions: { action: string; opinion: string; deciderRole: string; deciderName: string; attachments: { fileName: string; sha256: string }[] }[];
    }>();
    expect(record.submission.state).toBe('preliminary_accepted');
    const decision = record.decisions.find((d) => d.action === 'preliminary_accept')!;
    expect(decision).toMatchObject({ opinion: '成果完整，同意初步验收', deciderRole: 'district_office', deciderName: '崇明区领导小组办公室' });
    expect(decision.attachments.map((a) => a.fileName)).toEqual(['崇明区初验报告.pdf']);
    expect(decision.attachments[0]!.sha256.trim()).toBe(crypto.createHash('sha256').update(fs.readFileSync(reportPath)).digest('hex'));
    await page.click('#logout');
    await page.waitForSelector('#login-form');

    // The city office now has it, for 终验, with the district's decision shown.
    await signIn(page, 'office');
    await page.click('[data-route="office"]');
    const cityItem = page.locator(`#office-submissions .queue-item[data-submission="${submissionId}"]`);
    await cityItem.waitFor();
    expect(await cityItem.locator('.item-actions button').allTextContents()).toEqual(['最终验收通过', '终验不合格，退回整改']);
    expect(await cityItem.locator('li.decision').textContent()).toContain('成果完整，同意初步验收');
    await page.click('#logout');
    await page.waitForSelector('#login-form');

    // The other district's office has nothing of 崇明's.
    await signIn(page, 'pudong-office');
    await page.click('[data-route="office"]');
    await page.waitForFunction(() => document.getElementById('office-submissions')?.textContent?.includes('没有待审核的成果'));
    expect(seen.foreign).toEqual([]);
    expect(seen.failed).toEqual([]);
    await page.close();
  });
});
