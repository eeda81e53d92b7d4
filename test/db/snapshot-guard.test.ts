// The freeze guard is the database's (migrations/0015): a snapshot row written by the owner itself,
// outside the platform's freezeYear, is refused while the year's survey is open or a district with
// a baseline has neither an applied package nor a declaration of no change; a declaration and an
// applied package of one district and survey exclude each other, whoever writes them.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSystem } from '../../server/db/context.ts';
import { moveSubmission, moveSurvey } from '../../server/modules/submissions/lifecycle.ts';
import { CHONGMING, cityAdminActor, insertSubmission, nationalSurveyId, PUDONG, seedAccounts } from '../support/data.ts';
import { ENGINES, openTestDatabase, type TestDatabase } from '../support/databases.ts';

const CHECKSUM = 'a'.repeat(64);

describe.each(ENGINES)('the freeze guard in the database on the %s engine', (engine) => {
  let test: TestDatabase;
  let survey2020: string;

  beforeAll(async () => {
    test = await openTestDatabase(engine);
    await seedAccounts(test.db);
    const national = await nationalSurveyId(test.db);
    await insertSubmission(test.db, CHONGMING, national);
    await insertSubmission(test.db, PUDONG, national);
    survey2020 = (await test.db.kysely.selectFrom('surveys').select('id').where('kind', '=', 'land_use_change').where('year', '=', 2020).executeTakeFirstOrThrow()).id;
  });
  afterAll(() => test?.drop());

  const run = (statement: ReturnType<typeof sql>) => asSystem(test.db, (tx) => statement.execute(tx));
  const snapshot = (year: number) =>
    run(sql`INSERT INTO snapshots (year, snapshot_date, checksum, parcel_counts, statistics) VALUES (${year}, make_date(${year}, 12, 31), ${CHECKSUM}, '{}', '{}')`);
  // Closing is a decision of the city's (the lifecycle records it, migrations/0018).
  const close = async (kind: 'national' | 'land_use_change', year: number) => {
    const admin = await cityAdminActor(test.db);
    await asSystem(test.db, async (tx) => {
      const surveys = await tx.selectFrom('surveys').select('id').where('kind', '=', kind).where('year', '=', year).execute();
      for (const survey of surveys) await moveSurvey(tx, survey.id, 'close', admin);
    });
  };
  const blockers = async (error: Promise<unknown>) => {
    const refused = (await error.then(() => null, (e: unknown) => e)) as { code?: string; detail?: string } | null;
    expect(refused?.code).toBe('LS151');
    return (JSON.parse(refused!.detail!) as { blockers: { reason: string; subject: string | null }[] }).blockers.map((b) => `${b.reason} ${b.subject ?? ''}`.trim());
  };

  it('refuses a snapshot of a year whose survey is open, even from the owner', async () => {
    expect(await blockers(snapshot(2019))).toEqual([`open ${await nationalSurveyId(test.db)}`]);
    await close('national', 2019);
    await snapshot(2019);
  });

  it('refuses a change year until every district with a baseline has a package or a declaration', async () => {
    await close('land_use_change', 2020);
    expect(await blockers(snapshot(2020))).toEqual([`district ${PUDONG}`, `district ${CHONGMING}`]);
    await insertSubmission(test.db, CHONGMING, survey2020, 'applied');
    // 崇明 has an applied package: it cannot also declare no change.
    await expect(run(sql`INSERT INTO no_change_declarations (district_code, survey_id) VALUES (${CHONGMING}, ${survey2020})`)).rejects.toMatchObject({ code: 'LS152' });
    await run(sql`INSERT INTO no_change_declarations (district_code, survey_id, note) VALUES (${PUDONG}, ${survey2020}, '无变化')`);
    // 浦东 declared no change: none of its packages for the survey is applied, whoever tries.
    const late = await insertSubmission(test.db, PUDONG, survey2020, 'accepted');
    await run(sql`INSERT INTO qc_runs (district_code, submission_id, state, rules, findings, blocking) VALUES (${PUDONG}, ${late}, 'finished', '[]', 0, 0)`);
    await expect(run(sql`UPDATE submissions SET state = 'applied' WHERE id = ${late}`)).rejects.toMatchObject({ code: 'LS152' });
    // Accepted and not applied, it would hold the year open: the city returns it.
    const admin = await cityAdminActor(test.db);
    await asSystem(test.db, (tx) => moveSubmission(tx, late, 'return', admin, { rectification: [{ requirement: '已声明本年度无变化' }] }));
    // The declaration stays as it was said.
    await expect(run(sql`DELETE FROM no_change_declarations`)).rejects.toMatchObject({ code: 'LS001' });
    await snapshot(2020);
  });

  it('refuses a skipped year and a year no survey describes', async () => {
    expect(await blockers(snapshot(2022))).toContain('skipped 2021');
    const none = await asSystem(test.db, (tx) => sql<{ reason: string }>`SELECT reason FROM freeze_blockers(2030)`.execute(tx));
    expect(none.rows.map((row) => row.reason)).toContain('no_survey');
  });
});
