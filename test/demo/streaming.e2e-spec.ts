/**
 * `POST /threads/:threadId/runs/stream`: a turn streamed as server-sent events, built on
 * LangGraph's own stream over the injected saver. The events (run, the answer in several chunks,
 * end), the same refusals as the JSON route before the stream starts, a typed error event after,
 * and a client that disconnects mid-answer leaving its thread whole.
 */
import type http from 'node:http';
import { END, START, StateGraph } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { CheckpointerModule, ThreadTurns } from '../../src/checkpointer';
import { ChatState, type ChatGraph } from '../../src/demo/graph/chat-graph';
import { type DemoApp, bootDemoApp } from '../support/demo-app';
import { eventually } from '../support/eventually';
import { itOnRealPostgres } from '../support/real-postgres';
import { asText, listenOnLoopback, openStream, parseEvents } from '../support/sse';
import {
  type DemoFixture,
  DEMO_SCHEMA,
  NO_ROWS,
  type ThreadDetailBody,
  actingAs,
  createThread,
  expectStatus,
  snapshotDemoTables,
  startDemo,
  threadRows,
} from './demo.fixture';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

/** A gate a test opens by hand. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/**
 * A graph that writes "first " to the custom stream, then, by prompt: `hold` waits for
 * `held.release` before "second" (its answer "first second"); `fail` throws.
 */
const held = { reached: gate(), release: gate() };
const heldGraph = (saver: BaseCheckpointSaver): ChatGraph =>
  new StateGraph(ChatState)
    .addNode('assistant', async (state, config) => {
      const said = state.messages[state.messages.length - 1];
      config.writer({ text: 'first ' });
      if (said?.content === 'fail') throw new Error('the model fell over');
      held.reached.open();
      await held.release.opened;
      config.writer({ text: 'second' });
      return {
        messages: [{ role: 'assistant' as const, content: 'first second', runId: said?.runId }],
      };
    })
    .addEdge(START, 'assistant')
    .addEdge('assistant', END)
    .compile({ checkpointer: saver });

let fixture: DemoFixture;
let holding: DemoApp;

beforeAll(async () => {
  fixture = await startDemo('demo_streaming');
  holding = await bootDemoApp(
    { DATABASE_URL: fixture.database.url, CHECKPOINTER_SCHEMA: DEMO_SCHEMA, TURN_WAIT_MS: '0' },
    { graph: heldGraph },
  );
  await listenOnLoopback(holding.app.getHttpServer() as http.Server);
});

afterAll(async () => {
  held.release.open();
  await holding.close();
  await fixture.close();
});

const stream = (demo: DemoApp, email: string, threadId: string, body: object) =>
  asText(
    demo
      .http()
      .post(`/threads/${threadId}/runs/stream`)
      .set('Authorization', demo.bearer(email))
      .send(body),
  );

it('streams the run id, the answer in several chunks, then the end; the thread holds the answer', async () => {
  const { demo } = fixture;
  const threadId = await createThread(demo, ALICE);
  const response = await stream(demo, ALICE, threadId, { prompt: 'Stream me a reply, please.' });
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  expect(response.headers['cache-control']).toBe('no-cache, no-transform');

  const events = parseEvents(response.body as string);
  const reply = 'You said "Stream me a reply, please.". This is message 2 of this conversation.';
  const [run, ...rest] = events;
  expect(run).toEqual({ event: 'run', data: { runId: expect.any(String), threadId } });
  const chunks = rest.slice(0, -1);
  expect(chunks.length).toBeGreaterThan(1);
  expect(chunks.every((e) => e.event === 'chunk')).toBe(true);
  expect(chunks.map((e) => e.data.text).join('')).toBe(reply);
  expect(rest.at(-1)).toEqual({ event: 'end', data: { runId: run.data.runId, threadId, reply } });

  // The state is what the JSON route would have left: the prompt and the whole answer.
  const detail = expectStatus(await actingAs(demo, ALICE).get(`/threads/${threadId}`), 200)
    .body as ThreadDetailBody;
  expect(detail.messages).toEqual([
    { role: 'user', content: 'Stream me a reply, please.', run_id: run.data.runId },
    { role: 'assistant', content: reply, run_id: run.data.runId },
  ]);
  expect(detail.runs.map((r) => r.run_id)).toEqual([run.data.runId]);

  // The JSON route goes on from the streamed turn, and a streamed re-send is answered from state.
  const next = expectStatus(
    await actingAs(demo, ALICE).post(`/threads/${threadId}/runs`, { prompt: 'And now?' }),
    201,
  );
  expect(next.body.reply).toBe('You said "And now?". This is message 4 of this conversation.');
  const again = await stream(demo, ALICE, threadId, {
    prompt: 'Stream me a reply, please.',
    runId: run.data.runId,
  });
  expect([again.status, again.body]).toEqual([200, expect.any(String)]);
  expect(parseEvents(again.body as string)).toEqual([
    { event: 'run', data: { runId: run.data.runId, threadId } },
    { event: 'chunk', data: { text: reply } },
    { event: 'end', data: { runId: run.data.runId, threadId, reply } },
  ]);
});

