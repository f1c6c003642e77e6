/**
 * The demo's endpoints over HTTP, on the real app and PostgreSQL: every route's happy path, as a
 * user of the API sees it, with the rows behind each answer checked where an answer claims them.
 */
import type { Response } from 'supertest';
import { checkpointRows } from '../threads/threads.fixture';
import {
  type DemoFixture,
  DEMO_SCHEMA,
  type NumberedPageBody,
  type ThreadPageBody,
  startDemo,
} from './demo.fixture';

const ALICE = 'alice@example.com';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let fixture: DemoFixture;

beforeAll(async () => {
  fixture = await startDemo('demo_endpoints');
});

afterAll(async () => {
  await fixture.close();
});

function as(email: string) {
  const { demo } = fixture;
  const auth = demo.bearer(email);
  return {
    post: (path: string, body: object) =>
      demo.http().post(path).set('Authorization', auth).send(body),
    get: (path: string) => demo.http().get(path).set('Authorization', auth),
    patch: (path: string, body: object) =>
      demo.http().patch(path).set('Authorization', auth).send(body),
    put: (path: string, body: object) =>
      demo.http().put(path).set('Authorization', auth).send(body),
    delete: (path: string) => demo.http().delete(path).set('Authorization', auth),
  };
}

function expectStatus(response: Response, status: number): Response {
  // The body in the failure message says why, which a bare status mismatch would not.
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: response.body,
  });
  return response;
}

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

describe('GET, PATCH and DELETE /threads/:threadId, sentiment', () => {
  const OWNER = 'owner@example.com';

  it('GET: the summary, the messages from the checkpointed state, the runs with their sentiment', async () => {
    const owner = as(OWNER);
    const prompts = ['What is a checkpointer?', 'And a thread?'];
    const runIds: string[] = [];
    for (const prompt of prompts) {
      runIds.push(
        expectStatus(await owner.post('/threads/detail/runs', { prompt }), 201).body.runId,
      );
    }
    expectStatus(await owner.put(`/runs/${runIds[1]}/sentiment`, { sentiment: true }), 200);

    const { body } = expectStatus(await owner.get('/threads/detail'), 200);
    expect(body).toEqual({
      thread_id: 'detail',
      title: 'What is a checkpointer?',
      full_prompt: 'What is a checkpointer?',
      created_at: expect.stringMatching(ISO_TIME),
      latest_timestamp: expect.stringMatching(ISO_TIME),
      run_count: 2,
      messages: [
        // Each message names its run, so a client can rate the answer it shows.
        { role: 'user', content: 'What is a checkpointer?', run_id: runIds[0] },
        {
          role: 'assistant',
          content: 'You said "What is a checkpointer?". This is message 2 of this conversation.',
          run_id: runIds[0],
        },
        { role: 'user', content: 'And a thread?', run_id: runIds[1] },
        {
          role: 'assistant',
          content: 'You said "And a thread?". This is message 4 of this conversation.',
          run_id: runIds[1],
        },
      ],
      runs: [
        {
          run_id: runIds[0],
          prompt: prompts[0],
          created_at: expect.stringMatching(ISO_TIME),
          sentiment: null,
        },
        {
          run_id: runIds[1],
          prompt: prompts[1],
          created_at: expect.stringMatching(ISO_TIME),
          sentiment: true,
        },
      ],
    });
  });

  it('PATCH renames the thread; the listing shows the new title', async () => {
    const owner = as(OWNER);
    expectStatus(await owner.post('/threads/rename-me/runs', { prompt: 'old title' }), 201);
    const renamed = expectStatus(
      await owner.patch('/threads/rename-me', { title: '  New\n title  ' }),
      200,
    );
    expect(renamed.body).toMatchObject({
      thread_id: 'rename-me',
      title: 'New title',
      run_count: 1,
    });
    const { body } = expectStatus(await owner.get('/threads?page=1&limit=100'), 200);
    expect(body.threads).toContainEqual(
      expect.objectContaining({
        thread_id: 'rename-me',
        title: 'New title',
        full_prompt: 'old title',
      }),
    );
  });

  it('PUT /runs/:runId/sentiment rates, re-rates and clears; GET sentiments shows the rated runs', async () => {
    const owner = as(OWNER);
    const runIds: string[] = [];
    for (const prompt of ['one', 'two', 'three']) {
      runIds.push(
        expectStatus(await owner.post('/threads/rated/runs', { prompt }), 201).body.runId,
      );
    }
    const up = expectStatus(
      await owner.put(`/runs/${runIds[0]}/sentiment`, { sentiment: true }),
      200,
    );
    expect(up.body).toEqual({
      run_id: runIds[0],
      thread_id: 'rated',
      sentiment: true,
      sentiment_at: expect.stringMatching(ISO_TIME),
    });
    expectStatus(await owner.put(`/runs/${runIds[1]}/sentiment`, { sentiment: true }), 200);
    const down = expectStatus(
      await owner.put(`/runs/${runIds[1]}/sentiment`, { sentiment: false }),
      200,
    );
    expect(down.body).toMatchObject({ sentiment: false });
    expectStatus(await owner.put(`/runs/${runIds[2]}/sentiment`, { sentiment: true }), 200);
    const cleared = expectStatus(
      await owner.put(`/runs/${runIds[2]}/sentiment`, { sentiment: null }),
      200,
    );
    expect(cleared.body).toEqual({
      run_id: runIds[2],
      thread_id: 'rated',
      sentiment: null,
      sentiment_at: null,
    });

    const { body } = expectStatus(await owner.get('/threads/rated/sentiments'), 200);
    expect(body).toEqual({ [runIds[0]]: true, [runIds[1]]: false });
    // An owned thread with nothing rated is an empty object, not a 404.
    expectStatus(await owner.post('/threads/unrated/runs', { prompt: 'meh' }), 201);
    expect(expectStatus(await owner.get('/threads/unrated/sentiments'), 200).body).toEqual({});
  });

  it('DELETE removes the thread, its runs and checkpoints, and says how many rows per table', async () => {
    const owner = as(OWNER);
    for (const prompt of ['a', 'b', 'c']) {
      expectStatus(await owner.post('/threads/doomed/runs', { prompt }), 201);
    }
    const before = await checkpointRows(fixture.database, 'doomed', DEMO_SCHEMA);
    expect(before.checkpoints).toBeGreaterThan(0);

    const { body } = expectStatus(await owner.delete('/threads/doomed'), 200);
    expect(body).toEqual({
      thread_id: 'doomed',
      deleted_counts: { users_threads: 1, users_threads_runs: 3, ...before },
    });
    expect(await checkpointRows(fixture.database, 'doomed', DEMO_SCHEMA)).toEqual({
      checkpoints: 0,
      checkpoint_blobs: 0,
      checkpoint_writes: 0,
    });
    expectStatus(await owner.get('/threads/doomed'), 404);
    expectStatus(await owner.delete('/threads/doomed'), 404);
    // The id is free again: a new conversation starts from its first message.
    const reborn = expectStatus(await owner.post('/threads/doomed/runs', { prompt: 'again' }), 201);
    expect(reborn.body.reply).toBe('You said "again". This is message 2 of this conversation.');
  });
});

