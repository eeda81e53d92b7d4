// Parcel versions are immutable in the database itself: the only change ever allowed is closing
// an open version once. These run as the owner, which bypasses row-level security, so what
// refuses them is the trigger, not the request role's privileges.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asActor, asSystem } from '../../server/db/context.ts';
import { ENGINES, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { actorFor, CHONGMING, insertLandUseParcel, insertSubmission, nationalSurveyId, seedAccounts } from '../support/data.ts';

describe.each(ENGINES)('parcel version immutability on the %s engine', (engine) => {
  let test: TestDatabase;
  let submissionId: string;
  let bsmCounter = 0;
  const nextBsm = () => `3101510000000${String(++bsmCounter).padStart(5, '0')}`;

  beforeAll(async () => {
    test = await openTestDatabase(engine);
    await seedAccounts(test.db);
    submissionId = await insertSubmission(test.db, CHONGMING, await nationalSurveyId(test.db));
  });
  afterAll(() => test?.drop());

  const parcel = (bsm = nextBsm()) => insertLandUseParcel(test.db, { districtCode: CHONGMING, submissionId, bsm, lon: 121.5, lat: 31.6 });
  const run = (statement: ReturnType<typeof sql>) => asSystem(test.db, (tx) => statement.execute(tx));

  it('refuses an UPDATE of any attribute, even by the owner', async () => {
    const id = await parcel();
    await expect(run(sql`UPDATE land_use_parcels SET dlbm = '0102' WHERE version_id = ${id}`)).rejects.toMatchObject({ code: 'LS002' });
    await expect(
      run(sql`UPDATE land_use_parcels SET geom = ST_Translate(geom, 0.0001, 0) WHERE version_id = ${id}`),
    ).rejects.toMatchObject({ code: 'LS002' });
    // Closing and changing something else in one statement is refused as a whole.
    await expect(
      run(sql`UPDATE land_use_parcels SET valid_to = '2020-12-31', dlbm = '0102' WHERE version_id = ${id}`),
    ).rejects.toMatchObject({ code: 'LS002' });
    const row = await test.db.kysely.selectFrom('land_use_parcels').select(['dlbm', 'valid_to']).where('version_id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ dlbm: '0101', valid_to: null });
  });

  it('allows closing an open version once, after it began, and never again', async () => {
    const id = await parcel();
    await expect(run(sql`UPDATE land_use_parcels SET valid_to = '2019-06-30' WHERE version_id = ${id}`)).rejects.toMatchObject({ code: 'LS002' });
    await run(sql`UPDATE land_use_parcels SET valid_to = '2020-12-31', closed_by_submission_id = ${submissionId} WHERE version_id = ${id}`);
    await expect(run(sql`UPDATE land_use_parcels SET valid_to = '2021-12-31' WHERE version_id = ${id}`)).rejects.toMatchObject({ code: 'LS002' });
    const row = await test.db.kysely.selectFrom('land_use_parcels').select('valid_to').where('version_id', '=', id).executeTakeFirstOrThrow();
    expect(row.valid_to).toBe('2020-12-31');
  });

  it('refuses DELETE and TRUNCATE', async () => {
    const id = await parcel();
    await expect(run(sql`DELETE FROM land_use_parcels WHERE version_id = ${id}`)).rejects.toMatchObject({ code: 'LS002' });
    await expect(run(sql`TRUNCATE land_use_parcels CASCADE`)).rejects.toMatchObject({ code: 'LS002' });
    expect(await test.db.kysely.selectFrom('land_use_parcels').select('version_id').where('version_id', '=', id).executeTakeFirst()).toBeTruthy();
  });

  it('refuses two versions of one parcel valid at the same time', async () => {
    const bsm = nextBsm();
    const first = await parcel(bsm);
    // two current versions
    await expect(parcel(bsm)).rejects.toMatchObject({ code: '23505', constraint: 'land_use_parcels_one_current' });
    // a closed version back-dated over the current one
    await expect(
      run(sql`INSERT INTO land_use_parcels (district_code, bsm, valid_from, valid_to, submission_id, dlbm, geom, area_m2)
              SELECT district_code, bsm, '2019-06-30', '2020-06-30', submission_id, dlbm, geom, area_m2 FROM land_use_parcels WHERE version_id = ${first}`),
    ).rejects.toMatchObject({ code: '23P01' });
    // after closing, a successor that begins where it ends is fine, one that begins before is not
    await run(sql`UPDATE land_use_parcels SET valid_to = '2020-12-31' WHERE version_id = ${first}`);
    await expect(insertLandUseParcel(test.db, { districtCode: CHONGMING, submissionId, bsm, lon: 121.5, lat: 31.6, validFrom: '2020-06-30' })).rejects.toMatchObject({ code: '23P01' });
    await insertLandUseParcel(test.db, { districtCode: CHONGMING, submissionId, bsm, lon: 121.5, lat: 31.6, validFrom: '2020-12-31' });
  });

  it('a successor version and its lineage record the change; the lineage is append-only', async () => {
    const bsm = nextBsm();
    const first = await parcel(bsm);
    await run(sql`UPDATE land_use_parcels SET valid_to = '2020-12-31' WHERE version_id = ${first}`);
    const second = await insertLandUseParcel(test.db, { districtCode: CHONGMING, submissionId, bsm, lon: 121.5, lat: 31.6, validFrom: '2020-12-31', dlbm: '0201' });
    await run(sql`INSERT INTO parcel_lineage (district_code, layer, predecessor_version_id, predecessor_district_code, successor_version_id, change_kind, change_date, submission_id)
                  VALUES (${CHONGMING}, 'land_use', ${first}, ${CHONGMING}, ${second}, 'reclassification', '2020-12-31', ${submissionId})`);
    const asOf = (date: string) =>
      test.db.kysely
        .selectFrom('land_use_parcels')
        .select('dlbm')
        .where('bsm', '=', bsm)
        .where(sql<boolean>`daterange(valid_from, valid_to, '[)') @> ${date}::date`)
        .execute();
    expect(await asOf('2020-06-30')).toEqual([{ dlbm: '0101' }]);
    expect(await asOf('2020-12-31')).toEqual([{ dlbm: '0201' }]);
    await expect(run(sql`UPDATE parcel_lineage SET change_kind = 'split'`)).rejects.toMatchObject({ code: 'LS001' });
    await expect(run(sql`DELETE FROM parcel_lineage`)).rejects.toMatchObject({ code: 'LS001' });
  });

  it('the request role may close its district\'s versions but has no privilege to rewrite them', async () => {
    const id = await parcel();
    const operator = await actorFor(test.db, 'chongming');
    await expect(
      asActor(test.db, operator, (tx) => sql`UPDATE land_use_parcels SET dlbm = '0102' WHERE version_id = ${id}`.execute(tx)),
    ).rejects.toMatchObject({ code: '42501' });
    const closed = await asActor(test.db, operator, (tx) =>
      sql`UPDATE land_use_parcels SET valid_to = '2021-12-31' WHERE version_id = ${id}`.execute(tx),
    );
    expect(closed.numAffectedRows).toBe(1n);
  });

  it('the audit log is append-only', async () => {
    await run(sql`INSERT INTO audit_log (actor_role, action) VALUES ('public', 'test.entry')`);
    await expect(run(sql`UPDATE audit_log SET action = 'rewritten'`)).rejects.toMatchObject({ code: 'LS001' });
    await expect(run(sql`DELETE FROM audit_log`)).rejects.toMatchObject({ code: 'LS001' });
    await expect(run(sql`TRUNCATE audit_log`)).rejects.toMatchObject({ code: 'LS001' });
  });
});
