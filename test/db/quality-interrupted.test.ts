// A check interrupted by a stop (the run left 'running', the submission 'checking') is swept at
// the next start: its findings go, the run is marked failed, the submission can be checked again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepInterruptedChecks } from '../../server/modules/quality/scratch.ts';
import { seedDemo } from '../../server/seed/demo.ts';
import { insertSubmission, nationalSurveyId } from '../support/data.ts';
import { ENGINES, openTestDatabase, type TestDatabase } from '../support/databases.ts';

describe.each(ENGINES)('an interrupted check on the %s engine', (engine) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await openTestDatabase(engine);
    await seedDemo(test.db);
  });
  afterAll(() => test?.drop());

  it('is failed at start, its findings dropped and its submission back to imported', async () => {
    const id = await insertSubmission(test.db, '310151', await nationalSurveyId(test.db), 'checking');
    const [run] = await test.db.scriptTransaction(async (exec) => {
      const rows = await exec(`INSERT INTO qc_runs (district_code, submission_id, rules) VALUES ('310151', $1, '[]') RETURNING id`, [id]);
      await exec(
        `INSERT INTO qc_findings (district_code, run_id, finding_no, rule_id, severity, layer, message_zh, message_en) VALUES ('310151', $1, 1, 'ATTR_MANDATORY', 'error', 'DLTB', '半', 'half')`,
        [rows[0]!.id],
      );
      return rows;
    });
    expect(await sweepInterruptedChecks(test.db)).toBe(1);
    const [after] = await test.db.scriptTransaction((exec) =>
      exec(
        `SELECT r.state AS run_state, r.error->>'code' AS code, s.state AS submission_state, (SELECT count(*)::int FROM qc_findings f WHERE f.run_id = r.id) AS findings
           FROM qc_runs r JOIN submissions s ON s.id = r.submission_id WHERE r.id = $1`,
        [run!.id],
      ),
    );
    expect(after).toEqual({ run_state: 'failed', code: 'QC_INTERRUPTED', submission_state: 'imported', findings: 0 });
  });
});
