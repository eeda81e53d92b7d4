// Issue 13, items 10 and 11: what SQL on a request's connection can and cannot do. On a server,
// request transactions run on connections of the login role lsp_request (migrations/0014): no
// statement takes them back to the owner. The embedded engine has one connection, the owner's;
// the test says what holds there too.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asActor, asSystem, type ActorContext, type Tx } from '../../server/db/context.ts';
import { openServerDatabase } from '../../server/db/engine.ts';
import { ENGINES, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { actorFor, CHONGMING, PUDONG, seedAccounts } from '../support/data.ts';

/** The ways back to the connection's own (on the owner's connection: superuser) role. */
const ESCAPES = ['RESET ROLE', "SELECT set_config('role', 'none', true)", 'SET SESSION AUTHORIZATION DEFAULT', 'SET ROLE NONE'];

interface Whoami {
  role: string;
  superuser: boolean;
}

async function whoami(tx: Tx): Promise<Whoami> {
  const { rows } = await sql<Whoami>`SELECT current_user AS role, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser`.execute(tx);
  return rows[0]!;
}

/** Runs a statement in a savepoint: its error, or null; the transaction goes on either way. */
async function attempt(tx: Tx, statement: string): Promise<{ code: string } | null> {
  await sql`SAVEPOINT attempt`.execute(tx);
  try {
    await sql.raw(statement).execute(tx);
    await sql`RELEASE SAVEPOINT attempt`.execute(tx);
    return null;
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT attempt`.execute(tx);
    return { code: String((error as { code?: string }).code) };
  }
}

describe.each(ENGINES)('the request role on the %s engine', (engine) => {
  let test: TestDatabase;
  let chongming: ActorContext;
  let admin: ActorContext;
  let adminId: string;
  let chongmingId: string;

  beforeAll(async () => {
    test = await openTestDatabase(engine);
    await seedAccounts(test.db);
    chongming = await actorFor(test.db, 'chongming');
    admin = await actorFor(test.db, 'admin');
    const ids = await test.db.kysely.selectFrom('users').select(['id', 'username']).where('username', 'in', ['admin', 'chongming']).execute();
    adminId = ids.find((row) => row.username === 'admin')!.id;
    chongmingId = ids.find((row) => row.username === 'chongming')!.id;
  });
  afterAll(() => test?.drop());

  const auditRows = (action: string) =>
    asSystem(test.db, (tx) =>
      tx.selectFrom('audit_log').select(['actor_user_id', 'actor_role', 'district_code', 'at']).where('action', '=', action).execute(),
    );

  describe('audit entries carry the session\'s identity (item 11)', () => {
    it('a district operator cannot label an entry with another district or another user', async () => {
      const forgedDistrict = await asActor(test.db, chongming, (tx) =>
        attempt(tx, `INSERT INTO audit_log (actor_user_id, actor_role, district_code, action) VALUES ('${chongmingId}', 'district_operator', '${PUDONG}', 'forged.district')`),
      );
      expect(forgedDistrict).toEqual({ code: '42501' });
      const forgedUser = await asActor(test.db, chongming, (tx) =>
        attempt(tx, `INSERT INTO audit_log (actor_user_id, actor_role, district_code, action) VALUES ('${adminId}', 'city_admin', NULL, 'forged.user')`),
      );
      expect(forgedUser).toEqual({ code: '42501' });
      expect(await auditRows('forged.district')).toEqual([]);
      expect(await auditRows('forged.user')).toEqual([]);
    });

    it('an entry that names nobody gets user, role, district and time from the session', async () => {
      await asActor(test.db, chongming, (tx) =>
        sql`INSERT INTO audit_log (action, at) VALUES ('unnamed.entry', '2001-01-01T00:00:00Z')`.execute(tx),
      );
      const [row] = await auditRows('unnamed.entry');
      expect(row).toMatchObject({ actor_user_id: chongmingId, actor_role: 'district_operator', district_code: CHONGMING });
      expect(Math.abs(row!.at.getTime() - Date.now())).toBeLessThan(60_000);
    });

    it('the city administrator may name the district its action concerned; the system writes what it knows', async () => {
      await asActor(test.db, admin, (tx) =>
        sql`INSERT INTO audit_log (actor_user_id, actor_role, district_code, action) VALUES (${adminId}, 'city_admin', ${PUDONG}, 'city.entry')`.execute(tx),
      );
      expect(await auditRows('city.entry')).toMatchObject([{ actor_user_id: adminId, actor_role: 'city_admin', district_code: PUDONG }]);
      await asSystem(test.db, (tx) =>
        sql`INSERT INTO audit_log (actor_user_id, actor_role, district_code, action) VALUES (NULL, 'system', ${CHONGMING}, 'system.entry')`.execute(tx),
      );
      expect(await auditRows('system.entry')).toMatchObject([{ actor_user_id: null, actor_role: 'system', district_code: CHONGMING }]);
    });
  });

  describe.runIf(engine === 'server')('request connections cannot leave row-level security (item 10)', () => {
    it('log in as lsp_request, which is neither superuser nor owner nor a member of either', async () => {
      const facts = await asActor(test.db, chongming, async (tx) => {
        const { rows } = await sql<{ login: string; owner: boolean; superuser: boolean }>`
          SELECT session_user AS login,
                 pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = 'audit_log'::regclass), 'USAGE') AS owner,
                 (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) AS superuser`.execute(tx);
        return rows[0];
      });
      expect(facts).toEqual({ login: 'lsp_request', owner: false, superuser: false });
      await expect(test.db.checkRequestRole()).resolves.toBeUndefined();
    });

    it.each(ESCAPES)('after %s the transaction is still no superuser and every guard holds', async (escape) => {
      await asActor(test.db, chongming, async (tx) => {
        expect(await whoami(tx)).toEqual({ role: 'lsp_app', superuser: false });
        await attempt(tx, escape);
        const after = await whoami(tx);
        expect(after.superuser).toBe(false);
        expect(['lsp_app', 'lsp_request']).toContain(after.role);
        expect(await attempt(tx, 'SET SESSION AUTHORIZATION postgres')).toEqual({ code: '42501' });
        expect(await attempt(tx, 'SET ROLE postgres')).toEqual({ code: '42501' });
        expect(await attempt(tx, 'ALTER TABLE audit_log DISABLE TRIGGER audit_log_identity')).toEqual({ code: '42501' });
        expect(await attempt(tx, 'ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY')).toEqual({ code: '42501' });
        expect(await attempt(tx, 'SET session_replication_role = replica')).toEqual({ code: '42501' });
        expect(await attempt(tx, 'DELETE FROM audit_log')).toEqual({ code: '42501' });
        expect(await attempt(tx, `INSERT INTO audit_log (actor_user_id, actor_role, district_code, action) VALUES ('${adminId}', 'city_admin', '${PUDONG}', 'forged.escape')`)).not.toBeNull();
        // Still confined to its district, and still blind to sessions and password hashes.
        const { rows } = await sql<{ district_code: string }>`SELECT DISTINCT district_code FROM audit_log`.execute(tx);
        expect(rows.every((row) => row.district_code === CHONGMING)).toBe(true);
        expect(await attempt(tx, 'SELECT token_hash FROM sessions')).toEqual({ code: '42501' });
        expect(await attempt(tx, 'SELECT password_hash FROM users')).toEqual({ code: '42501' });
      });
      expect(await auditRows('forged.escape')).toEqual([]);
    });

    it('refuses at start request connections that log in as the owner', async () => {
      const url = new URL(process.env.DATABASE_URL!);
      const { rows } = await sql<{ name: string }>`SELECT current_database() AS name`.execute(test.db.kysely);
      url.pathname = `/${rows[0]!.name}`;
      const unsafe = await openServerDatabase(url.toString(), 1, url.toString());
      try {
        await expect(unsafe.checkRequestRole()).rejects.toThrow(/superuser/);
      } finally {
        await unsafe.close();
      }
    });
  });

  describe.runIf(engine === 'embedded')('what the one embedded connection can promise (docs/security.md)', () => {
    it('requests run as lsp_app under row-level security, but SQL on that connection could return to the owner', async () => {
      await asActor(test.db, chongming, async (tx) => {
        expect(await whoami(tx)).toEqual({ role: 'lsp_app', superuser: false });
        await sql`RESET ROLE`.execute(tx);
        // The limit docs/security.md states: no request path runs client-provided SQL, which is
        // what protects the embedded engine. Should PGlite ever refuse this, the docs can say more.
        expect((await whoami(tx)).superuser).toBe(true);
      });
    });
  });
});
