/**
 * ThreadService.listThreads (keyset, opaque cursor), listThreadsPage (OFFSET, the original HTTP
 * shape) and countThreads against PostgreSQL, including a pass that runs while runs arrive.
 */
import { InvalidInputError, type ThreadSummary } from '../../../src/checkpointer';
import { encodeThreadCursor } from '../../../src/checkpointer/threads/thread-cursor';
import { SCHEMA, type ThreadsFixture, startThreadsFixture } from './threads.fixture';

let fx: ThreadsFixture;

beforeAll(async () => {
  fx = await startThreadsFixture('list_threads');
});

afterAll(async () => {
  await fx.close();
});

/** Creates `count` threads for `user`, oldest first, each with one run. */
async function seed(user: string, prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const threadId = `${prefix}-${String(i).padStart(3, '0')}`;
    await fx.threads.recordRun({ userEmail: user, threadId, prompt: `prompt ${i}` });
    ids.push(threadId);
  }
  return ids;
}

/** Follows `nextCursor` to the end; `between` runs after each page. */
async function fullPass(
  user: string,
  limit: number,
  between: (page: number, items: readonly ThreadSummary[]) => Promise<void> = () =>
    Promise.resolve(),
): Promise<ThreadSummary[][]> {
  const pages: ThreadSummary[][] = [];
  let cursor: string | undefined;
  do {
    const page = await fx.threads.listThreads(user, { limit, cursor });
    pages.push([...page.items]);
    cursor = page.nextCursor ?? undefined;
    await between(pages.length, page.items);
  } while (cursor !== undefined);
  return pages;
}

describe('listThreads', () => {
  it('lists newest activity first, with every summary field', async () => {
    const ids = await seed('order@example.com', 'o', 3);
    await fx.threads.recordRun({
      userEmail: 'order@example.com',
      threadId: ids[0],
      prompt: 'again',
    });

    const { items, nextCursor } = await fx.threads.listThreads('order@example.com');
    expect(items.map((t) => t.threadId)).toEqual([ids[0], ids[2], ids[1]]);
    expect(items[0]).toEqual({
      threadId: ids[0],
      title: 'prompt 0',
      firstPrompt: 'prompt 0',
      createdAt: expect.any(Date),
      lastRunAt: expect.any(Date),
      runCount: 2,
    });
    expect(items[0].lastRunAt.getTime()).toBeGreaterThan(items[0].createdAt.getTime());
    expect(nextCursor).toBeNull();
  });

  it('breaks ties on equal activity by thread id, and pages through them exactly', async () => {
    const user = 'ties@example.com';
    await seed(user, 'tie', 7);
    // Same activity time for all, to the microsecond: only the tie-breaker orders them.
    await fx.database.query(
      `UPDATE ${SCHEMA}.users_threads SET last_run_at = '2025-01-01T00:00:00.123456Z' WHERE owner_email = $1`,
      [user],
    );

    const pages = await fullPass(user, 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().map((t) => t.threadId)).toEqual([
      'tie-006',
      'tie-005',
      'tie-004',
      'tie-003',
      'tie-002',
      'tie-001',
      'tie-000',
    ]);
  });

  it('keeps microsecond precision in the cursor: neighbours 1 µs apart are neither lost nor repeated', async () => {
    const user = 'micro@example.com';
    await seed(user, 'mu', 6);
    await fx.database.query(
      `UPDATE ${SCHEMA}.users_threads
          SET last_run_at = '2025-01-01T00:00:00.000100Z'::timestamptz
                            + (substr(thread_id, 4)::int * interval '1 microsecond')
        WHERE owner_email = $1`,
      [user],
    );
    const ids = (await fullPass(user, 1)).flat().map((t) => t.threadId);
    expect(ids).toEqual(['mu-005', 'mu-004', 'mu-003', 'mu-002', 'mu-001', 'mu-000']);
  });

  it('a pass shows every thread exactly once while runs arrive on seen, unseen and new threads', async () => {
    const user = 'busy@example.com';
    const existing = await seed(user, 'busy', 40);
    const seen = new Set<string>();
    let created = 0;

    const pages = await fullPass(user, 6, async (page, items) => {
      for (const t of items) seen.add(t.threadId);
      const unseen = existing.filter((id) => !seen.has(id));
      // A run on a thread not reached yet (it jumps to the top), one on a thread already shown,
      // and a brand-new thread.
      const writes = [
        unseen[page % Math.max(1, unseen.length)],
        [...seen][page % seen.size],
        `busy-new-${(created += 1)}`,
      ].filter((id): id is string => id !== undefined);
      await Promise.all(
        writes.map((threadId) =>
          fx.threads.recordRun({ userEmail: user, threadId, prompt: `during pass ${page}` }),
        ),
      );
    });

    const listed = pages.flat().map((t) => t.threadId);
    expect([...listed].sort()).toEqual([...existing].sort());
    expect(new Set(listed).size).toBe(listed.length);
    // The next pass starts afresh: the new threads and the latest activity are on top.
    const fresh = await fx.threads.listThreads(user, { limit: 3 });
    expect(fresh.items.map((t) => t.threadId)).toContain(`busy-new-${created}`);
  });

  it('a pass keeps its order when every thread not yet shown gets a run', async () => {
    const user = 'allmoved@example.com';
    const ids = await seed(user, 'am', 6); // listed newest first: am-005 ... am-000
    const first = await fx.threads.listThreads(user, { limit: 2 });
    expect(first.items.map((t) => t.threadId)).toEqual(['am-005', 'am-004']);
    for (const threadId of ids.slice(0, 4)) {
      await fx.threads.recordRun({ userEmail: user, threadId, prompt: 'moved' });
    }

    const second = await fx.threads.listThreads(user, { limit: 2, cursor: first.nextCursor! });
    const third = await fx.threads.listThreads(user, { limit: 2, cursor: second.nextCursor! });
    expect(second.items.map((t) => t.threadId)).toEqual(['am-003', 'am-002']);
    expect(third.items.map((t) => t.threadId)).toEqual(['am-001', 'am-000']);
    expect(third.nextCursor).toBeNull();
    // Shown with their current data, at their place as of the start of the pass.
    expect(second.items[0].runCount).toBe(2);
  });

  it('limit defaults to 20 and must be 1-100', async () => {
    await seed('many@example.com', 'many', 25);
    expect((await fx.threads.listThreads('many@example.com')).items).toHaveLength(20);
    expect((await fx.threads.listThreads('many@example.com', { limit: 100 })).items).toHaveLength(
      25,
    );
    for (const limit of [0, 101, 2.5, Number.NaN, '5' as unknown as number]) {
      await expect(fx.threads.listThreads('many@example.com', { limit })).rejects.toMatchObject({
        name: 'InvalidInputError',
        field: 'limit',
      });
    }
  });

  it.each([
    ['not base64url', 'not a cursor!'],
    ['empty', ''],
    ['base64url of garbage', Buffer.from('garbage').toString('base64url')],
    ['JSON of the wrong shape', Buffer.from('{"a":1}').toString('base64url')],
    ['an unknown version', Buffer.from('[2,"x","y","z"]').toString('base64url')],
    [
      'an impossible date',
      encodeThreadCursor({
        asOf: '2025-02-30T00:00:00.000000Z',
        activityAt: '2025-01-01T00:00:00.000000Z',
        threadId: 't',
      }),
    ],
    [
      'a key after its pass',
      encodeThreadCursor({
        asOf: '2025-01-01T00:00:00.000000Z',
        activityAt: '2025-01-02T00:00:00.000000Z',
        threadId: 't',
      }),
    ],
    [
      'a control character in the thread id',
      encodeThreadCursor({
        asOf: '2025-01-01T00:00:00.000000Z',
        activityAt: '2025-01-01T00:00:00.000000Z',
        threadId: 'a\nb',
      }),
    ],
    ['a non-string', 42 as unknown as string],
  ])('refuses a malformed cursor (%s) with InvalidInputError', async (_label, cursor) => {
    const attempt = fx.threads.listThreads('many@example.com', { cursor });
    await expect(attempt).rejects.toThrow(InvalidInputError);
    await expect(attempt).rejects.toMatchObject({ field: 'cursor' });
  });

  it('lists nothing for a user with no threads', async () => {
    await expect(fx.threads.listThreads('nobody@example.com')).resolves.toEqual({
      items: [],
      nextCursor: null,
    });
  });
});