describe('health and OpenAPI', () => {
  it('GET /health/live and /health/ready answer 200 without a token', async () => {
    const { demo } = fixture;
    expect(expectStatus(await demo.http().get('/health/live'), 200).body).toMatchObject({
      status: 'ok',
    });
    const ready = expectStatus(await demo.http().get('/health/ready'), 200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: {
        checkpointer: {
          status: 'up',
          saver: 'postgres',
          schema: { name: DEMO_SCHEMA, current: true, pendingMigrations: [] },
        },
      },
    });
  });

  it('GET /docs-json lists every route with its methods, bearer auth on all but health', async () => {
    const { demo } = fixture;
    const { body } = expectStatus(await demo.http().get('/docs-json'), 200);
    const operations = Object.entries(
      body.paths as Record<string, Record<string, { security?: unknown[] }>>,
    ).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        operation: `${method.toUpperCase()} ${path}`,
        bearer: JSON.stringify(operation.security ?? []).includes('bearer'),
      })),
    );
    expect(operations.sort((a, b) => a.operation.localeCompare(b.operation))).toEqual([
      { operation: 'DELETE /threads/{threadId}', bearer: true },
      { operation: 'GET /health/live', bearer: false },
      { operation: 'GET /health/ready', bearer: false },
      { operation: 'GET /threads', bearer: true },
      { operation: 'GET /threads/{threadId}', bearer: true },
      { operation: 'GET /threads/{threadId}/sentiments', bearer: true },
      { operation: 'PATCH /threads/{threadId}', bearer: true },
      { operation: 'POST /threads/{threadId}/runs', bearer: true },
      { operation: 'PUT /runs/{runId}/sentiment', bearer: true },
    ]);
    expect(body.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    const ui = await demo.http().get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });
});
