/**
 * Creating threads, recording runs and listing threads over HTTP, on the real app and PostgreSQL:
 * the happy paths of `POST /threads`, `POST /threads/:threadId/runs` and `GET /threads` in both
 * its shapes, as a user of the API sees them, with the rows behind each answer checked where an
 * answer claims them.
 */
import { UNTITLED_THREAD } from '../../src/checkpointer';
import { checkpointRows } from '../checkpointer/threads/threads.fixture';
import {
  type DemoFixture,
  DEMO_SCHEMA,
  ISO_TIME,
  type NumberedPageBody,
  type ThreadPageBody,
  actingAs,
  createThread,
  expectStatus,
  snapshotDemoTables,
  startDemo,
} from './demo.fixture';

const ALICE = 'alice@example.com';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let fixture: DemoFixture;

beforeAll(async () => {
  fixture = await startDemo('demo_runs_list');
});

afterAll(async () => {
  await fixture.close();
});

const as = (email: string) => actingAs(fixture.demo, email);

describe('POST /threads', () => {
  it('creates a thread of yours with a generated id, untitled until its first run names it', async () => {
    const alice = as(ALICE);
    const created = expectStatus(await alice.post('/threads', {}), 201);
    expect(created.body).toEqual({
      thread_id: expect.stringMatching(UUID),
      title: UNTITLED_THREAD,
      full_prompt: '',
      created_at: expect.stringMatching(ISO_TIME),
      latest_timestamp: expect.stringMatching(ISO_TIME),
      run_count: 0,
    });
    const threadId = created.body.thread_id as string;
    expect(expectStatus(await alice.get(`/threads/${threadId}`), 200).body).toEqual({
      ...created.body,
      messages: [],
      runs: [],
    });
    expectStatus(await alice.post(`/threads/${threadId}/runs`, { prompt: 'Name me' }), 201);
    expect(expectStatus(await alice.get(`/threads/${threadId}`), 200).body).toMatchObject({
      title: 'Name me',
      full_prompt: 'Name me',
      run_count: 1,
    });
  });

  it('with a title, keeps it past the first run; without a body, creates an untitled thread', async () => {
    const alice = as(ALICE);
    const titled = expectStatus(await alice.post('/threads', { title: '  Trip\n to Rome ' }), 201);
    expect(titled.body).toMatchObject({ title: 'Trip to Rome', run_count: 0 });
    const threadId = titled.body.thread_id as string;
    expectStatus(await alice.post(`/threads/${threadId}/runs`, { prompt: 'Flights?' }), 201);
    expect(expectStatus(await alice.get(`/threads/${threadId}`), 200).body).toMatchObject({
      title: 'Trip to Rome',
      full_prompt: 'Flights?',
    });
    // As `curl -X POST` sends it: no body, no content type.
    const bare = await fixture.demo
      .http()
      .post('/threads')
      .set('Authorization', fixture.demo.bearer(ALICE));
    expect(expectStatus(bare, 201).body).toMatchObject({ title: UNTITLED_THREAD });
    // Every thread is new: ids are never reused or chosen by the client.
    expect(bare.body.thread_id).not.toBe(threadId);
  });
});

describe('POST /threads/:threadId/runs', () => {
  it('records the run on the thread and replies from the graph', async () => {
    const alice = as(ALICE);
    const threadId = await createThread(fixture.demo, ALICE);
    const first = expectStatus(
      await alice.post(`/threads/${threadId}/runs`, { prompt: 'Hello' }),
      201,
    );
    expect(first.body).toEqual({
      runId: expect.stringMatching(UUID),
      threadId,
      reply: 'You said "Hello". This is message 2 of this conversation.',
    });

    // A caller-chosen run id (any case) is kept, lowercased as PostgreSQL returns a uuid.
    const runId = 'A0B1C2D3-E4F5-4a6b-8c7d-0123456789AB';
    const second = expectStatus(
      await alice.post(`/threads/${threadId}/runs`, { prompt: 'Again', runId }),
      201,
    );
    expect(second.body).toEqual({
      runId: runId.toLowerCase(),
      threadId,
      reply: 'You said "Again". This is message 4 of this conversation.',
    });

    const { rows } = await fixture.database.query<{ run_id: string; prompt: string }>(
      `SELECT run_id, prompt FROM ${DEMO_SCHEMA}.users_threads_runs
        WHERE thread_id = $1 ORDER BY created_at, run_id`,
      [threadId],
    );
    expect(rows).toEqual([
      { run_id: first.body.runId, prompt: 'Hello' },
      { run_id: runId.toLowerCase(), prompt: 'Again' },
    ]);
    // The graph checkpointed the turns in the configured schema.
    const checkpoints = await checkpointRows(fixture.database, threadId, DEMO_SCHEMA);
    expect(checkpoints.checkpoints).toBeGreaterThan(0);
  });

  it('an id nobody created is a 404 (no thread is created by a run), kept verbatim through the URL', async () => {
    const before = await snapshotDemoTables(fixture.database);
    for (const threadId of ['my-first-thread', 'Ünïcødé thread / with spaces?#']) {
      const path = `/threads/${encodeURIComponent(threadId)}`;
      expect(
        expectStatus(await as(ALICE).post(`${path}/runs`, { prompt: '👋' }), 404).body,
      ).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: `thread ${JSON.stringify(threadId)} not found`,
      });
    }
    expect(await snapshotDemoTables(fixture.database)).toEqual(before);
  });

  it('answers 409 when the run id is already recorded on another thread, recording nothing', async () => {
    const alice = as(ALICE);
    const [a, b] = [
      await createThread(fixture.demo, ALICE),
      await createThread(fixture.demo, ALICE),
    ];
    const { runId } = expectStatus(
      await alice.post(`/threads/${a}/runs`, { prompt: 'first' }),
      201,
    ).body;
    const conflict = await alice.post(`/threads/${b}/runs`, { prompt: 'second', runId });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({
      statusCode: 409,
      message: expect.stringContaining(runId),
    });
    // Not a busy thread: nothing to wait for.
    expect(conflict.headers['retry-after']).toBeUndefined();
    expect(expectStatus(await alice.get(`/threads/${b}`), 200).body).toMatchObject({
      run_count: 0,
      messages: [],
    });
    const { rows } = await fixture.database.query(
      `SELECT 1 FROM ${DEMO_SCHEMA}.checkpoints WHERE thread_id = $1`,
      [b],
    );
    expect(rows).toEqual([]);
  });
});

