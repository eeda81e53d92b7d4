// The real application over a test database, driven through app.inject.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { detectCapabilities } from '../../server/db/capabilities.ts';
import type { EngineKind } from '../../server/db/engine.ts';
import { openTestDatabase, type TestDatabase } from './databases.ts';
import { seedAccounts } from './data.ts';
import { multipartBody } from './packages.ts';

export interface TestApp extends TestDatabase {
  app: FastifyInstance;
}

/** env overrides configuration as the environment would (e.g. LOGIN_LOCKOUT_THRESHOLD). */
export async function openTestApp(engine: EngineKind, env: Record<string, string> = {}): Promise<TestApp> {
  const test = await openTestDatabase(engine);
  await seedAccounts(test.db);
  // TEST_LOG_LEVEL=error shows the server's own log of a failing request.
  const config = loadConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', PROGRESS_SCHEDULE_INTERVAL_MINUTES: '0', ...env });
  const app = await buildApp({ config, db: test.db, capabilities: await detectCapabilities(test.db) });
  await app.ready();
  return {
    ...test,
    app,
    async drop() {
      await app.close();
      await test.drop();
    },
  };
}

/** A client that keeps cookies and the CSRF token between requests, like a browser page. */
export class TestClient {
  private cookies = new Map<string, string>();
  csrfToken: string | null = null;

  constructor(private readonly app: FastifyInstance) {}

  private remember(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies) {
      const expired = cookie.maxAge === 0 || (cookie.expires && new Date(cookie.expires).getTime() <= Date.now());
      if (expired || cookie.value === '') this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  async request(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    options: { body?: unknown; csrf?: string | null } = {},
  ): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = {};
    const csrf = options.csrf === undefined ? this.csrfToken : options.csrf;
    if (csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
    const response = await this.app.inject({
      method,
      url,
      headers,
      cookies: Object.fromEntries(this.cookies),
      ...(options.body !== undefined ? { payload: options.body as object } : {}),
    });
    this.remember(response);
    const body = response.headers['content-type']?.toString().includes('json') ? response.json() : null;
    if (body && typeof body === 'object' && 'csrfToken' in body && typeof body.csrfToken === 'string') this.csrfToken = body.csrfToken;
    return response;
  }

  /** A request with the session's cookies and CSRF token, the rest exactly as given (any body text). */
  async raw(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, headers: Record<string, string>, payload?: string): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method,
      url,
      headers: { ...(this.csrfToken && method !== 'GET' ? { 'x-csrf-token': this.csrfToken } : {}), ...headers },
      cookies: Object.fromEntries(this.cookies),
      ...(payload !== undefined ? { payload } : {}),
    });
    this.remember(response);
    return response;
  }

  /** POST a file as multipart/form-data (the upload form). */
  async upload(url: string, fileName: string, content: Buffer): Promise<LightMyRequestResponse> {
    const { payload, contentType } = multipartBody(fileName, content);
    const response = await this.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': contentType, ...(this.csrfToken ? { 'x-csrf-token': this.csrfToken } : {}) },
      cookies: Object.fromEntries(this.cookies),
      payload,
    });
    this.remember(response);
    return response;
  }

  get(url: string) {
    return this.request('GET', url);
  }

  post(url: string, body?: unknown, options: { csrf?: string | null } = {}) {
    return this.request('POST', url, { body, ...options });
  }

  /** GET /api/auth/session for the pre-session token, then POST /api/auth/login. */
  async login(username: string, password: string): Promise<LightMyRequestResponse> {
    await this.get('/api/auth/session');
    return this.post('/api/auth/login', { username, password });
  }
}
