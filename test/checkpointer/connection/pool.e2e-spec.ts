/**
 * PoolManager: an idle connection killed by the server must not crash the process (upstream's
 * fromConnString pool has no 'error' listener and does), and the next operation succeeds.
 */
import type { INestApplicationContext } from '@nestjs/common';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import {
  CHECKPOINTER_LOG_CONTEXT,
  ConnectionProvider,
  PoolManager,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import type { TestDatabase } from '../../support/database';
import { LogCapture } from '../../support/log-capture';
import { describeOnRealPostgres } from '../../support/real-postgres';

let database: TestDatabase;
let app: INestApplicationContext;
let logs: LogCapture;

/** Terminates every backend of this module, found by its unique application_name. */
async function terminateOurBackends(): Promise<number> {
  const applicationName = app.get(ConnectionProvider).applicationName;
  const { rows } = await database.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = $1`,
    [applicationName],
  );
  await database.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
    [applicationName],
  );
  return rows.length;
}

describeOnRealPostgres('PoolManager', () => {
  const fixture = useCheckpointerDatabase('pool');

  beforeAll(async () => {
    database = fixture.database;
    logs = new LogCapture();
    app = await fixture.boot({ logger: true, pool: { max: 4 } }, { logger: logs });
  });

  it('survives idle connections killed by the server, and the next operation succeeds', async () => {
    const pools = app.get(PoolManager);
    const saver = app.get<BaseCheckpointSaver>(getCheckpointerToken());
    await Promise.all([pools.ping(), pools.ping(), pools.ping()]);
    expect(pools.stats().idle).toBeGreaterThanOrEqual(1);

    expect(await terminateOurBackends()).toBeGreaterThanOrEqual(1);
    // The pool notices the dead idle clients and drops them; nothing is thrown at the process.
    await waitFor(() => pools.stats().total === 0);

    await expect(saver.getTuple({ configurable: { thread_id: 'after-kill' } })).resolves.toBe(
      undefined,
    );
    expect(pools.stats().total).toBeGreaterThanOrEqual(1);
    const warnings = logs.of(CHECKPOINTER_LOG_CONTEXT).filter((l) => l.level === 'warn');
    expect(warnings.some((w) => /an idle connection was lost/.test(w.message))).toBe(true);
  });

  it('reports pool counters', async () => {
    const pools = app.get(PoolManager);
    await pools.ping();
    expect(pools.stats()).toEqual({
      total: expect.any(Number),
      idle: expect.any(Number),
      waiting: 0,
    });
    expect(pools.stats().total).toBeGreaterThanOrEqual(pools.stats().idle);
  });

  it('labels every connection with the unique application_name', async () => {
    const connection = app.get(ConnectionProvider);
    await app.get(PoolManager).ping();
    const { rows } = await database.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1`,
      [connection.applicationName],
    );
    expect(Number(rows[0].n)).toBeGreaterThanOrEqual(1);
    expect(connection.describe()).toBe(
      `postgres://postgres@127.0.0.1:5432/${database.name} (schema "public")`,
    );
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
