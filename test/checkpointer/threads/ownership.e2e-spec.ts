/**
 * A second user tries every operation on the first user's thread and runs: each is refused (or
 * sees nothing) exactly as if the thread did not exist, and no row anywhere changes. These are
 * the original's holes: attaching a run to someone's thread to gain access, reassigning their run
 * id, rating their runs, reading and deleting their threads.
 */
import { randomUUID } from 'node:crypto';
import { RunConflictError, RunNotFoundError, ThreadNotFoundError } from '../../../src/checkpointer';
import {
  SCHEMA,
  type ThreadsFixture,
  snapshotTables,
  startThreadsFixture,
  writeCheckpoints,
} from './threads.fixture';

let fx: ThreadsFixture;
const OWNER = 'owner@example.com';
const INTRUDER = 'intruder@example.com';
const THREAD = 'owners-thread';
let ownersRun: string;
let before: Record<string, unknown[]>;

beforeAll(async () => {
  fx = await startThreadsFixture('ownership');
  ownersRun = (await fx.threads.recordRun({ userEmail: OWNER, threadId: THREAD, prompt: 'mine' }))
    .runId;
  await fx.sentiments.setSentiment(OWNER, ownersRun, true);
  await writeCheckpoints(fx.saver, THREAD, '', 2);
  // The intruder has a thread of their own.
  await fx.threads.recordRun({ userEmail: INTRUDER, threadId: 'intruders-thread', prompt: 'p' });
  before = await snapshotTables(fx.database);
});

afterEach(async () => {
  // Whatever the intruder tried, nothing changed.
  expect(await snapshotTables(fx.database)).toEqual(before);
});

afterAll(async () => {
  await fx.close();
});

describe("a second user, on the first user's thread and runs", () => {
  it('cannot record a run on the thread (no hijacking), and is told it does not exist', async () => {
    const attempt = fx.threads.recordRun({ userEmail: INTRUDER, threadId: THREAD, prompt: 'x' });
    await expect(attempt).rejects.toBeInstanceOf(ThreadNotFoundError);
    await expect(attempt).rejects.toThrow(`thread "${THREAD}" not found`);
    // Same error, same message, as for a thread that does not exist at all.
    await expect(fx.threads.getThread(INTRUDER, 'no-such-thread')).rejects.toThrow(
      'thread "no-such-thread" not found',
    );
  });

  it('cannot record a run on the thread with the same email in another case', async () => {
    await expect(
      fx.threads.recordRun({ userEmail: 'Intruder@Example.com', threadId: THREAD, prompt: 'x' }),
    ).rejects.toBeInstanceOf(ThreadNotFoundError);
  });

  it("cannot reassign the owner's run id to a thread of their own", async () => {
    await expect(
      fx.threads.recordRun({
        userEmail: INTRUDER,
        threadId: 'intruders-thread',
        prompt: 'mine',
        runId: ownersRun,
      }),
    ).rejects.toBeInstanceOf(RunConflictError);
    // Nor by replaying it exactly on the owner's thread.
    await expect(
      fx.threads.recordRun({
        userEmail: INTRUDER,
        threadId: THREAD,
        prompt: 'mine',
        runId: ownersRun,
      }),
    ).rejects.toBeInstanceOf(RunConflictError);
  });

  it('does not see the thread in listings or counts', async () => {
    const listed = await fx.threads.listThreads(INTRUDER, { limit: 100 });
    expect(listed.items.map((t) => t.threadId)).toEqual(['intruders-thread']);
    const page = await fx.threads.listThreadsPage(INTRUDER, { page: 1, limit: 100 });
    expect(page.items.map((t) => t.threadId)).toEqual(['intruders-thread']);
    expect(page.total).toBe(1);
    await expect(fx.threads.countThreads(INTRUDER)).resolves.toBe(1);
  });

  it("cannot continue the owner's listing pass with the owner's cursor", async () => {
    await fx.threads.recordRun({ userEmail: OWNER, threadId: 'owners-second', prompt: 'p' });
    const ownersPage = await fx.threads.listThreads(OWNER, { limit: 1 });
    expect(ownersPage.nextCursor).not.toBeNull();
    const next = await fx.threads.listThreads(INTRUDER, { cursor: ownersPage.nextCursor! });
    expect(next.items.map((t) => t.threadId)).not.toContain(THREAD);
    await fx.threads.deleteThread(OWNER, 'owners-second');
    // The owner's own deletion left its marker: not the intruder's doing, so not in the comparison.
    await fx.database.query(
      `DELETE FROM ${SCHEMA}.users_threads_deleted WHERE thread_id = 'owners-second'`,
    );
  });

  it('cannot read, rename or delete the thread', async () => {
    await expect(fx.threads.getThread(INTRUDER, THREAD)).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
    await expect(fx.threads.renameThread(INTRUDER, THREAD, 'pwned')).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
    await expect(fx.threads.deleteThread(INTRUDER, THREAD)).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
  });

  it("cannot rate, clear or read the ratings of the owner's runs", async () => {
    for (const sentiment of [false, null, true]) {
      const attempt = fx.sentiments.setSentiment(INTRUDER, ownersRun, sentiment);
      await expect(attempt).rejects.toBeInstanceOf(RunNotFoundError);
    }
    // Same as a run that does not exist.
    await expect(fx.sentiments.setSentiment(INTRUDER, randomUUID(), true)).rejects.toBeInstanceOf(
      RunNotFoundError,
    );
    await expect(fx.sentiments.getSentiments(INTRUDER, THREAD)).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
    await expect(fx.sentiments.summarize(INTRUDER, THREAD)).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
    await expect(fx.sentiments.summarize(INTRUDER)).resolves.toEqual({
      up: 0,
      down: 0,
      unrated: 1,
    });
  });

  it('leaves the owner with everything', async () => {
    const thread = await fx.threads.getThread(OWNER, THREAD);
    expect(thread).toMatchObject({ title: 'mine', runCount: 1 });
    expect(thread.runs).toEqual([expect.objectContaining({ runId: ownersRun, sentiment: true })]);
    await expect(fx.sentiments.getSentiments(OWNER, THREAD)).resolves.toEqual({
      [ownersRun]: true,
    });
  });
});
