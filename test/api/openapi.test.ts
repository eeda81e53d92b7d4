import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../server/config.ts';
import { readMigrationFiles } from '../../server/db/migrator.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD } from '../support/data.ts';
import { expectError } from './helpers.ts';

interface Operation {
  requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
  responses?: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const WITH_BODY = ['post', 'put', 'patch'];
/** State-changing operations that take no body. */
const BODYLESS = ['post /api/auth/logout', 'post /api/inbox/{id}/read', 'post /api/inbox/read-all', 'post /api/submissions/{id}/accept', 'post /api/submissions/{id}/apply', 'post /api/submissions/{id}/quality-runs', 'post /api/surveys/{id}/close'];
const WEB_INDEX = path.join(REPO_ROOT, 'web', 'dist', 'index.html');

describe('OpenAPI, docs and fallbacks (embedded engine)', () => {
  let test: TestApp;
  let spec: OpenApiDocument;
  beforeAll(async () => {
    test = await openTestApp('embedded');
    const response = await test.app.inject({ method: 'GET', url: '/docs/json' });
    if (response.statusCode !== 200) throw new Error(`/docs/json: ${response.statusCode}`);
    spec = response.json<OpenApiDocument>();
  });
  afterAll(() => test?.drop());

  const operations = () =>
    Object.entries(spec.paths).flatMap(([route, item]) =>
      Object.entries(item)
        .filter(([method]) => HTTP_METHODS.includes(method))
        .map(([method, operation]) => ({ route, method, operation, name: `${method} ${route}` })),
    );

  it('serves an OpenAPI 3 document with the API routes', () => {
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.info.title).toBeTruthy();
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/health', '/api/auth/login', '/api/users', '/api/surveys']));
    expect(spec.paths['/api/auth/login']?.post).toBeDefined();
    expect(spec.paths['/api/users']?.get).toBeDefined();
    expect(spec.paths['/api/users']?.post).toBeDefined();
    expect(spec.paths['/api/surveys']?.post).toBeDefined();
  });

  it('declares a 2xx response schema for every /api/ operation', () => {
    const apiOperations = operations().filter(({ route }) => route.startsWith('/api/'));
    expect(apiOperations.length).toBeGreaterThanOrEqual(10);
    const missing = apiOperations
      .filter(({ operation }) => {
        const success = Object.entries(operation.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
        if (success.length === 0) return true;
        // 204 No Content declares itself without a body; every other success has a JSON schema.
        return !success.every(([status, response]) => status === '204' || response.content?.['application/json']?.schema !== undefined);
      })
      .map(({ name }) => name);
    expect(missing).toEqual([]);
  });

  it('declares a requestBody schema for every operation that takes a body', () => {
    const writes = operations().filter(({ method }) => WITH_BODY.includes(method));
    const withoutBody = writes.filter(({ operation }) => operation.requestBody === undefined).map(({ name }) => name);
    expect(withoutBody.sort()).toEqual([...BODYLESS].sort());
    const withoutSchema = writes
      .filter(({ operation }) => operation.requestBody !== undefined)
      .filter(({ operation }) => {
        const content = operation.requestBody?.content;
        const schema = content?.['application/json']?.schema ?? content?.['multipart/form-data']?.schema;
        return schema === undefined || (schema.type === 'object' && schema.properties === undefined);
      })
      .map(({ name }) => name);
    expect(withoutSchema).toEqual([]);
    const login = spec.paths['/api/auth/login']?.post?.requestBody?.content?.['application/json']?.schema;
    expect(login).toMatchObject({ type: 'object', required: ['username', 'password'] });
  });

  it('serves the Swagger UI at /docs', async () => {
    let response = await test.app.inject({ method: 'GET', url: '/docs' });
    for (let hops = 0; hops < 3 && response.statusCode >= 300 && response.statusCode < 400; hops++) {
      const location = response.headers.location;
      expect(typeof location).toBe('string');
      response = await test.app.inject({ method: 'GET', url: new URL(String(location), 'http://localhost/docs').pathname });
    }
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.body).toMatch(/swagger/i);
  });

  it('reports the embedded engine, its versions and no pending migrations at /api/health to the city administrator', async () => {
    const admin = new TestClient(test.app);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    const response = await admin.get('/api/health');
    expect(response.statusCode).toBe(200);
    const health = response.json();
    expect(health).toMatchObject({
      status: 'ok',
      engine: 'embedded',
      postgres: expect.stringMatching(/^\d+(\.\d+)*/),
      postgis: expect.stringMatching(/^3\.\d+/),
      migrations: { pending: [], modified: [], applied: readMigrationFiles().length },
      capabilities: { mvt: false, geosRaisesErrors: false },
    });
    expect(health.capabilities).toEqual({ mvt: false, geosRaisesErrors: false });
  });

  it('answers an unknown /api/ route with a 404 JSON error', async () => {
    const response = await test.app.inject({ method: 'GET', url: '/api/nope?x=1' });
    const body = expectError(response, 404, 'NOT_FOUND');
    expect(body.error.details).toEqual({ id: 'GET /api/nope' });
  });

  it.skipIf(!fs.existsSync(WEB_INDEX))('serves the web app page at / and on its client-side routes', async () => {
    const index = fs.readFileSync(WEB_INDEX, 'utf8');
    // The web app routes by the hash (#/map, #/upload); other paths are 404s (test/api/http-surface.test.ts).
    for (const url of ['/', '/map', '/upload']) {
      const response = await test.app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(response.body).toBe(index);
    }
  });
});
