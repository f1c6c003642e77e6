/**
 * Recording runs and listing threads over HTTP, on the real app and PostgreSQL: the happy paths
 * of `POST /threads/:threadId/runs` and `GET /threads` in both its shapes, as a user of the API
 * sees them, with the rows behind each answer checked where an answer claims them.
 */
import { checkpointRows } from '../checkpointer/threads/threads.fixture';
import {
  type DemoFixture,
  DEMO_SCHEMA,
  ISO_TIME,
  type NumberedPageBody,
  type ThreadPageBody,
  actingAs,
  expectStatus,
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

describe('POST /threads/:threadId/runs', () => {
  it('records the run, creates the thread on its first run and replies from the graph', async () => {
    const alice = as(ALICE);
    const first = expectStatus(await alice.post('/threads/runs-1/runs', { prompt: 'Hello' }), 201);
    expect(first.body).toEqual({
      runId: expect.stringMatching(UUID),
      threadId: 'runs-1',
      reply: 'You said "Hello". This is message 2 of this conversation.',
    });

    // A caller-chosen run id (any case) is kept, lowercased as PostgreSQL returns a uuid.
    const runId = 'A0B1C2D3-E4F5-4a6b-8c7d-0123456789AB';
    const second = expectStatus(
      await alice.post('/threads/runs-1/runs', { prompt: 'Again', runId }),
      201,
    );
    expect(second.body).toEqual({
      runId: runId.toLowerCase(),
      threadId: 'runs-1',
      reply: 'You said "Again". This is message 4 of this conversation.',
    });

    const { rows } = await fixture.database.query<{ run_id: string; prompt: string }>(
      `SELECT run_id, prompt FROM ${DEMO_SCHEMA}.users_threads_runs
        WHERE thread_id = $1 ORDER BY created_at, run_id`,
      ['runs-1'],
    );
    expect(rows).toEqual([
      { run_id: first.body.runId, prompt: 'Hello' },
      { run_id: runId.toLowerCase(), prompt: 'Again' },
    ]);
    // The graph checkpointed the turns in the configured schema.
    const checkpoints = await checkpointRows(fixture.database, 'runs-1', DEMO_SCHEMA);
    expect(checkpoints.checkpoints).toBeGreaterThan(0);
  });

  it('takes any thread id a user gives, kept verbatim through the URL', async () => {
    const threadId = 'Ünïcødé thread / with spaces?#';
    const path = `/threads/${encodeURIComponent(threadId)}`;
    const run = expectStatus(await as(ALICE).post(`${path}/runs`, { prompt: '👋' }), 201);
    expect(run.body.threadId).toBe(threadId);
    const detail = expectStatus(await as(ALICE).get(path), 200);
    expect(detail.body.thread_id).toBe(threadId);
    expect(detail.body.messages[0]).toEqual({
      role: 'user',
      content: '👋',
      run_id: run.body.runId,
    });
  });

  it('answers 409 when the run id is already recorded on another thread, recording nothing', async () => {
    const alice = as(ALICE);
    const { runId } = expectStatus(
      await alice.post('/threads/conflict-a/runs', { prompt: 'first' }),
      201,
    ).body;
    const conflict = await alice.post('/threads/conflict-b/runs', { prompt: 'second', runId });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({
      statusCode: 409,
      message: expect.stringContaining(runId),
    });
    expectStatus(await alice.get('/threads/conflict-b'), 404);
    const { rows } = await fixture.database.query(
      `SELECT 1 FROM ${DEMO_SCHEMA}.checkpoints WHERE thread_id = 'conflict-b'`,
    );
    expect(rows).toEqual([]);
  });
});

describe('GET /threads', () => {
  const LISTER = 'lister@example.com';
  /** Created oldest first: the listing shows them newest activity first. */
  const threadIds = ['list-1', 'list-2', 'list-3', 'list-4', 'list-5'];

  beforeAll(async () => {
    for (const threadId of threadIds) {
      expectStatus(await as(LISTER).post(`/threads/${threadId}/runs`, { prompt: threadId }), 201);
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
      thread_id: 'list-5',
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
    const ids = (page: NumberedPageBody) => page.threads.map((t) => t.thread_id);
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
