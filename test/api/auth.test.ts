import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../server/modules/auth/tokens.ts';
import { createUser } from '../../server/modules/users/repository.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { expectError, setCookieLine } from './helpers.ts';

const WRONG_PASSWORD = 'not-the-password-2026';

interface LoginBody {
  user: { id: string; username: string; role: string; districtCode: string | null };
  csrfToken: string;
}

describe.each(ENGINES)('authentication on the %s engine', (engine) => {
  // Lock-out after 3 failures; the rate limit is out of the way so the many logins here pass.
  let test: TestApp;
  // The default lock-out, and at most 3 login attempts a minute.
  let limited: TestApp;

  beforeAll(async () => {
    [test, limited] = await Promise.all([
      openTestApp(engine, { LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_LOCKOUT_MINUTES: '15', LOGIN_RATE_LIMIT_PER_MINUTE: '1000' }),
      openTestApp(engine, { LOGIN_RATE_LIMIT_PER_MINUTE: '3' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([test?.drop(), limited?.drop()]);
  });

  const userId = async (username: string) =>
    (await test.db.kysely.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;

  it('logs in with the right password: user, CSRF token, an HttpOnly session cookie, then /api/me', async () => {
    const client = new TestClient(test.app);
    const session = await client.get('/api/auth/session');
    expect(session.statusCode).toBe(200);
    expect(session.json()).toMatchObject({ user: null, csrfToken: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const preSessionToken = client.csrfToken;

    const response = await client.post('/api/auth/login', { username: 'admin', password: DEMO_PASSWORD });
    expect(response.statusCode).toBe(200);
    const body = response.json<LoginBody>();
    expect(body.user).toMatchObject({ username: 'admin', role: 'city_admin', districtCode: null });
    expect(body.csrfToken).toMatch(/^[0-9a-f]{64}$/);
    expect(body.csrfToken).not.toBe(preSessionToken);

    const cookie = setCookieLine(response, 'lsp_session');
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).toMatch(/;\s*Path=\//i);
    expect(client.cookie('lsp_session')).toMatch(/^[0-9a-f]{64}$/);
    // Only the token's hash is stored.
    const stored = await test.db.kysely
      .selectFrom('sessions')
      .select(['user_id', 'csrf_token'])
      .where('token_hash', '=', sha256Hex(client.cookie('lsp_session') ?? ''))
      .executeTakeFirst();
    expect(stored).toEqual({ user_id: body.user.id, csrf_token: body.csrfToken });

    const me = await client.get('/api/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual(body.user);
    const again = await client.get('/api/auth/session');
    expect(again.json()).toEqual({ user: body.user, csrfToken: body.csrfToken });
  });

  it('refuses a wrong password and an unknown username with the same 401 answer', async () => {
    const client = new TestClient(test.app);
    const wrong = await client.login('auditor', WRONG_PASSWORD);
    const wrongBody = expectError(wrong, 401, 'AUTH_INVALID_CREDENTIALS');
    expect(setCookieLine(wrong, 'lsp_session')).toBeUndefined();

    const unknown = await client.login('no-such-user', WRONG_PASSWORD);
    const unknownBody = expectError(unknown, 401, 'AUTH_INVALID_CREDENTIALS');
    // No user enumeration: the two answers are indistinguishable.
    expect(unknownBody).toEqual(wrongBody);
    expect(setCookieLine(unknown, 'lsp_session')).toBeUndefined();

    expectError(await client.get('/api/me'), 401, 'AUTH_REQUIRED');
    // One failure neither locks the account nor survives a good login.
    expect((await client.login('auditor', DEMO_PASSWORD)).statusCode).toBe(200);
    const row = await test.db.kysely
      .selectFrom('users')
      .select(['failed_login_count', 'locked_until'])
      .where('username', '=', 'auditor')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ failed_login_count: 0, locked_until: null });
  });

  it('rejects a malformed login body with 400', async () => {
    const client = new TestClient(test.app);
    await client.get('/api/auth/session');
    expectError(await client.post('/api/auth/login', { username: 'admin' }), 400, 'VALIDATION_FAILED');
  });

  it('locks an account after 3 wrong passwords, also against the right one, and only that account', async () => {
    const client = new TestClient(test.app);
    expectError(await client.login('office', WRONG_PASSWORD), 401, 'AUTH_INVALID_CREDENTIALS');
    expectError(await client.login('office', WRONG_PASSWORD), 401, 'AUTH_INVALID_CREDENTIALS');
    const third = expectError(await client.login('office', WRONG_PASSWORD), 423, 'AUTH_ACCOUNT_LOCKED');
    expect(third.error.details?.lockedUntil).toEqual(expect.any(String));

    const right = await client.login('office', DEMO_PASSWORD);
    expectError(right, 423, 'AUTH_ACCOUNT_LOCKED');
    expect(setCookieLine(right, 'lsp_session')).toBeUndefined();
    expectError(await client.get('/api/me'), 401, 'AUTH_REQUIRED');

    const { locked_until: lockedUntil } = await test.db.kysely
      .selectFrom('users')
      .select('locked_until')
      .where('username', '=', 'office')
      .executeTakeFirstOrThrow();
    expect(lockedUntil).toBeInstanceOf(Date);
    const minutesAhead = ((lockedUntil?.getTime() ?? 0) - Date.now()) / 60_000;
    expect(minutesAhead).toBeGreaterThan(14);
    expect(minutesAhead).toBeLessThanOrEqual(15.5);
    expect(third.error.details?.lockedUntil).toBe(lockedUntil?.toISOString());

    const other = new TestClient(test.app);
    const otherLogin = await other.login('surveyor', DEMO_PASSWORD);
    expect(otherLogin.statusCode).toBe(200);
    expect(otherLogin.json<LoginBody>().user.username).toBe('surveyor');
  });

  it('enforces CSRF tokens: before login the pre-session token, after login the session token', async () => {
    const client = new TestClient(test.app);
    await client.get('/api/auth/session');
    const preSessionToken = client.csrfToken;
    expect(preSessionToken).toMatch(/^[0-9a-f]{64}$/);
    const credentials = { username: 'admin', password: DEMO_PASSWORD };

    expectError(await client.post('/api/auth/login', credentials, { csrf: null }), 403, 'CSRF_TOKEN_MISSING');
    expectError(await client.post('/api/auth/login', credentials, { csrf: 'f'.repeat(64) }), 403, 'CSRF_TOKEN_INVALID');
    // A token with no cookie to match (a cross-site page cannot read or set the cookie).
    const stranger = new TestClient(test.app);
    expectError(await stranger.post('/api/auth/login', credentials, { csrf: preSessionToken }), 403, 'CSRF_TOKEN_INVALID');

    const login = await client.post('/api/auth/login', credentials);
    expect(login.statusCode).toBe(200);
    const sessionToken = login.json<LoginBody>().csrfToken;
    expect(client.csrfToken).toBe(sessionToken);

    const title = `CSRF ${engine} ${Date.now()}`;
    const survey = { kind: 'special', scope: 'city', year: 2026, title };
    expectError(await client.post('/api/surveys', survey, { csrf: null }), 403, 'CSRF_TOKEN_MISSING');
    expectError(await client.post('/api/surveys', survey, { csrf: preSessionToken }), 403, 'CSRF_TOKEN_INVALID');
    expectError(await client.post('/api/auth/logout', undefined, { csrf: null }), 403, 'CSRF_TOKEN_MISSING');
    expectError(await client.post('/api/auth/logout', undefined, { csrf: preSessionToken }), 403, 'CSRF_TOKEN_INVALID');
    // Still logged in: the refused logouts did nothing.
    expect((await client.get('/api/me')).statusCode).toBe(200);

    // The router decodes /%61pi/ to /api/: the check must not depend on how the URL is spelled.
    expectError(await client.post('/%61pi/surveys', survey, { csrf: null }), 403, 'CSRF_TOKEN_MISSING');
    expectError(await stranger.post('/%61pi/auth/login', credentials, { csrf: null }), 403, 'CSRF_TOKEN_MISSING');

    const created = await client.post('/api/surveys', survey, { csrf: sessionToken });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ kind: 'special', scope: 'city', year: 2026, title, timePoint: '2026-12-31' });
    const rows = await test.db.kysely.selectFrom('surveys').select('id').where('title', '=', title).execute();
    expect(rows).toHaveLength(1);
  });

  it('accepts as pre-session CSRF token only one the server could have issued', async () => {
    const response = await test.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      cookies: { lsp_csrf: 'abc' },
      headers: { 'x-csrf-token': 'abc' },
      payload: { username: 'admin', password: DEMO_PASSWORD },
    });
    expectError(response, 403, 'CSRF_TOKEN_INVALID');
  });

  it('tells a disabled account only to someone who knows its password', async () => {
    await createUser(test.db.kysely, { username: 'retired.user', displayName: '停用账户', role: 'city_auditor', password: DEMO_PASSWORD });
    await test.db.kysely.updateTable('users').set({ disabled: true }).where('username', '=', 'retired.user').execute();
    expectError(await new TestClient(test.app).login('retired.user', WRONG_PASSWORD), 401, 'AUTH_INVALID_CREDENTIALS');
    expectError(await new TestClient(test.app).login('retired.user', DEMO_PASSWORD), 403, 'AUTH_ACCOUNT_DISABLED');
  });

  it('answers AUTH_SESSION_EXPIRED once the session has expired', async () => {
    const client = new TestClient(test.app);
    expect((await client.login('pudong', DEMO_PASSWORD)).statusCode).toBe(200);
    expect((await client.get('/api/me')).statusCode).toBe(200);

    const result = await test.db.kysely
      .updateTable('sessions')
      .set({ expires_at: sql<Date>`now() - interval '1 minute'` })
      .where('user_id', '=', await userId('pudong'))
      .executeTakeFirst();
    expect(Number(result.numUpdatedRows)).toBe(1);

    expectError(await client.get('/api/me'), 401, 'AUTH_SESSION_EXPIRED');
    expectError(await client.get('/api/surveys'), 401, 'AUTH_SESSION_EXPIRED');
  });

  it('logs out: 204, the session is gone, and its old cookie no longer works', async () => {
    const client = new TestClient(test.app);
    expect((await client.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    const token = client.cookie('lsp_session');
    expect(token).toBeDefined();

    const logout = await client.post('/api/auth/logout');
    expect(logout.statusCode).toBe(204);
    expect(logout.body).toBe('');
    expect(setCookieLine(logout, 'lsp_session')).toBeDefined();
    expect(client.cookie('lsp_session')).toBeUndefined();

    expectError(await client.get('/api/me'), 401, 'AUTH_REQUIRED');
    const replayed = await test.app.inject({ method: 'GET', url: '/api/me', cookies: { lsp_session: token ?? '' } });
    expectError(replayed, 401, 'AUTH_REQUIRED');
    const stored = await test.db.kysely
      .selectFrom('sessions')
      .select('token_hash')
      .where('token_hash', '=', sha256Hex(token ?? ''))
      .execute();
    expect(stored).toEqual([]);
  });

  it('logging out without a session is refused with 401', async () => {
    const client = new TestClient(test.app);
    await client.get('/api/auth/session');
    expectError(await client.post('/api/auth/logout'), 401, 'AUTH_REQUIRED');
  });

  it('records successful and failed logins in the audit log', async () => {
    const client = new TestClient(test.app);
    expectError(await client.login('agency', WRONG_PASSWORD), 401, 'AUTH_INVALID_CREDENTIALS');
    expectError(await client.login('ghost-user', WRONG_PASSWORD), 401, 'AUTH_INVALID_CREDENTIALS');
    expect((await client.login('agency', DEMO_PASSWORD)).statusCode).toBe(200);

    const agencyId = await userId('agency');
    const entries = await test.db.kysely
      .selectFrom('audit_log')
      .select(['action', 'actor_user_id', 'actor_role', 'object_type', 'object_id', 'detail'])
      .where('object_id', 'in', [agencyId, 'ghost-user'])
      .orderBy('id')
      .execute();
    expect(entries).toEqual([
      {
        action: 'auth.login_failed',
        actor_user_id: null,
        actor_role: 'public',
        object_type: 'user',
        object_id: agencyId,
        detail: { username: 'agency', reason: 'wrong_password', locked: false },
      },
      {
        action: 'auth.login_failed',
        actor_user_id: null,
        actor_role: 'public',
        object_type: 'user',
        object_id: 'ghost-user',
        detail: { username: 'ghost-user', reason: 'unknown_user' },
      },
      { action: 'auth.login', actor_user_id: agencyId, actor_role: 'agency', object_type: 'user', object_id: agencyId, detail: null },
    ]);
  });

  it('limits login attempts per client: the 4th within a minute gets 429 RATE_LIMITED', async () => {
    const client = new TestClient(limited.app);
    await client.get('/api/auth/session');
    for (let attempt = 1; attempt <= 3; attempt++) {
      expectError(await client.post('/api/auth/login', { username: `nobody-${attempt}`, password: WRONG_PASSWORD }), 401, 'AUTH_INVALID_CREDENTIALS');
    }
    // Even the right password is not checked any more.
    const fourth = await client.post('/api/auth/login', { username: 'admin', password: DEMO_PASSWORD });
    const body = expectError(fourth, 429, 'RATE_LIMITED');
    expect(body.error.details?.retryAfterSeconds).toEqual(expect.any(Number));
    expect(setCookieLine(fourth, 'lsp_session')).toBeUndefined();
    // Other routes are not limited.
    expect((await client.get('/api/auth/session')).statusCode).toBe(200);
    expect((await client.get('/api/health')).statusCode).toBe(200);
  });
});
