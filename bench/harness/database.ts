import { type ScratchDatabase, createScratchDatabase } from '../../test/support/server-database';

/** The server the benchmarks use, unless `TEST_DATABASE_URL` names another (a superuser). */
export const BENCH_SERVER_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database created for one scenario, dropped by `drop()`. */
export type BenchDatabase = ScratchDatabase;

/**
 * Creates an empty database `bench_<scenario>_<random>` on the real server at `serverUrl` (never
 * an embedded one: the figures would mean nothing).
 */
export function createBenchDatabase(serverUrl: string, scenario: string): Promise<BenchDatabase> {
  return createScratchDatabase(serverUrl, 'bench', scenario);
}
