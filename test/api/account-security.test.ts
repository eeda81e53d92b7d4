// Issue 13, items 9, 14 and 15: the lock-out under concurrent logins, sessions ending with a
// password change or a disabled account, and what /api/health tells whom.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSystem } from '../../server/db/context.ts';
import { sha256Hex } from '../../server/modules/auth/tokens.ts';
import { createUser } from '../../server/modules/users/repository.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { expectError } from './helpers.ts';

const WRONG_PASSWORD = 'not-the-password-2026';
const NEW_PASSWORD = 'a-new-password-2026';
const THRESHOLD = 5;

describe.each(ENGINES)('account security on the %s engine', (engine) => {
  let test: TestApp;
  let base: string;

  beforeAll(async () => {
    test = await openTestApp(engine, { LOGIN_LOCKOUT_THRESHOLD: String(THRESHOLD), LOGIN_LOCKOUT_MINUTES: '15', LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
    // A listening server, so that concurrent logins really overlap (separate sockets, the pool).
    base = await test.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => test?.drop());

  const newAccount = (username: string) =>
    asSystem(test.db, (tx) => createUser(tx, { username, displayName: username, role: 'city_auditor', password: DEMO_PASSWORD }));

  /** Logins sent over HTTP at once, each on its own connection, with one pre-session CSRF token. */
  async function concurrentLogins(username: string, passwords: string[]): Promise<number[]> {
    const pre = await fetch(`${base}/api/auth/session`);
    const { csrfToken } = (await pre.json()) as { csrfToken: string };
    const responses = await Promise.all(
      passwords.map((password) =>
        fetch(`${base}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken, cookie: `lsp_csrf=${csrfToken}`, connection: 'close' },
          body: JSON.stringify({ username, password }),
        }),
      ),
    );
    await Promise.all(responses.map((response) => response.arrayBuffer()));
    return responses.map((response) => response.status);
  }

  /** Passwords verified for an account, as its audit entries record them. */
  async function passwordChecks(userId: string): Promise<number> {
    const rows = await asSystem(test.db, (tx) =>
      tx
        .selectFrom('audit_log')
        .select(['action', sql<string | null>`detail->>'reason'`.as('reason')])
        .where('object_id', '=', userId)
        .where('action', 'like', 'auth.login%')
        .execute(),
    );
    return rows.filter(
      (row) =>
        row.action === 'auth.login' ||
        (row.action === 'auth.login_failed' && row.reason === 'wrong_password') ||
        (row.action === 'auth.login_refused' && row.reason === 'locked_during_check'),
    ).length;
  }

  const sessionsOf = async (userId: string) =>
    (await test.db.kysely.selectFrom('sessions').select('token_hash').where('user_id', '=', userId).execute()).length;

  describe('lock-out under concurrent logins (item 9)', () => {
    it('15 wrong passwords and the right one at once: at most the threshold is checked, the right one is refused', async () => {
      const user = await newAccount('burst.target');
      const statuses = await concurrentLogins('burst.target', [...Array<string>(15).fill(WRONG_PASSWORD), DEMO_PASSWORD]);
      expect(statuses.every((status) => status === 401 || status === 423)).toBe(true);
      // The right password, sent with the others, came during the lock.
      expect(statuses.at(-1)).toBe(423);
      const checks = await passwordChecks(user.id);
      expect(checks).toBeGreaterThanOrEqual(1);
      expect(checks).toBeLessThanOrEqual(THRESHOLD);
      const row = await test.db.kysely.selectFrom('users').select('locked_until').where('id', '=', user.id).executeTakeFirstOrThrow();
      expect(row.locked_until?.getTime() ?? 0).toBeGreaterThan(Date.now() + 14 * 60_000);
      expect(await sessionsOf(user.id)).toBe(0);
      // And the lock holds against the right password afterwards, without checking it.
      expect(await concurrentLogins('burst.target', [DEMO_PASSWORD])).toEqual([423]);
      expect(await passwordChecks(user.id)).toBe(checks);
    });

    it('a right password still being checked when a wrong one locks the account does not log in', async () => {
      const user = await newAccount('inflight.target');
      expect(await concurrentLogins('inflight.target', Array<string>(THRESHOLD - 1).fill(WRONG_PASSWORD))).toEqual(Array(THRESHOLD - 1).fill(401));
      // One check is left before the lock: whichever of the two takes it, the other locks the account.
      const statuses = await concurrentLogins('inflight.target', [DEMO_PASSWORD, WRONG_PASSWORD]);
      expect(statuses).toEqual([423, 423]);
      expect(await sessionsOf(user.id)).toBe(0);
      expect(await passwordChecks(user.id)).toBeLessThanOrEqual(THRESHOLD);
    });
  });

  describe('sessions end with the account changes (item 14)', () => {
    const loggedIn = async (username: string, password = DEMO_PASSWORD) => {
      const client = new TestClient(test.app);
      const response = await client.login(username, password);
      expect(response.statusCode, response.body).toBe(200);
      return client;
    };

    it('a user changes their own password: every other session ends, the caller gets a new one, the old password is refused', async () => {
      await newAccount('self.change');
      const first = await loggedIn('self.change');
      const second = await loggedIn('self.change');
      expect((await second.get('/api/me')).statusCode).toBe(200);
      const oldCookie = first.cookie('lsp_session');

      const changed = await first.post('/api/me/password', { currentPassword: DEMO_PASSWORD, newPassword: NEW_PASSWORD });
      expect(changed.statusCode, changed.body).toBe(200);
      expect(changed.json()).toMatchObject({ user: { username: 'self.change' }, csrfToken: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(first.cookie('lsp_session')).not.toBe(oldCookie);
      expect((await first.get('/api/me')).statusCode).toBe(200);
      // The second session had been used (and cached): it ends all the same.
      expectError(await second.get('/api/me'), 401, 'AUTH_REQUIRED');
      const stale = await test.db.kysely.selectFrom('sessions').select('token_hash').where('token_hash', '=', sha256Hex(oldCookie ?? '')).execute();
      expect(stale).toEqual([]);

      expectError(await new TestClient(test.app).login('self.change', DEMO_PASSWORD), 401, 'AUTH_INVALID_CREDENTIALS');
      await loggedIn('self.change', NEW_PASSWORD);
      const audit = await asSystem(test.db, (tx) => tx.selectFrom('audit_log').select('action').where('action', '=', 'user.password_changed').execute());
      expect(audit).toHaveLength(1);
    });

    it('refuses a change without the right current password, a short new one, no CSRF token or no session', async () => {
      const user = await newAccount('self.refused');
      const client = await loggedIn('self.refused');
      expectError(await client.post('/api/me/password', { currentPassword: WRONG_PASSWORD, newPassword: NEW_PASSWORD }), 403, 'AUTH_WRONG_CURRENT_PASSWORD');
      // It counts against the lock-out like a failed login.
      const counted = await test.db.kysely.selectFrom('users').select('failed_login_count').where('id', '=', user.id).executeTakeFirstOrThrow();
      expect(counted.failed_login_count).toBe(1);
      expectError(await client.post('/api/me/password', { currentPassword: DEMO_PASSWORD, newPassword: 'short' }), 400, 'USER_WEAK_PASSWORD');
      expectError(await client.post('/api/me/password', { currentPassword: DEMO_PASSWORD, newPassword: NEW_PASSWORD }, { csrf: null }), 403, 'CSRF_TOKEN_MISSING');
      expectError(await client.post('/api/me/password', { currentPassword: DEMO_PASSWORD }), 400, 'VALIDATION_FAILED');
      const anonymous = new TestClient(test.app);
      await anonymous.get('/api/auth/session');
      expectError(await anonymous.post('/api/me/password', { currentPassword: DEMO_PASSWORD, newPassword: NEW_PASSWORD }), 401, 'AUTH_REQUIRED');
      // Nothing changed: the session lives and the old password still logs in.
      expect((await client.get('/api/me')).statusCode).toBe(200);
      await loggedIn('self.refused');
    });

    it('the city administrator resets another account\'s password: its sessions end and its lock-out clears', async () => {
      const user = await newAccount('reset.target');
      const victim = await loggedIn('reset.target');
      await concurrentLogins('reset.target', Array<string>(THRESHOLD).fill(WRONG_PASSWORD));
      expectError(await new TestClient(test.app).login('reset.target', DEMO_PASSWORD), 423, 'AUTH_ACCOUNT_LOCKED');

      const admin = await loggedIn('admin');
      const operator = await loggedIn('chongming');
      expectError(await operator.post(`/api/users/${user.id}/password`, { newPassword: NEW_PASSWORD }), 403, 'FORBIDDEN');
      expectError(await admin.post(`/api/users/${user.id}/password`, { newPassword: 'short' }), 400, 'USER_WEAK_PASSWORD');
      expectError(await admin.post('/api/users/00000000-0000-4000-8000-000000000000/password', { newPassword: NEW_PASSWORD }), 404, 'USER_NOT_FOUND');
      const reset = await admin.post(`/api/users/${user.id}/password`, { newPassword: NEW_PASSWORD });
      expect(reset.statusCode, reset.body).toBe(200);
      expect(reset.json()).toMatchObject({ id: user.id, username: 'reset.target', disabled: false });

      expectError(await victim.get('/api/me'), 401, 'AUTH_REQUIRED');
      expect(await sessionsOf(user.id)).toBe(0);
      await loggedIn('reset.target', NEW_PASSWORD);
      const audit = await asSystem(test.db, (tx) =>
        tx.selectFrom('audit_log').select(['actor_role', 'object_id']).where('action', '=', 'user.password_reset').execute(),
      );
      expect(audit).toEqual([{ actor_role: 'city_admin', object_id: user.id }]);
    });

    it('disabling an account ends its sessions; re-enabling brings none back', async () => {
      const user = await newAccount('disable.target');
      const victim = await loggedIn('disable.target');
      expect((await victim.get('/api/me')).statusCode).toBe(200);
      const admin = await loggedIn('admin');
      const operator = await loggedIn('pudong');
      expectError(await operator.request('PATCH', `/api/users/${user.id}`, { body: { disabled: true } }), 403, 'FORBIDDEN');
      const adminId = (await admin.get('/api/me')).json<{ id: string }>().id;
      expectError(await admin.request('PATCH', `/api/users/${adminId}`, { body: { disabled: true } }), 409, 'USER_CANNOT_DISABLE_SELF');

      const disabled = await admin.request('PATCH', `/api/users/${user.id}`, { body: { disabled: true } });
      expect(disabled.statusCode, disabled.body).toBe(200);
      expect(disabled.json()).toMatchObject({ id: user.id, disabled: true });
      expectError(await victim.get('/api/me'), 401, 'AUTH_REQUIRED');
      expect(await sessionsOf(user.id)).toBe(0);

      const enabled = await admin.request('PATCH', `/api/users/${user.id}`, { body: { disabled: false } });
      expect(enabled.json()).toMatchObject({ disabled: false });
      expectError(await victim.get('/api/me'), 401, 'AUTH_REQUIRED');
      await loggedIn('disable.target');
      const actions = await asSystem(test.db, (tx) =>
        tx.selectFrom('audit_log').select('action').where('object_id', '=', user.id).where('action', 'in', ['user.disabled', 'user.enabled']).orderBy('id').execute(),
      );
      expect(actions.map((row) => row.action)).toEqual(['user.disabled', 'user.enabled']);
    });

    it('a password or disabled flag changed by SQL outside the platform ends the sessions too', async () => {
      const user = await newAccount('sql.target');
      const victim = await loggedIn('sql.target');
      await asSystem(test.db, (tx) => tx.updateTable('users').set({ disabled: true }).where('id', '=', user.id).execute());
      await asSystem(test.db, (tx) => tx.updateTable('users').set({ disabled: false }).where('id', '=', user.id).execute());
      expectError(await victim.get('/api/me'), 401, 'AUTH_REQUIRED');

      const again = await loggedIn('sql.target');
      const { password_hash: hash } = await asSystem(test.db, (tx) =>
        tx.selectFrom('users').select('password_hash').where('username', '=', 'admin').executeTakeFirstOrThrow(),
      );
      await asSystem(test.db, (tx) => tx.updateTable('users').set({ password_hash: hash }).where('id', '=', user.id).execute());
      expectError(await again.get('/api/me'), 401, 'AUTH_REQUIRED');
    });
  });

  describe('/api/health (item 15)', () => {
    it('tells anonymous visitors and other roles only up or down', async () => {
      const anonymous = await test.app.inject({ method: 'GET', url: '/api/health' });
      expect(anonymous.statusCode).toBe(200);
      expect(anonymous.json()).toEqual({ status: 'ok' });
      for (const username of ['chongming', 'office']) {
        const client = new TestClient(test.app);
        expect((await client.login(username, DEMO_PASSWORD)).statusCode).toBe(200);
        expect((await client.get('/api/health')).json()).toEqual({ status: 'ok' });
      }
    });

    it('gives the city administrator and auditor the engine, versions and migration state', async () => {
      for (const username of ['admin', 'auditor']) {
        const client = new TestClient(test.app);
        expect((await client.login(username, DEMO_PASSWORD)).statusCode).toBe(200);
        const health = await client.get('/api/health');
        expect(health.statusCode).toBe(200);
        expect(health.json()).toMatchObject({
          status: 'ok',
          engine,
          postgres: expect.stringMatching(/^\d+/),
          postgis: expect.stringMatching(/^3\./),
          migrations: { pending: [], modified: [] },
          capabilities: { mvt: expect.any(Boolean), geosRaisesErrors: expect.any(Boolean) },
        });
      }
    });
  });
});