it('refusals before the stream starts are the JSON route’s plain answers, recording nothing', async () => {
  const { demo, database } = fixture;
  const threadId = await createThread(demo, ALICE);
  const gone = await createThread(demo, ALICE);
  expectStatus(await actingAs(demo, ALICE).delete(`/threads/${gone}`), 200);
  const before = await snapshotDemoTables(database);

  const unauthenticated = await asText(
    demo.http().post(`/threads/${threadId}/runs/stream`).send({}),
  );
  const cases = {
    'no token': unauthenticated,
    'a bad body': await stream(demo, ALICE, threadId, { prompt: 7 }),
    "another user's thread": await stream(demo, BOB, threadId, { prompt: 'mine now' }),
    'a deleted thread': await stream(demo, ALICE, gone, { prompt: 'hello?' }),
  };
  const seen = Object.fromEntries(
    Object.entries(cases).map(([name, r]) => [
      name,
      {
        status: r.status,
        type: r.headers['content-type'],
        body: JSON.parse(r.body as string) as unknown,
      },
    ]),
  );
  const json = expect.stringMatching(/^application\/json/);
  expect(seen).toEqual({
    'no token': {
      status: 401,
      type: json,
      body: { statusCode: 401, error: 'Unauthorized', message: 'a valid bearer token is required' },
    },
    'a bad body': {
      status: 400,
      type: json,
      body: { statusCode: 400, error: 'Bad Request', message: ['prompt must be a string'] },
    },
    "another user's thread": {
      status: 404,
      type: json,
      body: { statusCode: 404, error: 'Not Found', message: `thread "${threadId}" not found` },
    },
    'a deleted thread': {
      status: 410,
      type: json,
      body: { statusCode: 410, error: 'Gone', message: `thread "${gone}" was deleted` },
    },
  });
  expect(await snapshotDemoTables(database)).toEqual(before);
});

itOnRealPostgres(
  'a busy thread: 409 with Retry-After before the stream, nothing recorded',
  async () => {
    const threadId = await createThread(holding, ALICE);
    const release = gate();
    const running = gate();
    const turn = holding.app.get(ThreadTurns).run(ALICE, threadId, async () => {
      running.open();
      await release.opened;
    });
    await running.opened;
    const before = await snapshotDemoTables(fixture.database);
    const refused = await stream(holding, ALICE, threadId, { prompt: 'too soon' });
    expect({
      status: refused.status,
      retryAfter: refused.headers['retry-after'],
      body: JSON.parse(refused.body as string) as unknown,
    }).toEqual({
      status: 409,
      retryAfter: expect.stringMatching(/^[1-9]\d*$/),
      body: {
        statusCode: 409,
        error: 'Conflict',
        message: `thread "${threadId}" is busy with another turn`,
      },
    });
    expect(await snapshotDemoTables(fixture.database)).toEqual(before);
    release.open();
    await turn;
  },
);

it('a failure after the stream began is an error event with the JSON body’s status, error and message', async () => {
  const threadId = await createThread(holding, ALICE);
  const response = await stream(holding, ALICE, threadId, { prompt: 'fail' });
  expect(response.status).toBe(200);
  const events = parseEvents(response.body as string);
  expect(events.map((e) => e.event)).toEqual(['run', 'chunk', 'error']);
  expect(events[2].data).toEqual({
    statusCode: 500,
    error: 'Internal Server Error',
    message: 'internal error',
  });
  // The run is recorded, no answer was checkpointed, and the thread takes its next turn at once.
  const detail = expectStatus(await actingAs(holding, ALICE).get(`/threads/${threadId}`), 200)
    .body as ThreadDetailBody;
  expect(detail.run_count).toBe(1);
  expect(detail.messages.filter((m) => m.role === 'assistant')).toEqual([]);
  expect(holding.app.get(CheckpointerModule).metrics().turns.held).toBe(0);
});

/** A new thread of Alice's with a `hold` turn streaming on it, its graph paused at `held`. */
async function streamHeldTurn() {
  held.reached = gate();
  held.release = gate();
  const threadId = await createThread(holding, ALICE);
  const live = await openStream(
    holding.app.getHttpServer() as http.Server,
    `/threads/${threadId}/runs/stream`,
    holding.bearer(ALICE),
    { prompt: 'hold' },
  );
  return { threadId, live };
}

it('the thread deleted mid-stream: an error event 410, and nothing of the thread is left', async () => {
  const { threadId, live } = await streamHeldTurn();
  expect((await live.until('chunk')).map((e) => e.event)).toEqual(['run', 'chunk']);
  await held.reached.opened;
  expectStatus(await actingAs(holding, ALICE).delete(`/threads/${threadId}`), 200);
  held.release.open();
  const events = await live.ended();
  expect(events.at(-1)).toEqual({
    event: 'error',
    data: { statusCode: 410, error: 'Gone', message: `thread "${threadId}" was deleted` },
  });
  expect(await threadRows(fixture.database, threadId)).toEqual(NO_ROWS);
});

it('a client that disconnects mid-answer: the turn finishes, the thread holds the whole answer and takes the next turn', async () => {
  const { threadId, live } = await streamHeldTurn();
  const [run] = await live.until('chunk');
  await held.reached.opened;
  live.disconnect();
  // The server sees the connection go before the graph writes the rest.
  await new Promise((resolve) => setTimeout(resolve, 100));
  held.release.open();

  const turns = () => holding.app.get(CheckpointerModule).metrics().turns;
  await eventually('the turn ends', 10_000, () => turns().held === 0);
  const detail = expectStatus(await actingAs(holding, ALICE).get(`/threads/${threadId}`), 200)
    .body as ThreadDetailBody;
  expect(detail.messages).toEqual([
    { role: 'user', content: 'hold', run_id: run.data.runId },
    { role: 'assistant', content: 'first second', run_id: run.data.runId },
  ]);
  expect(detail.run_count).toBe(1);
  // Its lease was given back: a turn that may not wait (TURN_WAIT_MS=0) runs at once.
  const next = await stream(fixture.demo, ALICE, threadId, { prompt: 'still here?' });
  expect(parseEvents(next.body as string).at(-1)?.event).toBe('end');
});
