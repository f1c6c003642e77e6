// The suites that must also pass through PgBouncer in transaction mode (pool_mode = transaction),
// the strictest pooler: `npm run test:pgbouncer` starts one (.ci/ensure-pgbouncer) and runs them.
// Only database-backed specs (*.e2e-spec.ts) are listed: a pure unit spec gains nothing from a pooler.
const direct = require('./jest.config');

module.exports = async () => {
  const base = { ...(await direct()) };
  // testMatch replaces the direct run's testRegex (jest refuses both) and its ignore of the
  // *.pgbouncer.e2e-spec.ts files, which only make sense here.
  delete base.testRegex;
  delete base.testPathIgnorePatterns;
  /** @type {import('jest').Config} */
  return {
    ...base,
    testMatch: [
      '<rootDir>/test/checkpointer/checkpointer.module.e2e-spec.ts',
      // The saver: LangGraph's conformance suite, real graphs, single-round-trip writes and the
      // native bytea[] decoding of reads.
      '<rootDir>/test/checkpointer/saver/conformance.e2e-spec.ts',
      '<rootDir>/test/checkpointer/saver/langgraph.e2e-spec.ts',
      '<rootDir>/test/checkpointer/saver/single-statement-writes.e2e-spec.ts',
      '<rootDir>/test/checkpointer/saver/fast-bytea-arrays.e2e-spec.ts',
      '<rootDir>/test/checkpointer/saver/unstorable-values.e2e-spec.ts',
      // Any schema name, through upstream's SQL, ours and Kysely's.
      '<rootDir>/test/checkpointer/schema/schema-names.e2e-spec.ts',
      // ThreadService / SentimentService, and the demo's thread routes over them.
      '<rootDir>/test/checkpointer/threads/**/*.e2e-spec.ts',
      // Retention: prunes, sweeps, the sweeper lease and the race with real graphs.
      '<rootDir>/test/checkpointer/retention/**/*.e2e-spec.ts',
      '<rootDir>/test/demo/thread-and-health.e2e-spec.ts',
      // Specs that only make sense through the pooler (fault injection at the pooler).
      '<rootDir>/test/**/*.pgbouncer.e2e-spec.ts',
    ],
    setupFiles: [...base.setupFiles, '<rootDir>/test/support/via-pgbouncer.ts'],
  };
};