describe('GET /threads', () => {
  const LISTER = 'lister@example.com';
  /** The prompts of the threads, created and run oldest first. */
  const prompts = ['list-1', 'list-2', 'list-3', 'list-4', 'list-5'];
  /** Their ids, in the same order: the listing shows them newest activity first. */
  const threadIds: string[] = [];
  /** A thread's prompt (and title) from its id. */
  const named = (threadId: string) => prompts[threadIds.indexOf(threadId)];

  beforeAll(async () => {
    for (const prompt of prompts) {
      const threadId = await createThread(fixture.demo, LISTER);
      expectStatus(await as(LISTER).post(`/threads/${threadId}/runs`, { prompt }), 201);
      threadIds.push(threadId);
    }
  });

  it('?limit&cursor pages through every thread once, newest activity first', async () => {
    const seen: string[] = [];
    const cursors: (string | null)[] = [];
    let path = '/threads?limit=2';
    for (let page = 0; page < 10; page += 1) {
      const body = expectStatus(await as(LISTER).get(path), 200).body as ThreadPageBody;
      expect(Object.keys(body).sort()).toEqual(['next_cursor', 'threads']);
      seen.push(...body.threads.map((t) => t.thread_id));
      cursors.push(body.next_cursor);
      if (body.next_cursor === null) break;
      path = `/threads?limit=2&cursor=${encodeURIComponent(body.next_cursor)}`;
    }
    expect(seen).toEqual([...threadIds].reverse());
    expect(cursors).toEqual([expect.any(String), expect.any(String), null]);
  });

  it('lists each thread with its summary, 20 to a page by default', async () => {
    const { body } = expectStatus(await as(LISTER).get('/threads'), 200);
    expect(body.next_cursor).toBeNull();
    expect(body.threads).toHaveLength(threadIds.length);
    expect(body.threads[0]).toEqual({
      thread_id: threadIds[4],
      title: 'list-5',
      full_prompt: 'list-5',
      created_at: expect.stringMatching(ISO_TIME),
      latest_timestamp: expect.stringMatching(ISO_TIME),
      run_count: 1,
    });
  });

  it('?page&limit answers in the original shape: threads, total_count, page, limit, has_more', async () => {
    const lister = as(LISTER);
    const pages: NumberedPageBody[] = [];
    for (const page of [1, 2, 3, 4]) {
      pages.push(expectStatus(await lister.get(`/threads?page=${page}&limit=2`), 200).body);
    }
    const ids = (page: NumberedPageBody) => page.threads.map((t) => named(t.thread_id));
    expect(pages.map((page) => ({ ...page, threads: ids(page) }))).toEqual([
      { threads: ['list-5', 'list-4'], total_count: 5, page: 1, limit: 2, has_more: true },
      { threads: ['list-3', 'list-2'], total_count: 5, page: 2, limit: 2, has_more: true },
      { threads: ['list-1'], total_count: 5, page: 3, limit: 2, has_more: false },
      { threads: [], total_count: 5, page: 4, limit: 2, has_more: false },
    ]);
    // Without a limit, the original's default page size of 10.
    expect(expectStatus(await lister.get('/threads?page=1'), 200).body).toMatchObject({
      total_count: 5,
      limit: 10,
      has_more: false,
    });
  });

  it('a user with no threads gets empty pages in both shapes', async () => {
    const nobody = as('nobody@example.com');
    expect(expectStatus(await nobody.get('/threads'), 200).body).toEqual({
      threads: [],
      next_cursor: null,
    });
    expect(expectStatus(await nobody.get('/threads?page=1'), 200).body).toEqual({
      threads: [],
      total_count: 0,
      page: 1,
      limit: 10,
      has_more: false,
    });
  });
});
