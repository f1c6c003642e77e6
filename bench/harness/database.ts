import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the benchmarks use, unless `TEST_DATABASE_URL` names another (a superuser). */
export const BENCH_SERVER_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database created for one scenario, dropped by `drop()`. */
export interface BenchDatabase {
  readonly name: string;
  /** Connection URL of this database, on the same server. */
  readonly url: string;
  /** Runs SQL on this database on a short-lived connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  /** Drops the database, terminating whatever is still connected to it. */
  drop(): Promise<void>;
}

async function once<R extends pg.QueryResultRow>(
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

/**
 * Creates an empty database `bench_<scenario>_<random>` on the real server at `serverUrl` (never
 * an embedded one: the figures would mean nothing).
 */
export async function createBenchDatabase(
  serverUrl: string,
  scenario: string,
): Promise<BenchDatabase> {
  const name = `bench_${scenario.replace(/\W/g, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await once(serverUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    query: (text, values) => once(url.toString(), text, values),
    drop: async () => {
      await once(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
