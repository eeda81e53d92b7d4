import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The JSON report lets .ci/run print one plain 'N passed, N failed' line.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    globalSetup: ['test/support/global-setup.ts'],
    // Each database test file opens its own copy of a migrated template; PGlite start-up and
    // argon2 hashing are slow on 2 cores, so allow for them.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
