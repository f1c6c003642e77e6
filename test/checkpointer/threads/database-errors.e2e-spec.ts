/**
 * Database errors reach the caller as they are. The original answered an outage with `[]`, `0`,
 * `{}`, `false` or a made-up run id; here every method rejects, with the driver's error.
 */
import { randomUUID } from 'node:crypto';
import { PoolManager } from '../../../src/checkpointer';
import { TEST_DATABASE_URL } from '../../support/database';
import { itOnRealPostgres } from '../../support/real-postgres';
import { TcpProxy } from '../../support/tcp-proxy';
import { SCHEMA, type ThreadsFixture, startThreadsFixture } from './threads.fixture';

const USER = 'err@example.com';

/** Every public method of both services, on a thread and run that exist. */
function everyMethod(fx: ThreadsFixture, runId: string): [string, () => Promise<unknown>][] {
  return [
    ['recordRun', () => fx.threads.recordRun({ userEmail: USER, threadId: 't', prompt: 'p' })],
    ['listThreads', () => fx.threads.listThreads(USER)],
    ['listThreadsPage', () => fx.threads.listThreadsPage(USER)],
    ['countThreads', () => fx.threads.countThreads(USER)],
    ['getThread', () => fx.threads.getThread(USER, 't')],
    ['renameThread', () => fx.threads.renameThread(USER, 't', 'title')],
    ['deleteThread', () => fx.threads.deleteThread(USER, 't')],
    ['setSentiment', () => fx.sentiments.setSentiment(USER, runId, true)],
    ['getSentiments', () => fx.sentiments.getSentiments(USER, 't')],
    ['summarize', () => fx.sentiments.summarize(USER)],
  ];
}

describe('database errors propagate', () => {
  it('a missing table: every method rejects with 42P01, none answers "empty"', async () => {
    const fx = await startThreadsFixture('db_errors_table');
    try {
      const { runId } = await fx.threads.recordRun({ userEmail: USER, threadId: 't', prompt: 'p' });
      await fx.database.query(`
        ALTER TABLE ${SCHEMA}.users_threads RENAME TO users_threads_gone;
        ALTER TABLE ${SCHEMA}.users_thread_counts RENAME TO users_thread_counts_gone;`);
      for (const [name, call] of everyMethod(fx, runId)) {
        await expect(call().then(() => name)).rejects.toMatchObject({ code: '42P01' });
      }
    } finally {
      await fx.close();
    }
  });

  // Fault injection through the proxy, in front of the real test server.
  itOnRealPostgres(
    'an unreachable database: every method rejects, none answers "empty"',
    async () => {
      const server = new URL(TEST_DATABASE_URL);
      const proxy = await TcpProxy.start({
        host: server.hostname,
        port: Number(server.port || 5432),
      });
      const fx = await startThreadsFixture('db_errors_down', (database) => ({
        connectionString: proxy.urlFor(database.url),
        pool: { acquireTimeoutMs: 2_000 },
      }));
      try {
        const { runId } = await fx.threads.recordRun({
          userEmail: USER,
          threadId: 't',
          prompt: 'p',
        });
        proxy.refuse(60_000);
        // Let the pool notice its idle connections died before anyone borrows one: pg raises an
        // unhandled 'error' on a connection that dies while checked out and idle, which is the pool
        // layer's to handle, not what this test is about.
        const pools = fx.app.get(PoolManager);
        while (pools.stats().total > 0) await new Promise((resolve) => setTimeout(resolve, 10));
        for (const [name, call] of everyMethod(fx, runId)) {
          await expect(call().then(() => name)).rejects.toThrow(Error);
        }
        proxy.allow();
        // Nothing was lost or made up while it was down.
        const thread = await fx.threads.getThread(USER, 't');
        expect(thread.runs.map((r) => r.runId)).toEqual([runId]);
        expect(thread.runs[0].sentiment).toBeNull();
      } finally {
        await fx.close();
        await proxy.close();
      }
    },
  );

  it('validation runs first: bad input never reaches a broken database', async () => {
    const fx = await startThreadsFixture('db_errors_validation');
    try {
      await fx.database.query(`DROP TABLE ${SCHEMA}.users_threads CASCADE`);
      await expect(fx.threads.getThread(USER, '')).rejects.toMatchObject({
        name: 'InvalidInputError',
      });
      await expect(fx.sentiments.setSentiment(USER, randomUUID(), true)).rejects.toMatchObject({
        code: '42P01',
      });
    } finally {
      await fx.close();
    }
  });
});
