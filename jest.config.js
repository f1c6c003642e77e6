const pg = require('pg');

const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether a PostgreSQL server answers at `url` within two seconds. */
async function serverAnswers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * Tests run against a real PostgreSQL (TEST_DATABASE_URL, default the local server). Where none
 * answers, they run on embedded PGlite instead, and the few that need a real server (concurrent
 * sessions, advisory locks, roles, poolers, fault injection) are skipped with one printed reason.
 * In CI (CI=true) nothing is skipped: no real server is a failure.
 */
module.exports = async () => {
  const url = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  // Jest may load this config twice in one run: decide (and print the reason) once.
  const decided = process.env.CHECKPOINTER_TEST_EMBEDDED !== undefined;
  if (!decided && !(await serverAnswers(url))) {
    const where = new URL(url);
    const target = `${where.hostname}:${where.port || 5432}`;
    if (process.env.CI === 'true') {
      throw new Error(`CI=true and no PostgreSQL answers at ${target}: refusing to skip tests`);
    }
    process.env.CHECKPOINTER_TEST_EMBEDDED = '1';
    process.stderr.write(
      `\nNo PostgreSQL answers at ${target}: running on embedded PGlite. Tests that need a real ` +
        'server (concurrent sessions, advisory locks, roles, poolers, faults) are SKIPPED. ' +
        'Set TEST_DATABASE_URL, or `docker compose up -d postgres`, to run them all.\n\n',
    );
  } else if (!decided) {
    process.env.CHECKPOINTER_TEST_EMBEDDED = '0';
  }
  /** @type {import('jest').Config} */
  return {
    testEnvironment: 'node',
    rootDir: '.',
    roots: ['<rootDir>/src', '<rootDir>/test'],
    testRegex: '.*\\.(e2e-)?spec\\.ts$',
    // *.pgbouncer.e2e-spec.ts need a PgBouncer: `npm run test:pgbouncer` (jest.pgbouncer.config.js).
    testPathIgnorePatterns: ['/node_modules/', '\\.pgbouncer\\.e2e-spec\\.ts$'],
    // The compat fixture apps (their own Nest, their own node_modules) run in test/compat/run.mjs.
    modulePathIgnorePatterns: ['<rootDir>/test/compat/'],
    moduleFileExtensions: ['js', 'json', 'ts'],
    transform: {
      '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    },
    setupFiles: ['reflect-metadata'],
    // Two cores on our machines; every integration spec gets its own database.
    maxWorkers: 2,
    testTimeout: 60_000,
  };
};
