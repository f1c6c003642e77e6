// Jest setup file of jest.pgbouncer.config.js: every suite of that run goes through PgBouncer
// (test/support/pooler.ts reads these). Runs before the test framework: imports nothing of it.
if (!process.env.PGBOUNCER_URL) {
  throw new Error(
    'PGBOUNCER_URL is not set: run the PgBouncer suites with `npm run test:pgbouncer`',
  );
}
if (process.env.CHECKPOINTER_TEST_EMBEDDED === '1') {
  throw new Error('the PgBouncer suites need a real PostgreSQL server behind the pooler');
}
process.env.CHECKPOINTER_TEST_VIA = 'pgbouncer';
