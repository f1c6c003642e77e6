import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Scratch databases on a real server, for the tests (`database.ts`) and the benchmarks alike.
 * Plain node-postgres, no jest: the benchmarks import it too.
 */

/** A database created for one test file, test or benchmark scenario, dropped by `drop()`. */
export interface ScratchDatabase {
  readonly name: string;
  /** Connection URL of this database, on the same server. */
  readonly url: string;
  /** Runs SQL on this database as the admin role, on a short-lived connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  /** Drops the database, terminating whatever is still connected to it. */
  drop(): Promise<void>;
}

/** `serverUrl` with its database replaced by `database`. */
export function urlOfDatabase(database: string, serverUrl: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs one statement on a short-lived connection to `url`. */
export async function queryOnce<R extends pg.QueryResultRow>(
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
 * Creates an empty database `<prefix>_<label>_<random>` on the server at `serverUrl` (whose role
 * needs CREATEDB).
 */
export async function createScratchDatabase(
  serverUrl: string,
  prefix: string,
  label: string,
): Promise<ScratchDatabase> {
  const name = `${prefix}_${label.replace(/\W/g, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await queryOnce(serverUrl, `CREATE DATABASE "${name}"`);
  const url = urlOfDatabase(name, serverUrl);
  return {
    name,
    url,
    query: (text, values) => queryOnce(url, text, values),
    drop: async () => {
      await queryOnce(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
