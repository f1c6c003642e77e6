/**
 * Bad input on every body and parameter: a 400 whose message names the field at fault (the
 * ValidationPipe's DTOs first, the services' own checks behind them), unknown fields rejected, and
 * nothing stored. A body too large for the parser is a 413, never a 500.
 */
import { CHECKPOINTER_DEFAULTS } from '../../src/checkpointer';
import {
  type DemoFixture,
  DEMO_SCHEMA,
  type ProtectedRoute,
  createThread,
  send,
  snapshotDemoTables,
  startDemo,
} from './demo.fixture';

const OWNER = 'owner@example.com';
const MAX_PROMPT = CHECKPOINTER_DEFAULTS.threads.maxPromptLength;

/** The one run recorded, with an id of our choosing so the cases can name it. */
const RUN_ID = '3c6d0f4e-8a1b-4c2d-9e3f-5a6b7c8d9e0f';

let fixture: DemoFixture;
/** The owner's thread, created before the tests run; `VALID` in a path stands for it. */
let validThread: string;
const VALID = '{valid}';

beforeAll(async () => {
  fixture = await startDemo('demo_validation');
  const { demo } = fixture;
  validThread = await createThread(demo, OWNER);
  const run = await demo
    .http()
    .post(`/threads/${validThread}/runs`)
    .set('Authorization', demo.bearer(OWNER))
    .send({ prompt: 'a valid start', runId: RUN_ID });
  expect(run.status).toBe(201);
});

afterAll(async () => {
  await fixture.close();
});

const LONG_ID = 'x'.repeat(256);

/** [what is wrong, the request, the field its 400 must name]. */
const BAD_REQUESTS: [string, ProtectedRoute, string][] = (() => {
  const create = (body: object): ProtectedRoute => ({
    method: 'post',
    path: '/threads',
    route: '/threads',
    body,
  });
  const post = (body: object, thread = VALID): ProtectedRoute => ({
    method: 'post',
    path: `/threads/${thread}/runs`,
    route: '/threads/{threadId}/runs',
    body,
  });
  const list = (query: string): ProtectedRoute => ({
    method: 'get',
    path: `/threads?${query}`,
    route: '/threads',
  });
  const patch = (body: object, thread = VALID): ProtectedRoute => ({
    method: 'patch',
    path: `/threads/${thread}`,
    route: '/threads/{threadId}',
    body,
  });
  const rate = (body: object, run = RUN_ID): ProtectedRoute => ({
    method: 'put',
    path: `/runs/${run}/sentiment`,
    route: '/runs/{runId}/sentiment',
    body,
  });
  return [
    // POST /threads
    ['an empty title', create({ title: '' }), 'title'],
    ['a blank title', create({ title: ' \n\t ' }), 'title'],
    ['a title of 256 characters', create({ title: 't'.repeat(256) }), 'title'],
    ['a title that is a number', create({ title: 42 }), 'title'],
    ['a title with a lone surrogate', create({ title: 'a\ud800b' }), 'title'],
    ['an unknown field beside a title', create({ title: 'ok', thread_id: 'mine' }), 'thread_id'],
    // POST /threads/:threadId/runs
    ['no prompt', post({}), 'prompt'],
    ['a prompt that is a number', post({ prompt: 42 }), 'prompt'],
    ['a null prompt', post({ prompt: null }), 'prompt'],
    ['a prompt with NUL', post({ prompt: 'a\u0000b' }), 'prompt'],
    ['a prompt with a lone surrogate', post({ prompt: 'a\ud800b' }), 'prompt'],
    ['a prompt one character too long', post({ prompt: 'p'.repeat(MAX_PROMPT + 1) }), 'prompt'],
    ['a runId that is not a UUID', post({ prompt: 'hi', runId: 'run-1' }), 'runId'],
    ['a runId that is a number', post({ prompt: 'hi', runId: 7 }), 'runId'],
    ['an unknown body field', post({ prompt: 'hi', owner_email: OWNER }), 'owner_email'],
    ['a body that is an array', post([{ prompt: 'hi' }]), 'prompt'],
    ['a threadId of 256 characters', post({ prompt: 'hi' }, LONG_ID), 'threadId'],
    ['a threadId with a control character', post({ prompt: 'hi' }, 'bad%07id'), 'threadId'],
    // GET /threads
    ['limit 0', list('limit=0'), 'limit'],
    ['limit 101', list('limit=101'), 'limit'],
    ['a limit that is not a number', list('limit=ten'), 'limit'],
    ['a fractional limit', list('limit=1.5'), 'limit'],
    ['limit given twice', list('limit=1&limit=2'), 'limit'],
    ['page 0', list('page=0'), 'page'],
    ['a negative page', list('page=-1'), 'page'],
    ['a page that is not a number', list('page=first'), 'page'],
    ['a page past any offset', list('page=99999999999999999999'), 'page'],
    ['a malformed cursor', list('cursor=not-a-cursor'), 'cursor'],
    ['page and cursor together', list('page=1&cursor=abc'), 'cursor'],
    ['an unknown query parameter', list('offset=10'), 'offset'],
    // GET, PATCH, DELETE /threads/:threadId and GET .../sentiments
    [
      'GET a threadId of 256 characters',
      { method: 'get', path: `/threads/${LONG_ID}`, route: '/threads/{threadId}' },
      'threadId',
    ],
    [
      'GET a threadId with a control character',
      { method: 'get', path: '/threads/bad%0Aid', route: '/threads/{threadId}' },
      'threadId',
    ],
    ['no title', patch({}), 'title'],
    ['an empty title', patch({ title: '' }), 'title'],
    ['a blank title', patch({ title: ' \n\t ' }), 'title'],
    ['a title of 256 characters', patch({ title: 't'.repeat(256) }), 'title'],
    ['a title that is a number', patch({ title: 42 }), 'title'],
    [
      'an unknown field beside a title',
      patch({ title: 'ok', owner_email: 'x@y.z' }),
      'owner_email',
    ],
    ['PATCH a threadId of 256 characters', patch({ title: 'ok' }, LONG_ID), 'threadId'],
    [
      'DELETE a threadId of 256 characters',
      { method: 'delete', path: `/threads/${LONG_ID}`, route: '/threads/{threadId}' },
      'threadId',
    ],
    [
      'sentiments of a threadId of 256 characters',
      {
        method: 'get',
        path: `/threads/${LONG_ID}/sentiments`,
        route: '/threads/{threadId}/sentiments',
      },
      'threadId',
    ],
    // PUT /runs/:runId/sentiment
    ['a runId that is not a UUID in the path', rate({ sentiment: true }, 'run-1'), 'runId'],
    ['no sentiment', rate({}), 'sentiment'],
    ['a sentiment that is a string', rate({ sentiment: 'true' }), 'sentiment'],
    ['a sentiment that is a number', rate({ sentiment: 1 }), 'sentiment'],
    ['an unknown field beside a sentiment', rate({ sentiment: true, run_id: RUN_ID }), 'run_id'],
  ];
})();

