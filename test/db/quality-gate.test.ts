// A submission cannot go forward (accepted, applied) unless its latest quality run finished
// without blocking findings: the database refuses it whoever asks. On both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSystem } from '../../server/db/context.ts';
import { translateDatabaseError } from '../../server/db/errors.ts';
import { moveSubmission } from '../../server/modules/submissions/lifecycle.ts';
import { seedDemo } from '../../server/seed/demo.ts';
import { cityAdminActor, insertSubmission, nationalSurveyId } from '../support/data.ts';
import { ENGINES, openTestDatabase, type TestDatabase } from '../support/databases.ts';

describe.each(ENGINES)('the acceptance gate on the %s engine', (engine) => {
  let test: TestDatabase;
  let surveyId: string;
  beforeAll(async () => {
    test = await openTestDatabase(engine);
    await seedDemo(test.db);
    surveyId = await nationalSurveyId(test.db);
  });
  afterAll(() => test?.drop());

  async function submission(runs: { state: 'finished' | 'failed' | 'running'; blocking: number | null }[]): Promise<string> {
    const id = await insertSubmission(test.db, '310151', surveyId, 'checked');
    for (const [k, run] of runs.entries()) {
      await test.db.scriptTransaction((exec) =>
        exec(`INSERT INTO qc_runs (district_code, submission_id, state, rules, blocking, started_at) VALUES ('310151', $1, $2, '[]', $3, now() + make_interval(secs => $4))`, [id, run.state, run.blocking, k]),
      );
    }
    return id;
  }

  // The city's acceptance through the lifecycle: the decision is recorded, then the gate decides.
  const accept = async (id: string) => {
    const admin = await cityAdminActor(test.db);
    await asSystem(test.db, (tx) => moveSubmission(tx, id, 'accept', admin));
  };

  async function refusal(id: string): Promise<string> {
    const error = await accept(id).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error, 'the update should have been refused').not.toBeNull();
    return translateDatabaseError(error)?.code ?? String(error);
  }

  it('refuses a submission that was never checked', async () => {
    expect(await refusal(await submission([]))).toBe('QC_BLOCKING_FINDINGS');
  });

  it('refuses one whose latest run has blocking findings, even if an earlier one had none', async () => {
    expect(await refusal(await submission([{ state: 'finished', blocking: 0 }, { state: 'finished', blocking: 3 }]))).toBe('QC_BLOCKING_FINDINGS');
  });

  it('refuses one whose latest run failed', async () => {
    expect(await refusal(await submission([{ state: 'failed', blocking: null }]))).toBe('QC_BLOCKING_FINDINGS');
  });

  it('lets through one whose latest run finished without blocking findings', async () => {
    const id = await submission([{ state: 'finished', blocking: 2 }, { state: 'finished', blocking: 0 }]);
    await accept(id);
    const [row] = await test.db.scriptTransaction((exec) => exec(`SELECT state FROM submissions WHERE id = $1`, [id]));
    expect(row!.state).toBe('accepted');
  });
});
