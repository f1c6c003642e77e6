/**
 * The history bench 3 seeds (`bench/harness/thread-history.ts`), on a small shape: our tables hold
 * what `recordRun` would have written, and the original's table holds the same runs, so the
 * original's queries and ours answer the same on it. The bench's comparison rests on this.
 */
import type { INestApplicationContext } from '@nestjs/common';
import {
  HEAVY_USER,
  LIGHT_USER,
  buildOriginalTable,
  originalCountQuery,
  originalListingQuery,
  seedOurHistory,
} from '../../bench/harness/thread-history';
import { ThreadService } from '../../src/checkpointer';
import { useCheckpointerDatabase } from '../support/checkpointer-fixture';

const SHAPE = { threads: 60, runsPerThread: 3, users: 5, heavyThreads: 30, lightThreads: 4 };

const fixture = useCheckpointerDatabase('bench_history', { schema: 'ours' });
let app: INestApplicationContext;
let threads: ThreadService;

beforeAll(async () => {
  app = await fixture.boot();
  threads = app.get(ThreadService);
  await seedOurHistory(fixture.database, 'ours', SHAPE);
  await buildOriginalTable(fixture.database, 'ours', 'original');
});

describe('the seeded history', () => {
  it('has the shape asked for, with threads, runs and counters consistent', async () => {
    const { rows } = await fixture.database.query<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM ours.users_threads) AS threads,
              (SELECT count(*)::int FROM ours.users_threads_runs) AS runs,
              (SELECT count(DISTINCT owner_email)::int FROM ours.users_threads) AS users,
              (SELECT count(*)::int FROM ours.users_threads t
                WHERE run_count <> (SELECT count(*) FROM ours.users_threads_runs r WHERE r.thread_id = t.thread_id)
                   OR last_run_at <> (SELECT max(created_at) FROM ours.users_threads_runs r WHERE r.thread_id = t.thread_id)
                   OR first_prompt <> (SELECT prompt FROM ours.users_threads_runs r WHERE r.thread_id = t.thread_id
                                        ORDER BY created_at LIMIT 1)) AS inconsistent,
              (SELECT count(*)::int FROM ours.users_thread_counts c
                WHERE thread_count <> (SELECT count(*) FROM ours.users_threads t WHERE t.owner_email = c.owner_email)) AS miscounted,
              (SELECT count(DISTINCT last_run_at)::int FROM ours.users_threads) AS distinct_activity`,
    );
    expect(rows[0]).toEqual({
      threads: 60,
      runs: 180,
      users: 5,
      inconsistent: 0,
      miscounted: 0,
      distinct_activity: 60, // no ties: the original's order, which has no tie-breaker, is one
    });
    await expect(threads.countThreads(HEAVY_USER)).resolves.toBe(30);
    await expect(threads.countThreads(LIGHT_USER)).resolves.toBe(4);
  });

  it("lists and counts the same in the original's table as in ours, page after page", async () => {
    const ids = async (user: string, offset: number, limit: number) =>
      (
        await fixture.database.query<{ thread_id: string }>(originalListingQuery('original'), [
          user,
          user,
          limit,
          offset,
        ])
      ).rows.map((r) => r.thread_id);
    let cursor: string | undefined;
    for (let offset = 0; offset < 30; offset += 7) {
      const page = await threads.listThreads(HEAVY_USER, { limit: 7, cursor });
      expect(page.items.map((t) => t.threadId)).toEqual(await ids(HEAVY_USER, offset, 7));
      cursor = page.nextCursor ?? undefined;
    }
    expect(cursor).toBeUndefined();
    const light = await threads.listThreads(LIGHT_USER, { limit: 20 });
    expect(light.items.map((t) => t.threadId)).toEqual(await ids(LIGHT_USER, 0, 20));
    expect(light.items[0].runCount).toBe(3);
    const { rows } = await fixture.database.query<{ total_threads: string }>(
      originalCountQuery('original'),
      [HEAVY_USER],
    );
    expect(Number(rows[0].total_threads)).toBe(30);
  });
});