describe('listThreadsPage and countThreads', () => {
  it('returns the original page shape, in the same order as listThreads', async () => {
    const user = 'paged@example.com';
    await seed(user, 'pg', 23);
    const all = (await fx.threads.listThreads(user, { limit: 100 })).items.map((t) => t.threadId);

    const first = await fx.threads.listThreadsPage(user, { page: 1, limit: 10 });
    expect(first).toMatchObject({ total: 23, page: 1, limit: 10, hasMore: true });
    expect(first.items.map((t) => t.threadId)).toEqual(all.slice(0, 10));
    const last = await fx.threads.listThreadsPage(user, { page: 3, limit: 10 });
    expect(last).toMatchObject({ total: 23, page: 3, limit: 10, hasMore: false });
    expect(last.items.map((t) => t.threadId)).toEqual(all.slice(20));
    await expect(fx.threads.listThreadsPage(user, { page: 4, limit: 10 })).resolves.toEqual({
      items: [],
      total: 23,
      page: 4,
      limit: 10,
      hasMore: false,
    });
    await expect(fx.threads.listThreadsPage(user)).resolves.toMatchObject({ page: 1, limit: 10 });
  });

  it('returns an empty page with total 0 for a user with no threads', async () => {
    await expect(fx.threads.listThreadsPage('nobody@example.com')).resolves.toEqual({
      items: [],
      total: 0,
      page: 1,
      limit: 10,
      hasMore: false,
    });
    await expect(fx.threads.countThreads('nobody@example.com')).resolves.toBe(0);
  });

  it('validates page and limit', async () => {
    for (const options of [
      { page: 0 },
      { page: -1 },
      { page: 1.5 },
      { limit: 0 },
      { limit: 101 },
    ]) {
      await expect(fx.threads.listThreadsPage('paged@example.com', options)).rejects.toThrow(
        InvalidInputError,
      );
    }
  });

  it('countThreads counts threads, not runs', async () => {
    const user = 'count@example.com';
    await seed(user, 'c', 4);
    await fx.threads.recordRun({ userEmail: user, threadId: 'c-000', prompt: 'again' });
    await expect(fx.threads.countThreads(user)).resolves.toBe(4);
    await expect(fx.threads.countThreads(' COUNT@example.com')).resolves.toBe(4);
  });
});
