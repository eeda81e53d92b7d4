// What every answer carries and where unknown paths go: one log line per request, security
// headers on pages, API, tiles and docs, JSON 404s under every service prefix, and the web app's
// page only on its own routes.
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { loadConfig, REPO_ROOT } from '../../server/config.ts';
import { detectCapabilities } from '../../server/db/capabilities.ts';
import { PAGE_ROUTES, SERVICE_PREFIXES } from '../../server/http/not-found.ts';
import { openTestApp, type TestApp } from '../support/app.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { expectError } from './helpers.ts';

const WEB_INDEX = path.join(REPO_ROOT, 'web', 'dist', 'index.html');

describe('the HTTP surface (embedded engine)', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await openTestApp('embedded');
  });
  afterAll(() => test?.drop());

  it('answers unknown paths under every service prefix with a 404 in JSON', async () => {
    const urls = ['/api/nothing', '/api/nothing?x=1', '/collections', '/collections/land_use/items', '/wfs', '/wfs?service=WFS&request=GetCapabilities', '/wms', '/ogc/', '/tiles/nothing', '/tiles/land_use/1/2', '/docs/nothing', '/export/all.zip', ...SERVICE_PREFIXES.map((prefix) => `${prefix}/unknown`)];
    for (const url of urls) {
      // (A POST without a CSRF token is refused before routing: 403 CSRF_TOKEN_MISSING.)
      for (const method of ['GET', 'HEAD'] as const) {
        const response = await test.app.inject({ method, url });
        expect({ url, method, status: response.statusCode }).toEqual({ url, method, status: 404 });
        if (method !== 'HEAD') expectError(response, 404, 'NOT_FOUND');
      }
    }
  });

  it('answers unknown paths outside the page routes with a 404 in JSON too', async () => {
    for (const url of ['/nothing', '/map/310151', '/index.php', '/.env', '/wp-login.php']) {
      const body = expectError(await test.app.inject({ method: 'GET', url }), 404, 'NOT_FOUND');
      expect(body.error.details).toEqual({ id: `GET ${url}` });
    }
  });

  it.skipIf(!fs.existsSync(WEB_INDEX))('serves the web app page on its routes only', async () => {
    const index = fs.readFileSync(WEB_INDEX, 'utf8');
    for (const url of PAGE_ROUTES) {
      const response = await test.app.inject({ method: 'GET', url });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 200 });
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(response.body).toBe(index);
    }
  });

  it('sends the security headers on pages, API answers, errors, tiles and the docs', async () => {
    for (const url of ['/', '/api/health', '/api/nothing', '/tiles/districts/0/0/0.mvt', '/docs/static/index.html', '/docs/json']) {
      const response = await test.app.inject({ method: 'GET', url });
      const csp = String(response.headers['content-security-policy'] ?? '');
      expect({ url, csp }).toMatchObject({ url, csp: expect.stringContaining("default-src 'self'") });
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toMatch(/unsafe-eval|https:|\*/);
      // Only the Swagger UI's pages admit inline styles (it inserts <style> elements).
      if (!url.startsWith('/docs')) expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('same-origin');
      expect(response.headers['x-frame-options']).toBe('DENY');
      // Plain HTTP here (COOKIE_SECURE off): no HSTS, no upgrade of the page's own requests.
      expect(response.headers['strict-transport-security']).toBeUndefined();
      expect(csp).not.toContain('upgrade-insecure-requests');
    }
  });
});

describe('request logging (embedded engine)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase('embedded');
  });
  afterAll(() => database?.drop());

  it('writes one line per request with its method, URL, status and time', async () => {
    const lines: string[] = [];
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const config = loadConfig({ LOG_LEVEL: 'info' });
    const app = await buildApp({ config, db: database.db, capabilities: await detectCapabilities(database.db), logStream });
    await app.ready();
    try {
      const before = lines.length;
      const response = await app.inject({ method: 'GET', url: '/api/admin-units?level=district' });
      expect(response.statusCode).toBe(200);
      const written = lines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(written).toHaveLength(1);
      expect(written[0]).toMatchObject({ method: 'GET', url: '/api/admin-units?level=district', status: 200, ms: expect.any(Number) });

      const refused = lines.length;
      expect((await app.inject({ method: 'GET', url: '/api/nothing' })).statusCode).toBe(404);
      expect(lines.slice(refused).map((line) => JSON.parse(line))).toEqual([expect.objectContaining({ method: 'GET', url: '/api/nothing', status: 404 })]);
    } finally {
      await app.close();
    }
  });
});
