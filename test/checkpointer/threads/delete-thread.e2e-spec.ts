/**
 * ThreadService.deleteThread against PostgreSQL: the thread's checkpoints, blobs and writes in
 * every namespace of the configured schema and its rows in our tables go in one statement; a
 * failure part-way (a trigger) deletes nothing; ownership is checked in the same statement.
 */
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import pg from 'pg';
import { ThreadDeletedError, ThreadNotFoundError } from '../../../src/checkpointer';
import {
  SCHEMA,
  type ThreadsFixture,
  checkpointRows,
  snapshotTables,
  startThreadsFixture,
  writeCheckpoints,
} from './threads.fixture';

let fx: ThreadsFixture;

beforeAll(async () => {
  fx = await startThreadsFixture('delete_thread');
});

afterAll(async () => {
  await fx.close();
});

const USER = 'del@example.com';

async function threadWithCheckpoints(threadId: string, runs = 2): Promise<void> {
  for (let i = 0; i < runs; i += 1) {
    await fx.threads.recordRun({ userEmail: USER, threadId, prompt: `run ${i}` });
  }
  await writeCheckpoints(fx.saver, threadId, '', 3);
  await writeCheckpoints(fx.saver, threadId, 'subgraph:7f3a', 2);
}

describe('deleteThread', () => {
  it('deletes every row of the thread in every namespace, and reports the counts', async () => {
    await threadWithCheckpoints('doomed');
    await threadWithCheckpoints('kept');
    expect(await checkpointRows(fx.database, 'doomed')).toEqual({
      checkpoints: 5,
      checkpoint_blobs: 5,
      checkpoint_writes: 5,
    });

    const counts = await fx.threads.deleteThread(USER, 'doomed');

    expect(counts).toEqual({
      checkpoints: 5,
      checkpoint_blobs: 5,
      checkpoint_writes: 5,
      users_threads: 1,
      users_threads_runs: 2,
    });
    expect(await checkpointRows(fx.database, 'doomed')).toEqual({
      checkpoints: 0,
      checkpoint_blobs: 0,
      checkpoint_writes: 0,
    });
    const runs = await fx.database.query(
      `SELECT count(*)::int AS n FROM ${SCHEMA}.users_threads_runs WHERE thread_id = 'doomed'`,
    );
    expect(runs.rows[0].n).toBe(0);
    await expect(fx.threads.getThread(USER, 'doomed')).rejects.toBeInstanceOf(ThreadNotFoundError);
    await expect(
      fx.saver.getTuple({ configurable: { thread_id: 'doomed', checkpoint_ns: '' } }),
    ).resolves.toBeUndefined();
    // The other thread is untouched.
    expect(await checkpointRows(fx.database, 'kept')).toEqual({
      checkpoints: 5,
      checkpoint_blobs: 5,
      checkpoint_writes: 5,
    });
    expect((await fx.threads.getThread(USER, 'kept')).runCount).toBe(2);
    await expect(fx.threads.countThreads(USER)).resolves.toBe(1);
    await fx.threads.deleteThread(USER, 'kept');
  });

  it('touches only the configured schema', async () => {
    // Upstream's tables in `public`, holding a thread with the same id.
    const pool = new pg.Pool({ connectionString: fx.database.url, max: 2 });
    try {
      const publicSaver = new PostgresSaver(pool);
      await publicSaver.setup();
      await writeCheckpoints(publicSaver, 'same-id', '', 2);
      await threadWithCheckpoints('same-id', 1);

      await expect(fx.threads.deleteThread(USER, 'same-id')).resolves.toMatchObject({
        checkpoints: 5,
      });
      expect(await checkpointRows(fx.database, 'same-id', 'public')).toEqual({
        checkpoints: 2,
        checkpoint_blobs: 2,
        checkpoint_writes: 2,
      });
    } finally {
      await pool.end();
    }
  });

  it('deletes a thread without checkpoints', async () => {
    await fx.threads.recordRun({ userEmail: USER, threadId: 'bare', prompt: 'p' });
    await expect(fx.threads.deleteThread(USER, 'bare')).resolves.toEqual({
      checkpoints: 0,
      checkpoint_blobs: 0,
      checkpoint_writes: 0,
      users_threads: 1,
      users_threads_runs: 1,
    });
  });

  it.each(['checkpoint_writes', 'checkpoint_blobs', 'users_threads_runs', 'users_thread_counts'])(
    'is atomic: when deleting from %s fails, nothing at all is deleted',
    async (table) => {
      const threadId = `atomic-${table}`;
      await threadWithCheckpoints(threadId);
      const event = table === 'users_thread_counts' ? 'UPDATE' : 'DELETE';
      await fx.database.query(`
        CREATE FUNCTION ${SCHEMA}.fail_midway() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected failure in %', TG_TABLE_NAME USING ERRCODE = 'P0001'; END $$;
        CREATE TRIGGER fail_midway BEFORE ${event} ON ${SCHEMA}.${table}
          FOR EACH ROW EXECUTE FUNCTION ${SCHEMA}.fail_midway();`);
      const before = await snapshotTables(fx.database);
      try {
        // The database's own error, not a typed "not found".
        await expect(fx.threads.deleteThread(USER, threadId)).rejects.toMatchObject({
          code: 'P0001',
          message: `injected failure in ${table}`,
        });
        expect(await snapshotTables(fx.database)).toEqual(before);
        await expect(fx.threads.countThreads(USER)).resolves.toBe(1);
      } finally {
        await fx.database.query(`DROP FUNCTION ${SCHEMA}.fail_midway() CASCADE`);
      }
      // Once the fault is gone, the same call deletes everything.
      await expect(fx.threads.deleteThread(USER, threadId)).resolves.toMatchObject({
        checkpoints: 5,
        users_threads: 1,
      });
    },
  );

  it('refuses a thread that does not exist, twice deleted, or known only to the saver', async () => {
    await fx.threads.recordRun({ userEmail: USER, threadId: 'once', prompt: 'p' });
    await fx.threads.deleteThread(USER, 'once');
    // Its owner is told it is gone; anyone else learns nothing (as for any thread not theirs).
    await expect(fx.threads.deleteThread(USER, 'once')).rejects.toBeInstanceOf(ThreadDeletedError);
    await expect(fx.threads.deleteThread('other@example.com', 'once')).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
    await expect(fx.threads.deleteThread(USER, 'never')).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );

    // Checkpoints with no thread of ours: nobody owns them through this service.
    await writeCheckpoints(fx.saver, 'saver-only', '', 2);
    await expect(fx.threads.deleteThread(USER, 'saver-only')).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
    expect((await checkpointRows(fx.database, 'saver-only')).checkpoints).toBe(2);
  });

  it('two concurrent deletes of one thread: one deletes, the other finds it deleted', async () => {
    await threadWithCheckpoints('twice');
    const results = await Promise.allSettled([
      fx.threads.deleteThread(USER, 'twice'),
      fx.threads.deleteThread(USER, 'twice'),
    ]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(fulfilled[0].value).toMatchObject({ checkpoints: 5, users_threads: 1 });
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toBeInstanceOf(ThreadDeletedError);
    await expect(fx.threads.countThreads(USER)).resolves.toBe(0);
  });

  it('a deleted thread id is unusable while its marker lasts, by its owner and by anyone else', async () => {
    await fx.threads.recordRun({ userEmail: USER, threadId: 'reborn', prompt: 'first life' });
    await fx.threads.deleteThread(USER, 'reborn');
    const before = await snapshotTables(fx.database);
    await expect(
      fx.threads.recordRun({ userEmail: USER, threadId: 'reborn', prompt: 'second life' }),
    ).rejects.toBeInstanceOf(ThreadDeletedError);
    await expect(
      fx.threads.recordRun({ userEmail: 'squatter@example.com', threadId: 'reborn', prompt: 'x' }),
    ).rejects.toBeInstanceOf(ThreadNotFoundError);
    expect(await snapshotTables(fx.database)).toEqual(before);
  });

  it('once the marker expires, the id may start a new thread', async () => {
    await fx.threads.recordRun({ userEmail: USER, threadId: 'expired', prompt: 'first life' });
    await fx.threads.deleteThread(USER, 'expired');
    await fx.database.query(
      `UPDATE ${SCHEMA}.users_threads_deleted SET expires_at = now() - interval '1 second' WHERE thread_id = 'expired'`,
    );
    await fx.threads.recordRun({ userEmail: USER, threadId: 'expired', prompt: 'second life' });

    const thread = await fx.threads.getThread(USER, 'expired');
    expect(thread).toMatchObject({ title: 'second life', runCount: 1 });
    expect(thread.runs).toHaveLength(1);
    await expect(fx.threads.countThreads(USER)).resolves.toBe(1);
  });
});
