// Row-level security in the database: what a request's transaction can see and change, whatever
// SQL it runs. Every query here is raw SQL on the app's own connection, inside asActor, exactly
// as a route's repository would run it.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS, asActor, asSystem, type ActorContext } from '../../server/db/context.ts';
import { ENGINES, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { actorFor, CHONGMING, insertLandUseParcel, insertSubmission, insertSubmissionRow, nationalSurveyId, PUDONG, seedAccounts } from '../support/data.ts';

const districtsOf = (rows: { district_code: string }[]) => [...new Set(rows.map((row) => row.district_code))].sort();

describe.each(ENGINES)('row-level security on the %s engine', (engine) => {
  let test: TestDatabase;
  let surveyId: string;
  const actors: Record<string, ActorContext> = {};
  const submissions: Record<string, string> = {};

  beforeAll(async () => {
    test = await openTestDatabase(engine);
    await seedAccounts(test.db);
    surveyId = await nationalSurveyId(test.db);
    for (const username of ['admin', 'auditor', 'chongming', 'pudong', 'office', 'surveyor', 'agency']) {
      actors[username] = await actorFor(test.db, username);
    }
    submissions[CHONGMING] = await insertSubmission(test.db, CHONGMING, surveyId, 'received');
    submissions[PUDONG] = await insertSubmission(test.db, PUDONG, surveyId, 'received');
    await insertLandUseParcel(test.db, { districtCode: CHONGMING, submissionId: submissions[CHONGMING], bsm: '310151000000000001', lon: 121.5, lat: 31.6 });
    await insertLandUseParcel(test.db, { districtCode: PUDONG, submissionId: submissions[PUDONG], bsm: '310115000000000001', lon: 121.6, lat: 31.2 });
  });
  afterAll(() => test?.drop());

  const as = <T>(username: string, work: Parameters<typeof asActor<T>>[2]) => asActor(test.db, actors[username]!, work);
  const parcels = (actor: ActorContext) =>
    asActor(test.db, actor, async (tx) => (await sql<{ district_code: string }>`SELECT district_code FROM land_use_parcels`.execute(tx)).rows);

  it('a district operator reads only its own district, even with unfiltered raw SQL', async () => {
    expect(districtsOf(await parcels(actors.chongming!))).toEqual([CHONGMING]);
    expect(districtsOf(await parcels(actors.pudong!))).toEqual([PUDONG]);
    const other = await as('chongming', (tx) => sql`SELECT * FROM submissions WHERE district_code = ${PUDONG}`.execute(tx));
    expect(other.rows).toEqual([]);
  });

  it('city roles read every district; agencies, anonymous and unknown sessions read none', async () => {
    for (const username of ['admin', 'auditor', 'office']) {
      expect(districtsOf(await parcels(actors[username]!))).toEqual([PUDONG, CHONGMING].sort());
    }
    expect(districtsOf(await parcels(actors.surveyor!))).toEqual([CHONGMING]);
    expect(await parcels(actors.agency!)).toEqual([]);
    expect(await parcels(ANONYMOUS)).toEqual([]);
    expect(await parcels({ sessionTokenHash: 'f'.repeat(64) })).toEqual([]);
  });

  it('a district operator cannot update or delete another district\'s rows', async () => {
    const updated = await as('chongming', (tx) =>
      sql`UPDATE submissions SET state = 'rejected' WHERE district_code = ${PUDONG}`.execute(tx),
    );
    expect(updated.numAffectedRows).toBe(0n);
    const deleted = await as('chongming', (tx) => sql`DELETE FROM submissions WHERE district_code = ${PUDONG}`.execute(tx));
    expect(deleted.numAffectedRows).toBe(0n);
    const closed = await as('chongming', (tx) =>
      sql`UPDATE land_use_parcels SET valid_to = '2020-12-31' WHERE district_code = ${PUDONG}`.execute(tx),
    );
    expect(closed.numAffectedRows).toBe(0n);
    const pudong = await asSystem(test.db, (tx) =>
      tx.selectFrom('submissions').select('state').where('id', '=', submissions[PUDONG]!).executeTakeFirstOrThrow(),
    );
    expect(pudong.state).toBe('received');
    const open = await asSystem(test.db, (tx) =>
      tx.selectFrom('land_use_parcels').select('valid_to').where('district_code', '=', PUDONG).executeTakeFirstOrThrow(),
    );
    expect(open.valid_to).toBeNull();
  });

  it('the same statements work on the own district, so the refusals above are the policy', async () => {
    const updated = await as('chongming', (tx) =>
      sql`UPDATE submissions SET state = 'importing' WHERE district_code = ${CHONGMING}`.execute(tx),
    );
    expect(updated.numAffectedRows).toBe(1n);
    const withdrawn = await as('chongming', async (tx) => {
      const id = await insertSubmissionRow(tx, CHONGMING, surveyId, 'received');
      return sql`DELETE FROM submissions WHERE id = ${id}`.execute(tx);
    });
    expect(withdrawn.numAffectedRows).toBe(1n);
  });

  it('a district operator cannot write rows into another district', async () => {
    await expect(as('chongming', (tx) => insertSubmissionRow(tx, PUDONG, surveyId, 'received'))).rejects.toMatchObject({ code: '42501' });
    await expect(
      as('chongming', (tx) =>
        sql`INSERT INTO land_use_parcels (district_code, bsm, valid_from, submission_id, geom, area_m2)
            VALUES (${PUDONG}, '310115000000000099', '2020-12-31', ${submissions[PUDONG]!},
                    ST_GeomFromText('MULTIPOLYGON(((121.6 31.2,121.61 31.2,121.61 31.21,121.6 31.2)))', 4490), 1)`.execute(tx),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    // ... nor move its own row there
    await expect(
      as('chongming', (tx) => sql`UPDATE submissions SET district_code = ${PUDONG} WHERE district_code = ${CHONGMING}`.execute(tx)),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('settings a request can change itself do not widen its view', async () => {
    const rows = await as('chongming', async (tx) => {
      // Claiming another district or role through settings has no effect: the actor comes from the session.
      await sql`SELECT set_config('app.district', ${PUDONG}, true), set_config('app.role', 'city_admin', true)`.execute(tx);
      return (await sql<{ district_code: string }>`SELECT district_code FROM land_use_parcels`.execute(tx)).rows;
    });
    expect(districtsOf(rows)).toEqual([CHONGMING]);
  });

  it('requests never read sessions or password hashes', async () => {
    await expect(as('admin', (tx) => sql`SELECT token_hash FROM sessions`.execute(tx))).rejects.toMatchObject({ code: '42501' });
    await expect(as('admin', (tx) => sql`SELECT password_hash FROM users`.execute(tx))).rejects.toMatchObject({ code: '42501' });
  });

  it('an expired session is anonymous to the database', async () => {
    const actor = await actorFor(test.db, 'chongming');
    await asSystem(test.db, (tx) =>
      tx.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('token_hash', '=', actor.sessionTokenHash!).execute(),
    );
    expect(await parcels(actor)).toEqual([]);
  });

  it('audit entries can only be written in the actor\'s own name', async () => {
    const admin = await asSystem(test.db, (tx) => tx.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow());
    await expect(
      as('chongming', (tx) =>
        sql`INSERT INTO audit_log (actor_user_id, actor_role, action) VALUES (${admin.id}, 'city_admin', 'forged')`.execute(tx),
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('the per-transaction settings end with the transaction', async () => {
    await as('admin', async () => undefined);
    const { rows } = await sql<{ role: string; session: string | null }>`
      SELECT current_user AS role, nullif(current_setting('app.session', true), '') AS session`.execute(test.db.kysely);
    expect(rows[0]?.role).not.toBe('lsp_app');
    expect(rows[0]?.session ?? null).toBeNull();
  });
});
