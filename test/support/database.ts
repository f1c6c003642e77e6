import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { EmbeddedDatabase } from '../../src/demo/database/embedded-database';
import { ON_EMBEDDED_DATABASE } from './real-postgres';

/** The server the integration tests use; each test file gets its own database on it. */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database created for one test file (or one test), dropped by `drop()`. */
export interface TestDatabase {
  readonly name: string;
  /** Connection URL of this database, on the same server as `TEST_DATABASE_URL`. */
  readonly url: string;
  /** Runs SQL on this database as the admin role, on a short-lived connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  /** Drops the database, terminating whatever is still connected to it. */
  drop(): Promise<void>;
}

/** Connection URL of `database` on the test server. */
export function urlOfDatabase(database: string, base = TEST_DATABASE_URL): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `fn` with a short-lived admin connection to the test server's maintenance database. */
export async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database with a unique name (`cp_<prefix>_<random>`), or, when the suite runs
 * without a server, a fresh in-memory embedded PGlite of its own.
 */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  if (ON_EMBEDDED_DATABASE) return createEmbeddedTestDatabase();
  const name = `cp_${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await withAdminClient((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = urlOfDatabase(name);
  return {
    name,
    url,
    query: (text, values) => queryOnce(url, text, values),
    async drop() {
      await withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

async function createEmbeddedTestDatabase(): Promise<TestDatabase> {
  const embedded = await EmbeddedDatabase.start({ dataDir: 'memory://', maxConnections: 16 });
  return {
    name: 'postgres',
    url: embedded.url,
    query: (text, values) => queryOnce(embedded.url, text, values),
    drop: () => embedded.stop(),
  };
}

async function queryOnce<R extends pg.QueryResultRow>(
  url: string,
  text: string,
  values?: unknown[],
): Promise<pg.QueryResult<R>> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.query<R>(text, values);
  } finally {
    await client.end();
  }
}
