import { EmbeddedDatabase } from '../../src/demo/database/embedded-database';
import { ON_EMBEDDED_DATABASE } from './real-postgres';
import {
  type ScratchDatabase,
  createScratchDatabase,
  queryOnce,
  urlOfDatabase as urlOnServer,
} from './server-database';

/** The server the integration tests use; each test file gets its own database on it. */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database created for one test file (or one test), dropped by `drop()`. */
export type TestDatabase = ScratchDatabase;

/** Connection URL of `database` on the test server. */
export function urlOfDatabase(database: string): string {
  return urlOnServer(database, TEST_DATABASE_URL);
}

/**
 * Creates an empty database with a unique name (`cp_<prefix>_<random>`), or, when the suite runs
 * without a server, a fresh in-memory embedded PGlite of its own.
 */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  if (ON_EMBEDDED_DATABASE) return createEmbeddedTestDatabase();
  return createScratchDatabase(TEST_DATABASE_URL, 'cp', prefix);
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