describe.each(BAD_REQUESTS)('%s', (_case, route, field) => {
  it(`is a 400 naming ${field}, and nothing is stored`, async () => {
    const before = await snapshotDemoTables(fixture.database);
    const response = await send(
      fixture.demo,
      { ...route, path: route.path.replace(VALID, validThread) },
      fixture.demo.bearer(OWNER),
    );
    expect({ status: response.status, body: response.body }).toEqual({
      status: 400,
      body: expect.objectContaining({ statusCode: 400, error: 'Bad Request' }),
    });
    const messages: unknown = response.body.message;
    expect(Array.isArray(messages) ? messages : [messages]).toContainEqual(
      expect.stringContaining(field),
    );
    expect(await snapshotDemoTables(fixture.database)).toEqual(before);
  });
});

it('a body that is not JSON is a 400, and nothing is stored', async () => {
  const before = await snapshotDemoTables(fixture.database);
  const response = await fixture.demo
    .http()
    .post(`/threads/${validThread}/runs`)
    .set('Authorization', fixture.demo.bearer(OWNER))
    .set('Content-Type', 'application/json')
    .send('{"prompt": "unterminated');
  expect(response.status).toBe(400);
  expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  expect(await snapshotDemoTables(fixture.database)).toEqual(before);
});

it('every prompt the service accepts gets through the body parser, however it is encoded', async () => {
  // The longest prompt allowed, in 3-byte UTF-8 characters, every one escaped as JSON may be.
  const prompt = '界'.repeat(MAX_PROMPT);
  const body = `{"prompt":"${'\\u754c'.repeat(MAX_PROMPT)}"}`;
  const longPrompt = await createThread(fixture.demo, OWNER);
  const response = await fixture.demo
    .http()
    .post(`/threads/${longPrompt}/runs`)
    .set('Authorization', fixture.demo.bearer(OWNER))
    .set('Content-Type', 'application/json')
    .send(body);
  expect(response.status).toBe(201);
  const { rows } = await fixture.database.query<{ prompt: string }>(
    `SELECT prompt FROM ${DEMO_SCHEMA}.users_threads_runs WHERE thread_id = $1`,
    [longPrompt],
  );
  expect(rows).toEqual([{ prompt }]);
});

it('a body larger than any valid request is a 413, not a 500', async () => {
  const before = await snapshotDemoTables(fixture.database);
  const response = await fixture.demo
    .http()
    .post(`/threads/${validThread}/runs`)
    .set('Authorization', fixture.demo.bearer(OWNER))
    .send({ prompt: 'x'.repeat(4 * 1024 * 1024) });
  expect({ status: response.status, body: response.body }).toEqual({
    status: 413,
    body: { statusCode: 413, error: 'Payload Too Large', message: 'request entity too large' },
  });
  expect(await snapshotDemoTables(fixture.database)).toEqual(before);
});

it("a bad sentiment's message lists the values it takes, null included", async () => {
  const response = await fixture.demo
    .http()
    .put(`/runs/${RUN_ID}/sentiment`)
    .set('Authorization', fixture.demo.bearer(OWNER))
    .send({ sentiment: 'up' });
  expect(response.status).toBe(400);
  expect(response.body.message).toEqual(['sentiment must be true, false or null']);
});
