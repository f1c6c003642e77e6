import type { CheckpointerModuleOptions } from '../../src/checkpointer';
import { TEST_DATABASE_URL } from './database';

/**
 * How the tests reach PostgreSQL: `direct`, or `pgbouncer` (set by `jest.pgbouncer.config.js`),
 * through a PgBouncer in transaction mode whose URL is in `PGBOUNCER_URL`
 * (`npm run test:pgbouncer` starts one with `.ci/ensure-pgbouncer`).
 */
export function testRoute(): 'direct' | 'pgbouncer' {
  const via = process.env.CHECKPOINTER_TEST_VIA ?? 'direct';
  if (via !== 'direct' && via !== 'pgbouncer') {
    throw new Error(`CHECKPOINTER_TEST_VIA must be "direct" or "pgbouncer", got "${via}"`);
  }
  return via;
}

/** The PgBouncer URL (any database); throws a clear error when the run did not provide one. */
export function pgbouncerUrl(): string {
  const url = process.env.PGBOUNCER_URL;
  if (url === undefined || url === '') {
    throw new Error(
      'PGBOUNCER_URL is not set: run the PgBouncer suites with `npm run test:pgbouncer`',
    );
  }
  return url;
}

/** `url` (a database on the test server) reached through PgBouncer instead. */
export function throughPgbouncer(url: string): string {
  const routed = new URL(url);
  routed.host = new URL(pgbouncerUrl()).host;
  return routed.toString();
}

/**
 * `preparedStatements` for the PgBouncer run when a spec does not choose: unset (the default,
 * `'auto'`), or `CHECKPOINTER_TEST_PREPARED_STATEMENTS=on npm run test:pgbouncer` to run every
 * suite with them forced on and watch them degrade (PgBouncer 1.18 cannot keep them).
 */
function preparedStatementsForRun(): CheckpointerModuleOptions['preparedStatements'] {
  const mode = process.env.CHECKPOINTER_TEST_PREPARED_STATEMENTS;
  if (mode === undefined || mode === '') return undefined;
  if (mode !== 'auto' && mode !== 'on' && mode !== 'off') {
    throw new Error(`CHECKPOINTER_TEST_PREPARED_STATEMENTS must be auto, on or off, got "${mode}"`);
  }
  return mode;
}

/**
 * Module options as the current route needs them. Through PgBouncer, a target on the test server
 * goes through the pooler and migrations (DDL and their session advisory lock) go direct, as the
 * README tells users to do; other targets (a fault proxy) are left alone.
 */
export function routeOptions(options: CheckpointerModuleOptions): CheckpointerModuleOptions {
  const url = options.connectionString;
  if (testRoute() !== 'pgbouncer' || url === undefined) return options;
  if (new URL(url).host !== new URL(TEST_DATABASE_URL).host) return options;
  const preparedStatements = options.preparedStatements ?? preparedStatementsForRun();
  return {
    ...options,
    connectionString: throughPgbouncer(url),
    migrationConnectionString: options.migrationConnectionString ?? url,
    ...(preparedStatements === undefined ? {} : { preparedStatements }),
  };
}
