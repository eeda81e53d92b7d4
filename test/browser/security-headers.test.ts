// The Content-Security-Policy in a real Chromium: the map (MapLibre, its blob: worker, tiles) and
// the API documentation (Swagger UI at /docs) work under it, with no violation reported, and the
// headers are on what the browser got.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../support/app.ts';
import { canRun, launchChromium, listen, waitForMap, watchRequests } from './support.ts';

describe.skipIf(!canRun)('security headers in Chromium', { timeout: 180_000 }, () => {
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

  /** Opens a page recording every CSP violation, from the event and from the console. */
  async function open(path: string): Promise<{ page: Page; violations: string[]; headers: Record<string, string>; seen: ReturnType<typeof watchRequests> }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const violations: string[] = [];
    await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        (window as unknown as { reportViolation(text: string): void }).reportViolation(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    const seen = watchRequests(page, base);
    const response = await page.goto(`${base}${path}`);
    return { page, violations, headers: response?.headers() ?? {}, seen };
  }

  function expectHeaders(headers: Record<string, string>) {
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('same-origin');
  }

  it('draws the map with no CSP violation', async () => {
    const { page, violations, headers, seen } = await open('/');
    expectHeaders(headers);
    await waitForMap(page, 0, 'data=0');
    // The map was drawn (MapLibre's blob: worker ran) and nothing failed.
    expect(seen.errors).toEqual([]);
    expect(seen.failed).toEqual([]);
    expect(seen.foreign).toEqual([]);
    expect(violations).toEqual([]);
    await page.close();
  });

  it('shows the API documentation with no CSP violation', async () => {
    const { page, violations, headers } = await open('/docs');
    expectHeaders(headers);
    await page.waitForSelector('.swagger-ui .opblock', { timeout: 60_000 });
    expect(await page.locator('.swagger-ui .opblock').count()).toBeGreaterThan(10);
    // Expanding an operation renders its parameters and schemas too.
    await page.locator('.swagger-ui .opblock-summary').first().click();
    await page.waitForSelector('.swagger-ui .opblock-body');
    expect(violations).toEqual([]);
    await page.close();
  });
});
