/**
 * Whether the suite runs on embedded PGlite because no PostgreSQL server answered (decided once
 * in `jest.config.js`, which prints the reason; never in CI).
 */
export const ON_EMBEDDED_DATABASE = process.env.CHECKPOINTER_TEST_EMBEDDED === '1';

/**
 * `describe` for specs that need a real server: several concurrent sessions, advisory locks,
 * roles, event triggers, `pg_terminate_backend`, poolers or fault injection. PGlite is a single
 * session and has none of these, so they are skipped there (the reason is printed once).
 */
export const describeOnRealPostgres = ON_EMBEDDED_DATABASE ? describe.skip : describe;

/** `it` for a single test that needs a real server; see `describeOnRealPostgres`. */
export const itOnRealPostgres = ON_EMBEDDED_DATABASE ? it.skip : it;
