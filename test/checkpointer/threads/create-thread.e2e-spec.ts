/**
 * The default: threads are created by `createThread` (server-generated UUIDs), and a run on an id
 * that does not exist is "not found", the same answer as for another user's thread. So an id
 * tells nobody whether it exists, and nobody can claim an id someone else is about to use.
 */
import {
  InvalidInputError,
  ThreadNotFoundError,
  ThreadService,
  UNTITLED_THREAD,
} from '../../../src/checkpointer';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import { snapshotModuleTables } from '../../support/table-snapshot';

const fixture = useCheckpointerDatabase('create_thread', { schema: 'agents' });
let threads: ThreadService;

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(async () => {
  threads = (await fixture.boot()).get(ThreadService);
});

describe('createThread', () => {
  it('creates a thread of the user’s with a fresh UUID, counted, with no run yet', async () => {
    const thread = await threads.createThread(ALICE, { title: '  Trip   to Prague ' });
    expect(thread).toMatchObject({ title: 'Trip to Prague', runCount: 0, firstPrompt: '' });
    expect(thread.threadId).toMatch(UUID);
    expect(thread.lastRunAt).toEqual(thread.createdAt);
    await expect(threads.getThread(ALICE, thread.threadId)).resolves.toMatchObject({ runs: [] });
    await expect(threads.getThread(BOB, thread.threadId)).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
    const another = await threads.createThread(ALICE);
    expect(another.threadId).not.toBe(thread.threadId);
    await expect(threads.countThreads(ALICE)).resolves.toBe(2);
  });

  it('without a title, is untitled until its first run names it; a given title stays', async () => {
    const untitled = await threads.createThread(ALICE);
    expect(untitled.title).toBe(UNTITLED_THREAD);
    await threads.recordRun({ userEmail: ALICE, threadId: untitled.threadId, prompt: 'Hi there' });
    await threads.recordRun({ userEmail: ALICE, threadId: untitled.threadId, prompt: 'Again' });
    await expect(threads.getThread(ALICE, untitled.threadId)).resolves.toMatchObject({
      title: 'Hi there',
      firstPrompt: 'Hi there',
      runCount: 2,
    });

    const titled = await threads.createThread(ALICE, { title: 'Mine' });
    await threads.recordRun({ userEmail: ALICE, threadId: titled.threadId, prompt: 'Hello' });
    await expect(threads.getThread(ALICE, titled.threadId)).resolves.toMatchObject({
      title: 'Mine',
      firstPrompt: 'Hello',
    });

    // A rename before the first run is kept too.
    const renamed = await threads.createThread(ALICE);
    await threads.renameThread(ALICE, renamed.threadId, 'Named by hand');
    await threads.recordRun({ userEmail: ALICE, threadId: renamed.threadId, prompt: 'Hello' });
    await expect(threads.getThread(ALICE, renamed.threadId)).resolves.toMatchObject({
      title: 'Named by hand',
    });
  });

  it('refuses a blank or over-long title, creating nothing', async () => {
    const before = await snapshotModuleTables(fixture.database, 'agents');
    await expect(threads.createThread(ALICE, { title: '   ' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'title',
    });
    await expect(threads.createThread(ALICE, { title: 'x'.repeat(256) })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect(await snapshotModuleTables(fixture.database, 'agents')).toEqual(before);
  });
});

describe('recordRun without threads.createOnFirstRun (the default)', () => {
  it('refuses an id that does not exist, exactly as another user’s thread, and records nothing', async () => {
    const alices = await threads.createThread(ALICE);
    const before = await snapshotModuleTables(fixture.database, 'agents');
    const missing = threads.recordRun({ userEmail: BOB, threadId: 'my-first-thread', prompt: 'x' });
    const othersThread = threads.recordRun({
      userEmail: BOB,
      threadId: alices.threadId,
      prompt: 'x',
    });
    const [a, b] = await Promise.allSettled([missing, othersThread]);
    expect(a).toMatchObject({ status: 'rejected', reason: expect.any(ThreadNotFoundError) });
    expect(b).toMatchObject({ status: 'rejected', reason: expect.any(ThreadNotFoundError) });
    // Same message shape: only the id the caller sent.
    expect((a as PromiseRejectedResult).reason.message).toBe('thread "my-first-thread" not found');
    expect((b as PromiseRejectedResult).reason.message).toBe(
      `thread "${alices.threadId}" not found`,
    );
    expect(await snapshotModuleTables(fixture.database, 'agents')).toEqual(before);
  });

  it('records runs on the user’s own thread', async () => {
    const { threadId } = await threads.createThread(BOB);
    const run = await threads.recordRun({ userEmail: BOB, threadId, prompt: 'Hello' });
    expect(run.threadId).toBe(threadId);
    await expect(threads.getThread(BOB, threadId)).resolves.toMatchObject({
      runCount: 1,
      runs: [{ runId: run.runId, prompt: 'Hello' }],
    });
    // The same run again (a retry) is the same run, not a second one.
    await expect(
      threads.recordRun({ userEmail: BOB, threadId, prompt: 'Hello', runId: run.runId }),
    ).resolves.toMatchObject({ runId: run.runId });
    await expect(threads.getThread(BOB, threadId)).resolves.toMatchObject({ runCount: 1 });
  });
});

describe('with threads.createOnFirstRun', () => {
  it('a thread made by createThread is counted once, its first run included', async () => {
    const app = await fixture.boot({ threads: { createOnFirstRun: true } });
    const service = app.get(ThreadService);
    const user = 'counted@example.com';
    const { threadId } = await service.createThread(user);
    await service.recordRun({ userEmail: user, threadId, prompt: 'first' });
    await service.recordRun({ userEmail: user, threadId, prompt: 'second' });
    await service.recordRun({ userEmail: user, threadId: 'named-by-its-run', prompt: 'x' });
    await expect(service.countThreads(user)).resolves.toBe(2);
    const { rows } = await fixture.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM agents.users_threads WHERE owner_email = $1`,
      [user],
    );
    expect(rows[0].n).toBe(2);
  });
});
