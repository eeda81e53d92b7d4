import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS } from '../../server/seed/demo.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { CHONGMING, DEMO_PASSWORD, insertSubmission, nationalSurveyId, PUDONG } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { expectError } from './helpers.ts';

type DemoUser = 'admin' | 'auditor' | 'chongming' | 'pudong' | 'office' | 'surveyor' | 'agency';
const DEMO_USERS: DemoUser[] = ['admin', 'auditor', 'chongming', 'pudong', 'office', 'surveyor', 'agency'];

describe.each(ENGINES)('role checks on the %s engine', (engine) => {
  let test: TestApp;
  const as = {} as Record<DemoUser, TestClient>;
  let anonymous: TestClient;

  beforeAll(async () => {
    test = await openTestApp(engine, { LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
    anonymous = new TestClient(test.app);
    for (const username of DEMO_USERS) {
      const client = new TestClient(test.app);
      const response = await client.login(username, DEMO_PASSWORD);
      if (response.statusCode !== 200) throw new Error(`login ${username}: ${response.statusCode} ${response.body}`);
      as[username] = client;
    }
  });
  afterAll(() => test?.drop());

  const countUsers = async (username: string) =>
    (await test.db.kysely.selectFrom('users').select('id').where('username', '=', username).execute()).length;

  describe('anonymous', () => {
    it('may read health and the districts', async () => {
      expect((await anonymous.get('/api/health')).statusCode).toBe(200);
      const districts = await anonymous.get('/api/admin-units?level=district');
      expect(districts.statusCode).toBe(200);
      const units = districts.json<{ code: string; level: string; parentCode: string | null }[]>();
      expect(units).toHaveLength(16);
      expect(units.every((unit) => unit.level === 'district' && unit.parentCode === '310000')).toBe(true);
      expect(units.map((unit) => unit.code)).toEqual(expect.arrayContaining([CHONGMING, PUDONG]));
    });

    it('may not read surveys or users', async () => {
      expectError(await anonymous.get('/api/surveys'), 401, 'AUTH_REQUIRED');
      expectError(await anonymous.get('/api/users'), 401, 'AUTH_REQUIRED');
      expectError(await anonymous.get('/api/submissions'), 401, 'AUTH_REQUIRED');
      expectError(await anonymous.get('/api/audit-log'), 401, 'AUTH_REQUIRED');
    });
  });

  describe('GET /api/users', () => {
    it('lists every account for the city administrator and the city auditor', async () => {
      const expected = DEMO_ACCOUNTS.map((account) => account.username).sort();
      for (const username of ['admin', 'auditor'] as const) {
        const response = await as[username].get('/api/users');
        expect(response.statusCode).toBe(200);
        const users = response.json<{ username: string; role: string; districtCode: string | null }[]>();
        expect(users.map((user) => user.username)).toEqual(expected);
        expect(users.find((user) => user.username === 'chongming')).toMatchObject({ role: 'district_operator', districtCode: CHONGMING });
        expect(JSON.stringify(users)).not.toMatch(/argon2|password/i);
      }
    });

    it('is forbidden to the other roles', async () => {
      for (const username of ['chongming', 'agency', 'office', 'surveyor'] as const) {
        expectError(await as[username].get('/api/users'), 403, 'FORBIDDEN');
      }
    });
  });

  describe('POST /api/users', () => {
    const newOperator = {
      username: 'chongming-2',
      displayName: '崇明区操作员二',
      role: 'district_operator',
      password: 'a-long-enough-password',
      districtCode: CHONGMING,
    };

    it('lets the city administrator create an account that can then log in', async () => {
      const response = await as.admin.post('/api/users', newOperator);
      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        username: 'chongming-2',
        displayName: '崇明区操作员二',
        role: 'district_operator',
        districtCode: CHONGMING,
        disabled: false,
      });

      const client = new TestClient(test.app);
      const login = await client.login('chongming-2', 'a-long-enough-password');
      expect(login.statusCode).toBe(200);
      expect((await client.get('/api/me')).json()).toMatchObject({ username: 'chongming-2', role: 'district_operator', districtCode: CHONGMING });

      const audit = await test.db.kysely
        .selectFrom('audit_log')
        .select(['actor_role', 'object_id'])
        .where('action', '=', 'user.create')
        .execute();
      expect(audit).toEqual([{ actor_role: 'city_admin', object_id: response.json<{ id: string }>().id }]);
    });

    it('is forbidden to the city auditor', async () => {
      expectError(await as.auditor.post('/api/users', { ...newOperator, username: 'by-the-auditor' }), 403, 'FORBIDDEN');
      expectError(await as.chongming.post('/api/users', { ...newOperator, username: 'by-the-district' }), 403, 'FORBIDDEN');
      expect(await countUsers('by-the-auditor')).toBe(0);
      expect(await countUsers('by-the-district')).toBe(0);
    });

    it('refuses a weak password, a district role without a district, and a taken username', async () => {
      expectError(await as.admin.post('/api/users', { ...newOperator, username: 'weak-one', password: 'short' }), 400, 'USER_WEAK_PASSWORD');
      const { districtCode: _districtCode, ...withoutDistrict } = newOperator;
      expectError(await as.admin.post('/api/users', { ...withoutDistrict, username: 'no-district' }), 400, 'USER_DISTRICT_REQUIRED');
      expectError(await as.admin.post('/api/users', { ...newOperator, username: 'null-district', districtCode: null }), 400, 'USER_DISTRICT_REQUIRED');
      expectError(await as.admin.post('/api/users', { ...newOperator, username: 'chongming' }), 409, 'USER_EXISTS');
      // Usernames are case-insensitive.
      expectError(await as.admin.post('/api/users', { ...newOperator, username: 'ChongMing' }), 409, 'USER_EXISTS');
      for (const username of ['weak-one', 'no-district', 'null-district']) expect(await countUsers(username)).toBe(0);
    });
  });

  describe('POST /api/surveys', () => {
    const districtSurvey = (districtCode: string, title: string) => ({
      kind: 'special',
      scope: 'district',
      districtCode,
      year: 2026,
      title,
    });
    const countSurveys = async (title: string) =>
      (await test.db.kysely.selectFrom('surveys').select('id').where('title', '=', title).execute()).length;

    it('lets a district operator create a special survey of its own district', async () => {
      const response = await as.chongming.post('/api/surveys', districtSurvey(CHONGMING, '崇明区2026年专项调查'));
      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({ kind: 'special', scope: 'district', districtCode: CHONGMING, state: 'planned' });
      // Visible to its district and the city, not to another district.
      const own = (await as.chongming.get('/api/surveys')).json<{ title: string }[]>();
      expect(own.map((survey) => survey.title)).toContain('崇明区2026年专项调查');
      const city = (await as.auditor.get('/api/surveys')).json<{ title: string }[]>();
      expect(city.map((survey) => survey.title)).toContain('崇明区2026年专项调查');
      const other = (await as.pudong.get('/api/surveys')).json<{ title: string }[]>();
      expect(other.map((survey) => survey.title)).not.toContain('崇明区2026年专项调查');
    });

    it('refuses, in the database, a district operator creating another district\'s or a city-wide survey', async () => {
      const refused = expectError(await as.chongming.post('/api/surveys', districtSurvey(PUDONG, '冒名浦东专项调查')), 403, 'FORBIDDEN');
      // The route admits district operators: this refusal is row-level security's (42501).
      expect(refused.error.message.en).toMatch(/rows/);
      expect(await countSurveys('冒名浦东专项调查')).toBe(0);
      const cityWide = { kind: 'special', scope: 'city', year: 2026, title: '区操作员建的全市调查' };
      expectError(await as.chongming.post('/api/surveys', cityWide), 403, 'FORBIDDEN');
      expect(await countSurveys('区操作员建的全市调查')).toBe(0);
    });

    it('is forbidden to the agency', async () => {
      const refused = expectError(await as.agency.post('/api/surveys', districtSurvey(CHONGMING, '机构调查')), 403, 'FORBIDDEN');
      expect(refused.error.message.en).toMatch(/role/);
      expect(await countSurveys('机构调查')).toBe(0);
    });
  });

  describe('GET /api/submissions', () => {
    let chongmingId: string;
    let pudongId: string;
    beforeAll(async () => {
      const surveyId = await nationalSurveyId(test.db);
      chongmingId = await insertSubmission(test.db, CHONGMING, surveyId);
      pudongId = await insertSubmission(test.db, PUDONG, surveyId);
    });

    const seenBy = async (username: DemoUser) => {
      const response = await as[username].get('/api/submissions');
      expect(response.statusCode).toBe(200);
      return response
        .json<{ id: string; districtCode: string }[]>()
        .map((submission) => submission.id)
        .sort();
    };

    it('shows a district operator only its own district', async () => {
      expect(await seenBy('chongming')).toEqual([chongmingId]);
      expect(await seenBy('pudong')).toEqual([pudongId]);
      expect(await seenBy('surveyor')).toEqual([chongmingId]);
      // Asking for another district yields nothing rather than its rows.
      const asked = await as.chongming.get(`/api/submissions?districtCode=${PUDONG}`);
      expect(asked.json()).toEqual([]);
    });

    it('shows the city roles every district', async () => {
      const both = [chongmingId, pudongId].sort();
      expect(await seenBy('admin')).toEqual(both);
      expect(await seenBy('auditor')).toEqual(both);
      expect(await seenBy('office')).toEqual(both);
    });

    it('is forbidden to the agency', async () => {
      expectError(await as.agency.get('/api/submissions'), 403, 'FORBIDDEN');
    });
  });

  describe('GET /api/audit-log', () => {
    type Entry = { action: string; districtCode: string | null; actorRole: string };

    it('shows the city administrator everything', async () => {
      const response = await as.admin.get('/api/audit-log?limit=1000');
      expect(response.statusCode).toBe(200);
      const entries = response.json<Entry[]>();
      const districts = new Set(entries.map((entry) => entry.districtCode));
      expect(districts).toContain(CHONGMING);
      expect(districts).toContain(PUDONG);
      expect(districts).toContain(null);
      expect(entries.filter((entry) => entry.action === 'auth.login').length).toBeGreaterThanOrEqual(DEMO_USERS.length);
    });

    it('shows a district operator only its district\'s entries', async () => {
      const response = await as.chongming.get('/api/audit-log?limit=1000');
      expect(response.statusCode).toBe(200);
      const entries = response.json<Entry[]>();
      expect(entries.length).toBeGreaterThan(0);
      expect(entries.every((entry) => entry.districtCode === CHONGMING)).toBe(true);
      expect(entries.map((entry) => entry.action)).toContain('survey.create');
    });

    it('is forbidden to a surveyor', async () => {
      expectError(await as.surveyor.get('/api/audit-log'), 403, 'FORBIDDEN');
      expectError(await as.agency.get('/api/audit-log'), 403, 'FORBIDDEN');
    });
  });
});
