/**
 * The per-user thread counter behind countThreads stays exactly equal to the threads' rows under
 * concurrent creations (of new and of the same threads), runs on existing threads, deletions, and
 * deletions racing with runs on the same thread.
 */
import { ThreadDeletedError, ThreadNotFoundError } from '../../../src/checkpointer';
import { describeOnRealPostgres } from '../../support/real-postgres';
import {
  type ThreadsFixture,
  counterTable,
  countedThreads,
  startThreadsFixture,
} from './threads.fixture';

let fx: ThreadsFixture;

const USERS = ['a@example.com', 'b@example.com', 'c@example.com'];

/**
 * Runs every operation at once; the only expected failures are the lost races: "not found" (never
 * created) and "deleted" (a second delete, or a run arriving after the delete).
 */
async function allAtOnce(operations: (() => Promise<unknown>)[]): Promise<void> {
  const results = await Promise.allSettled(operations.map((operation) => operation()));
  for (const result of results) {
    const lostRace =
      result.status === 'rejected' &&
      (result.reason instanceof ThreadNotFoundError || result.reason instanceof ThreadDeletedError);
    if (result.status === 'rejected' && !lostRace) throw result.reason;
  }
}

async function expectExactCounts(): Promise<void> {
  const actual = await countedThreads(fx.database);
  expect(await counterTable(fx.database)).toEqual(actual);
  for (const user of USERS) {
    await expect(fx.threads.countThreads(user)).resolves.toBe(actual[user] ?? 0);
  }
}

// Many concurrent transactions: PGlite is one session and serializes (or deadlocks) them.
describeOnRealPostgres('thread counter', () => {
  beforeAll(async () => {
    // More connections than the default, so the operations below really overlap in the database.
    fx = await startThreadsFixture('thread_counter', { pool: { max: 20 } });
  });

  afterAll(async () => {
    await fx.close();
  });

  it('stays exact under concurrent creations, runs and deletions', async () => {
    for (const user of USERS) {
      for (let i = 0; i < 10; i += 1) {
        await fx.threads.recordRun({ userEmail: user, threadId: `${user}/old-${i}`, prompt: 'p' });
      }
    }

    for (let round = 0; round < 4; round += 1) {
      const operations: (() => Promise<unknown>)[] = [];
      for (const user of USERS) {
        const record = (threadId: string) => () =>
          fx.threads.recordRun({ userEmail: user, threadId, prompt: `round ${round}` });
        const remove = (threadId: string) => () => fx.threads.deleteThread(user, threadId);
        // New threads, each created by several requests at once.
        for (let i = 0; i < 4; i += 1) {
          const threadId = `${user}/new-${round}-${i}`;
          operations.push(record(threadId), record(threadId), record(threadId));
        }
        // Runs on existing threads, deletions, and a run racing a deletion of the same thread.
        operations.push(record(`${user}/old-${round}`));
        operations.push(remove(`${user}/old-${round + 4}`));
        operations.push(remove(`${user}/old-${round + 4}`));
        operations.push(remove(`${user}/new-${round - 1}-0`));
        operations.push(record(`${user}/new-${round - 1}-1`), remove(`${user}/new-${round - 1}-1`));
      }
      await allAtOnce(operations);
      await expectExactCounts();
    }
    // The rounds created and deleted threads for every user.
    const counts = await countedThreads(fx.database);
    for (const user of USERS) expect(counts[user]).toBeGreaterThan(10);
  });

  it('is back to zero when every thread is deleted', async () => {
    const user = USERS[0];
    const { items } = await fx.threads.listThreads(user, { limit: 100 });
    await allAtOnce(items.map((t) => () => fx.threads.deleteThread(user, t.threadId)));
    await expect(fx.threads.countThreads(user)).resolves.toBe(0);
    await expectExactCounts();
  });
});
