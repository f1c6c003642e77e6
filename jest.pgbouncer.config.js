// The suites that must also pass through PgBouncer in transaction mode (pool_mode = transaction),
// the strictest pooler: `npm run test:pgbouncer` starts one (.ci/ensure-pgbouncer) and runs them.
const direct = require('./jest.config');

module.exports = async () => {
  const base = { ...(await direct()) };
  // testMatch replaces the direct run's testRegex (jest refuses both) and its ignore of *.pgbouncer.spec.ts.
  delete base.testRegex;
  delete base.testPathIgnorePatterns;
  /** @type {import('jest').Config} */
  return {
    ...base,
    testMatch: [
      '<rootDir>/test/module.spec.ts',
      '<rootDir>/test/conformance.spec.ts',
      '<rootDir>/test/langgraph.spec.ts',
      // Single-round-trip writes and the native bytea[] decoding of reads.
      '<rootDir>/test/single-statement-writes.spec.ts',
      '<rootDir>/test/fast-bytea-arrays.spec.ts',
      // ThreadService / SentimentService suites, wherever they live.
      '<rootDir>/test/threads/**/*.spec.ts',
      '<rootDir>/test/**/thread*.spec.ts',
      '<rootDir>/test/**/sentiment*.spec.ts',
      '<rootDir>/src/checkpointer/threads/**/*.spec.ts',
      // Specs that only make sense through the pooler (fault injection at the pooler).
      '<rootDir>/test/**/*.pgbouncer.spec.ts',
    ],
    setupFiles: [...base.setupFiles, '<rootDir>/test/support/via-pgbouncer.ts'],
  };
};
