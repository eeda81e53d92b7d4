// The database holds the lifecycle on its own (migrations/0018): state written by raw SQL as the
// owner, skipping a step or without its decision, is refused with the state and the allowed next
// steps; a decision by the wrong role or district, by the uploader, or without what its step
// needs is refused by the decision guard. The one allowed way (the decision and the state in one
// transaction) passes, so the refusals are not the guard refusing everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/engine.ts';
import { CHONGMING, insertSubmission, nationalSurveyId, PUDONG, seedAccounts } from '../support/data.ts';
import { ENGINES, openTestDatabase, type TestDatabase } from '../support/databases.ts';

interface Refusal {
  code?: string;
  detail?: string;
}

async function refusalOf(db: Database, statements: [string, unknown[]][]): Promise<Refusal & { details: Record<string, unknown> }> {
  const error = (await db
    .scriptTransaction(async (exec) => {
      for (const [text, params] of statements) await exec(text, params);
    })
    .then(() => null, (e: unknown) => e)) as Refusal | null;
  expect(error, `refused: ${statements.map((s) => s[0]).join('; ')}`).not.toBeNull();
  return { ...error!, details: error!.detail ? (JSON.parse(error!.detail) as Record<string, unknown>) : {} };
}

describe.each(ENGINES)('the lifecycle held by the database on the %s engine', (engine) => {
  let test: TestDatabase;
  let surveyId: string;
  const user: Record<string, string> = {};

  const decision = (submissionId: string, action: string, from: string, to: string, by: string, extra = ''): [string, unknown[]] => [
    `INSERT INTO decisions (object, survey_id, submission_id, action, from_state, to_state, decided_by${extra ? ', rectification' : ''})
     VALUES ('submission', $1, $2, $3, $4, $5, $6${extra ? `, '${extra}'::jsonb` : ''})`,
    [surveyId, submissionId, action, from, to, by],
  ];
  const setState = (table: 'submissions' | 'surveys', id: string, state: string): [string, unknown[]] => [`UPDATE ${table} SET state = $2 WHERE id = $1`, [id, state]];
  /** A checked submission: its latest quality run finished with no blocking finding (migrations/0008 asks). */
  const checked = async (district: string) => {
    const id = await insertSubmission(test.db, district, surveyId, 'checked');
    await test.db.scriptTransaction((exec) => exec(`INSERT INTO qc_runs (district_code, submission_id, state, rules, blocking) VALUES ($1, $2, 'finished', '[]', 0)`, [district, id]));
    return id;
  };
  const stateOf = async (id: string) => (await test.db.kysely.selectFrom('submissions').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;

  beforeAll(async () => {
    test = await openTestDatabase(engine);
    await seedAccounts(test.db);
    surveyId = await nationalSurveyId(test.db);
    for (const row of await test.db.kysely.selectFrom('users').select(['id', 'username']).execute()) user[row.username] = row.id;
  });
  afterAll(() => test?.drop());

  it('refuses a skipped step written by the owner, naming the state and the steps open from it', async () => {
    const id = await checked(CHONGMING);
    const skipped = await refusalOf(test.db, [setState('submissions', id, 'applied')]);
    expect(skipped.code).toBe('LS160');
    expect(skipped.details).toMatchObject({ state: 'checked', to: 'applied' });
    expect((skipped.details.allowed as { action: string }[]).map((step) => step.action)).toEqual(['accept', 'check_start', 'return', 'supersede']);
    // A decision step without its decision: refused too, even for the owner.
    const undecided = await refusalOf(test.db, [setState('submissions', id, 'accepted')]);
    expect(undecided).toMatchObject({ code: 'LS160', details: { state: 'checked', needs: 'decision' } });
    // Backwards, and to a state of another kind's route.
    expect((await refusalOf(test.db, [setState('submissions', id, 'received')])).code).toBe('LS160');
    expect((await refusalOf(test.db, [setState('submissions', id, 'preliminary_accepted')])).code).toBe('LS160');
    expect(await stateOf(id)).toBe('checked');
    // The decision and the state in one transaction: the one way through.
    await test.db.scriptTransaction(async (exec) => {
      const [text, params] = decision(id, 'accept', 'checked', 'accepted', user.admin!);
      await exec(text, params);
      await exec(...setState('submissions', id, 'accepted'));
    });
    expect(await stateOf(id)).toBe('accepted');
    // A decision of one transaction does not license the move in another.
    const later = await checked(PUDONG);
    expect((await refusalOf(test.db, [setState('submissions', later, 'accepted')])).code).toBe('LS160');
  });

  it('refuses a decision out of its step: role, district, uploader, 整改要求', async () => {
    const id = await checked(CHONGMING);
    // A district operator cannot accept (city roles only); a district office neither.
    expect((await refusalOf(test.db, [decision(id, 'accept', 'checked', 'accepted', user.chongming!)])).code).toBe('LS161');
    expect((await refusalOf(test.db, [decision(id, 'accept', 'checked', 'accepted', user['chongming-office']!)])).code).toBe('LS161');
    // A decision whose from-state is not the object's state.
    expect((await refusalOf(test.db, [decision(id, 'apply', 'accepted', 'applied', user.admin!)])).code).toBe('LS160');
    // A return needs its 整改要求.
    const bare = await refusalOf(test.db, [decision(id, 'return', 'checked', 'rejected', user.auditor!)]);
    expect(bare).toMatchObject({ code: 'LS163', details: { needs: 'rectification' } });
    // The uploader never decides (谁审核、谁负责), even a city administrator.
    await test.db.scriptTransaction((exec) => exec(`SELECT set_config('session_replication_role', 'replica', true); `).then(() => exec(`UPDATE submissions SET uploaded_by = $2 WHERE id = $1`, [id, user.admin])));
    const own = await refusalOf(test.db, [decision(id, 'accept', 'checked', 'accepted', user.admin!)]);
    expect(own).toMatchObject({ code: 'LS162', details: { state: 'checked', action: 'accept' } });
    // Another city decider may, and with 整改要求 the return stands.
    await test.db.scriptTransaction(async (exec) => {
      await exec(...decision(id, 'return', 'checked', 'rejected', user.auditor!, JSON.stringify([{ requirement: '补充权属来源', findings: [1] }])));
      await exec(...setState('submissions', id, 'rejected'));
    });
    expect(await stateOf(id)).toBe('rejected');
  });

  it('refuses a survey jumping to publication, or approved without its document', async () => {
    const skipped = await refusalOf(test.db, [setState('surveys', surveyId, 'published')]);
    expect(skipped).toMatchObject({ code: 'LS160', details: { state: 'collecting', to: 'published' } });
    expect((skipped.details.allowed as { action: string }[]).map((step) => step.action)).toEqual(['close']);
    const undocumented = await refusalOf(test.db, [
      [`INSERT INTO decisions (object, survey_id, action, from_state, to_state, decided_by) VALUES ('survey', $1, 'close', 'collecting', 'closed', $2)`, [surveyId, user.chongming]],
    ]);
    expect(undocumented.code).toBe('LS161');
    const state = (await test.db.kysely.selectFrom('surveys').select('state').where('id', '=', surveyId).executeTakeFirstOrThrow()).state;
    expect(state).toBe('collecting');
  });
});
