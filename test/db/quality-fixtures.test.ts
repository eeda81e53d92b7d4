// Each quality rule against its fixture folder (fixtures/quality/<RULE_ID>/), on both engines: the
// findings are exactly out/findings.json (what `npm run fixtures:quality` recorded), and they are
// what a person expects of the case (in/case.json): every expected finding is there, and nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULES } from '../../server/modules/quality/rules/index.ts';
import { seedDemo } from '../../server/seed/demo.ts';
import { ENGINES, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { fixtureCases, readCase, readExpectedFindings, runFixtureCase, type ExpectedFinding, type FixtureFinding } from '../support/quality-fixtures.ts';

const CASES = fixtureCases();

function isExpected(expected: ExpectedFinding, finding: FixtureFinding): boolean {
  return expected.rule === finding.ruleId && expected.bsm === finding.bsm && (expected.otherBsm === undefined || expected.otherBsm === finding.otherBsm);
}

it('has a fixture folder for every rule', () => {
  expect(CASES).toEqual(RULES.map((rule) => rule.id).sort());
});

describe.each(ENGINES)('quality rule fixtures on the %s engine', (engine) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await openTestDatabase(engine);
    await seedDemo(test.db);
  });
  afterAll(() => test?.drop());

  it.each(CASES)('%s', async (name) => {
    const fixture = readCase(name);
    const found = await runFixtureCase(test.db, name);
    // what a person expects
    const unexpected = found.filter((finding) => !fixture.expect.some((expected) => isExpected(expected, finding)));
    expect(unexpected.map((f) => `${f.ruleId} ${f.bsm} ${f.message.en}`)).toEqual([]);
    const missed = fixture.expect.filter((expected) => !found.some((finding) => isExpected(expected, finding)));
    expect(missed).toEqual([]);
    // what the engine recorded
    expect(found).toEqual(readExpectedFindings(name));
  });
});
