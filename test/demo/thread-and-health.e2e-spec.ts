/**
 * One thread over HTTP, on the real app and PostgreSQL: the happy paths of `GET`, `PATCH` and
 * `DELETE /threads/:threadId`, rating runs and reading the ratings, health and the OpenAPI
 * document, with the rows behind each answer checked where an answer claims them.
 */
import { checkpointRows } from '../checkpointer/threads/threads.fixture';
import {
  type DemoFixture,
  DEMO_SCHEMA,
  ISO_TIME,
  actingAs,
  createThread,
  expectStatus,
  startDemo,
} from './demo.fixture';

let fixture: DemoFixture;

beforeAll(async () => {
  fixture = await startDemo('demo_thread');
});

afterAll(async () => {
  await fixture.close();
});

const as = (email: string) => actingAs(fixture.demo, email);

describe('GET, PATCH and DELETE /threads/:threadId, sentiment', () => {
  const OWNER = 'owner@example.com';

  it('GET: the summary, the messages from the checkpointed state, the runs with their sentiment', async () => {
    const owner = as(OWNER);
    const detail = await createThread(fixture.demo, OWNER);
    const prompts = ['What is a checkpointer?', 'And a thread?'];
    const runIds: string[] = [];
    for (const prompt of prompts) {
      runIds.push(
        expectStatus(await owner.post(`/threads/${detail}/runs`, { prompt }), 201).body.runId,
      );
    }
    expectStatus(await owner.put(`/runs/${runIds[1]}/sentiment`, { sentiment: true }), 200);

    const { body } = expectStatus(await owner.get(`/threads/${detail}`), 200);
    expect(body).toEqual({
      thread_id: detail,
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
    const renameMe = await createThread(fixture.demo, OWNER);
    expectStatus(await owner.post(`/threads/${renameMe}/runs`, { prompt: 'old title' }), 201);
    const renamed = expectStatus(
      await owner.patch(`/threads/${renameMe}`, { title: '  New\n title  ' }),
      200,
    );
    expect(renamed.body).toMatchObject({
      thread_id: renameMe,
      title: 'New title',
      run_count: 1,
    });
    const { body } = expectStatus(await owner.get('/threads?page=1&limit=100'), 200);
    expect(body.threads).toContainEqual(
      expect.objectContaining({
        thread_id: renameMe,
        title: 'New title',
        full_prompt: 'old title',
      }),
    );
  });

  it('PUT /runs/:runId/sentiment rates, re-rates and clears; GET sentiments shows the rated runs', async () => {
    const owner = as(OWNER);
    const rated = await createThread(fixture.demo, OWNER);
    const runIds: string[] = [];
    for (const prompt of ['one', 'two', 'three']) {
      runIds.push(
        expectStatus(await owner.post(`/threads/${rated}/runs`, { prompt }), 201).body.runId,
      );
    }
    const up = expectStatus(
      await owner.put(`/runs/${runIds[0]}/sentiment`, { sentiment: true }),
      200,
    );
    expect(up.body).toEqual({
      run_id: runIds[0],
      thread_id: rated,
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
      thread_id: rated,
      sentiment: null,
      sentiment_at: null,
    });

    const { body } = expectStatus(await owner.get(`/threads/${rated}/sentiments`), 200);
    expect(body).toEqual({ [runIds[0]]: true, [runIds[1]]: false });
    // An owned thread with nothing rated is an empty object, not a 404.
    const unrated = await createThread(fixture.demo, OWNER);
    expectStatus(await owner.post(`/threads/${unrated}/runs`, { prompt: 'meh' }), 201);
    expect(expectStatus(await owner.get(`/threads/${unrated}/sentiments`), 200).body).toEqual({});
  });

  it('DELETE removes the thread, its runs and checkpoints, and says how many rows per table', async () => {
    const owner = as(OWNER);
    const doomed = await createThread(fixture.demo, OWNER);
    for (const prompt of ['a', 'b', 'c']) {
      expectStatus(await owner.post(`/threads/${doomed}/runs`, { prompt }), 201);
    }
    const before = await checkpointRows(fixture.database, doomed, DEMO_SCHEMA);
    expect(before.checkpoints).toBeGreaterThan(0);

    const { body } = expectStatus(await owner.delete(`/threads/${doomed}`), 200);
    expect(body).toEqual({
      thread_id: doomed,
      deleted_counts: { users_threads: 1, users_threads_runs: 3, ...before },
    });
    expect(await checkpointRows(fixture.database, doomed, DEMO_SCHEMA)).toEqual({
      checkpoints: 0,
      checkpoint_blobs: 0,
      checkpoint_writes: 0,
    });
    expectStatus(await owner.get(`/threads/${doomed}`), 404);
    // Deleted for good: the id takes no second deletion and no new run (410 Gone)...
    const gone = { statusCode: 410, error: 'Gone', message: `thread "${doomed}" was deleted` };
    expect(expectStatus(await owner.delete(`/threads/${doomed}`), 410).body).toEqual(gone);
    expect(
      expectStatus(await owner.post(`/threads/${doomed}/runs`, { prompt: 'again' }), 410).body,
    ).toEqual(gone);
    // ...and a new conversation is a new thread, starting from its first message.
    const reborn = await createThread(fixture.demo, OWNER);
    const first = expectStatus(
      await owner.post(`/threads/${reborn}/runs`, { prompt: 'again' }),
      201,
    );
    expect(first.body.reply).toBe('You said "again". This is message 2 of this conversation.');
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
      { operation: 'POST /threads', bearer: true },
      { operation: 'POST /threads/{threadId}/runs', bearer: true },
      { operation: 'POST /threads/{threadId}/runs/stream', bearer: true },
      { operation: 'PUT /runs/{runId}/sentiment', bearer: true },
    ]);
    // The answers a client must handle are documented, Retry-After included.
    const responses = (path: string, method: string) =>
      (body.paths as Record<string, Record<string, { responses: Record<string, object> }>>)[path][
        method
      ].responses;
    const turn = responses('/threads/{threadId}/runs', 'post');
    expect(Object.keys(turn).sort()).toEqual(['201', '404', '409', '410', '422']);
    expect(turn['409']).toMatchObject({ headers: { 'Retry-After': expect.any(Object) } });
    // The streamed turn: the same refusals, and its events documented as text/event-stream.
    const streamed = responses('/threads/{threadId}/runs/stream', 'post');
    expect(Object.keys(streamed).sort()).toEqual(['200', '404', '409', '410', '422']);
    expect(streamed['200']).toMatchObject({
      description: expect.stringContaining('`chunk` `{ text }`'),
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    });
    expect(Object.keys(responses('/threads/{threadId}', 'delete')).sort()).toEqual([
      '200',
      '404',
      '410',
    ]);
    expect(Object.keys(responses('/threads', 'post'))).toEqual(['201']);
    expect(body.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    const ui = await demo.http().get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });
});
