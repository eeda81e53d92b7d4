// The session cache (server/modules/auth/session-cache.ts) on both engines: a signed-in request
// is answered from memory, and nothing that ends or changes a session is ever missed: logout,
// a disabled account, a changed role or district name, an expiry, and (on the server engine) a
// change still uncommitted while a request comes in.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { expectError } from './helpers.ts';

describe.each(ENGINES)('the session cache on the %s engine', (engine) => {
  let test: TestApp;

  beforeAll(async () => {
    test = await openTestApp(engine, { LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  });
  afterAll(async () => {
    await test?.drop();
  });

  async function signedIn(username: string): Promise<TestClient> {
    const client = new TestClient(test.app);
    expect((await client.login(username, DEMO_PASSWORD)).statusCode).toBe(200);
    return client;
  }

  const me = async (client: TestClient) => {
    const response = await client.get('/api/me');
    return { status: response.statusCode, user: response.statusCode === 200 ? response.json() : null };
  };

  it('answers a signed-in request again from memory, without a lookup', async () => {
    const client = await signedIn('chongming');
    await me(client);
    const { hits, misses } = test.app.sessions;
    for (let i = 0; i < 5; i++) expect((await me(client)).user.username).toBe('chongming');
    expect(test.app.sessions.hits - hits).toBe(5);
    expect(test.app.sessions.misses).toBe(misses);
  });

  it('another login does not empty the cache (it sweeps sessions but removes none)', async () => {
    const client = await signedIn('pudong');
    await me(client);
    await signedIn('auditor');
    const { misses } = test.app.sessions;
    await me(client);
    expect(test.app.sessions.misses).toBe(misses);
  });

  it('refuses a session at once after its logout, from another client holding the same cookie too', async () => {
    const client = await signedIn('chongming');
    const copy = () => test.app.inject({ method: 'GET', url: '/api/me', cookies: { lsp_session: client.cookie('lsp_session')! } });
    expect((await copy()).statusCode).toBe(200);
    expect((await client.post('/api/auth/logout')).statusCode).toBe(204);
    expectError(await copy(), 401, 'AUTH_REQUIRED');
  });

  it('sees a disabled account, a new role and a renamed district on the next request', async () => {
    const client = await signedIn('surveyor');
    expect((await me(client)).user.role).toBe('surveyor');

    await test.db.kysely.updateTable('users').set({ role: 'district_operator' }).where('username', '=', 'surveyor').execute();
    expect((await me(client)).user.role).toBe('district_operator');

    await test.db.kysely.updateTable('admin_units').set({ name: '崇明区（测试）' }).where('code', '=', '310151').execute();
    expect((await me(client)).user.districtName).toBe('崇明区（测试）');
    await test.db.kysely.updateTable('admin_units').set({ name: '崇明区' }).where('code', '=', '310151').execute();

    await test.db.kysely.updateTable('users').set({ disabled: true }).where('username', '=', 'surveyor').execute();
    expectError(await client.get('/api/me'), 401, 'AUTH_REQUIRED');
    await test.db.kysely.updateTable('users').set({ disabled: false, role: 'surveyor' }).where('username', '=', 'surveyor').execute();
  });

  it('sees a session expire, whether its expiry is moved or its time runs out while cached', async () => {
    const sessionOf = (username: string) =>
      test.db.kysely.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id').select('token_hash').where('username', '=', username);
    const moved = await signedIn('office');
    await me(moved);
    await test.db.kysely.updateTable('sessions').set({ expires_at: sql<Date>`now() - interval '1 minute'` }).where('token_hash', 'in', sessionOf('office')).execute();
    expectError(await moved.get('/api/me'), 401, 'AUTH_SESSION_EXPIRED');

    const running = await signedIn('agency');
    await test.db.kysely.updateTable('sessions').set({ expires_at: sql<Date>`now() + interval '1 second'` }).where('token_hash', 'in', sessionOf('agency')).execute();
    expect((await me(running)).status).toBe(200);
    expect((await me(running)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expectError(await running.get('/api/me'), 401, 'AUTH_SESSION_EXPIRED');
  });

  it.runIf(engine === 'server')('does not keep what it found while a change is still uncommitted, and sees it once committed', async () => {
    const client = await signedIn('admin');
    expect((await me(client)).status).toBe(200);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let changed: () => void = () => undefined;
    const open = new Promise<void>((resolve) => (changed = resolve));
    const writer = test.db.kysely.transaction().execute(async (tx) => {
      await tx.updateTable('users').set({ disabled: true }).where('username', '=', 'admin').execute();
      changed();
      await held;
    });
    await open;
    // Not yet committed: still valid, but looked up (the generation moved) and not kept.
    const before = test.app.sessions.misses;
    expect((await me(client)).status).toBe(200);
    expect((await me(client)).status).toBe(200);
    expect(test.app.sessions.misses - before).toBe(2);
    release();
    await writer;
    expectError(await client.get('/api/me'), 401, 'AUTH_REQUIRED');
    await test.db.kysely.updateTable('users').set({ disabled: false }).where('username', '=', 'admin').execute();
    expect((await me(await signedIn('admin'))).status).toBe(200);
  });
});
