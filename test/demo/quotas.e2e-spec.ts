/**
 * Issue 12 (demo): a thread's turns and its state are capped by configuration (THREAD_MAX_TURNS,
 * THREAD_MAX_STATE_BYTES). The turn past a limit is a 422 naming it, on the JSON and the streaming
 * route alike, with nothing written; the check runs inside the thread's turn, so turns racing
 * for the last place get it once; a re-sent run is not a new turn.
 */
import { type DemoApp, bootDemoApp } from '../support/demo-app';
import { itOnRealPostgres } from '../support/real-postgres';
import { asText } from '../support/sse';
import {
  type DemoFixture,
  DEMO_SCHEMA,
  type ThreadDetailBody,
  actingAs,
  createThread,
  expectStatus,
  inFlight,
  snapshotDemoTables,
  startDemo,
} from './demo.fixture';

const ALICE = 'alice@example.com';

let fixture: DemoFixture;
let small: DemoApp;

beforeAll(async () => {
  fixture = await startDemo('demo_quotas', { THREAD_MAX_TURNS: '2' });
  small = await bootDemoApp({
    DATABASE_URL: fixture.database.url,
    CHECKPOINTER_SCHEMA: DEMO_SCHEMA,
    THREAD_MAX_STATE_BYTES: '2048',
  });
});

afterAll(async () => {
  await small.close();
  await fixture.close();
});

const say = (demo: DemoApp, threadId: string, body: { prompt: string; runId?: string }) =>
  actingAs(demo, ALICE).post(`/threads/${threadId}/runs`, body);

const overTurns = (threadId: string) => ({
  statusCode: 422,
  error: 'Unprocessable Entity',
  message: `thread "${threadId}" has reached its limit of 2 turns (THREAD_MAX_TURNS=2); start a new thread`,
  limit: 'THREAD_MAX_TURNS',
  max: 2,
});

it('THREAD_MAX_TURNS: the turn past the limit is a 422 naming it, on both routes, writing nothing', async () => {
  const { demo, database } = fixture;
  const threadId = await createThread(demo, ALICE);
  const first = expectStatus(await say(demo, threadId, { prompt: 'one' }), 201);
  expectStatus(await say(demo, threadId, { prompt: 'two' }), 201);
  const before = await snapshotDemoTables(database);

  const refused = await say(demo, threadId, { prompt: 'three' });
  expect({ status: refused.status, body: refused.body as unknown }).toEqual({
    status: 422,
    body: overTurns(threadId),
  });
  const streamed = await asText(
    demo
      .http()
      .post(`/threads/${threadId}/runs/stream`)
      .set('Authorization', demo.bearer(ALICE))
      .send({ prompt: 'three, streaming' }),
  );
  expect({ status: streamed.status, body: JSON.parse(streamed.body as string) as unknown }).toEqual(
    { status: 422, body: overTurns(threadId) },
  );
  expect(await snapshotDemoTables(database)).toEqual(before);

  // A re-sent run is not a new turn: it is answered, from the checkpointed state.
  const resent = expectStatus(
    await say(demo, threadId, { prompt: 'one', runId: first.body.runId }),
    201,
  );
  expect(resent.body.reply).toBe(first.body.reply);
  // The thread is still the owner's to read, rename and delete.
  expectStatus(await actingAs(demo, ALICE).patch(`/threads/${threadId}`, { title: 'Full' }), 200);
  expectStatus(await actingAs(demo, ALICE).delete(`/threads/${threadId}`), 200);
});

// Concurrent sessions: a real server's (embedded PGlite is one session).
itOnRealPostgres(
  'THREAD_MAX_TURNS under concurrency: of six turns racing for the last place, one gets it',
  async () => {
    const { demo } = fixture;
    const threadId = await createThread(demo, ALICE);
    expectStatus(await say(demo, threadId, { prompt: 'the first' }), 201);
    const racing = await Promise.all(
      Array.from({ length: 6 }, (_, i) => inFlight(say(demo, threadId, { prompt: `racer ${i}` }))),
    );
    const statuses = racing.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 422, 422, 422, 422, 422]);
    const detail = expectStatus(await actingAs(demo, ALICE).get(`/threads/${threadId}`), 200)
      .body as ThreadDetailBody;
    expect(detail.run_count).toBe(2);
    expect(detail.messages).toHaveLength(4);
  },
);

it('THREAD_MAX_STATE_BYTES: a turn whose prompt would take the state past it is a 422, writing nothing', async () => {
  const threadId = await createThread(small, ALICE);
  const before = await snapshotDemoTables(fixture.database);
  const huge = await say(small, threadId, { prompt: 'x'.repeat(2100) });
  expect({ status: huge.status, body: huge.body as unknown }).toEqual({
    status: 422,
    body: {
      statusCode: 422,
      error: 'Unprocessable Entity',
      message: expect.stringMatching(
        new RegExp(
          `^thread "${threadId}" would hold \\d+ bytes of conversation with this prompt, over ` +
            'its limit of 2048 \\(THREAD_MAX_STATE_BYTES=2048\\); start a new thread$',
        ),
      ),
      limit: 'THREAD_MAX_STATE_BYTES',
      max: 2048,
    },
  });
  expect(await snapshotDemoTables(fixture.database)).toEqual(before);

  // 700 characters fit, and the answer echoes them: the state is then past 1400 bytes, and the
  // next 700 would not fit.
  expectStatus(await say(small, threadId, { prompt: 'y'.repeat(700) }), 201);
  const full = await say(small, threadId, { prompt: 'z'.repeat(700) });
  expect([full.status, full.body.limit]).toEqual([422, 'THREAD_MAX_STATE_BYTES']);
  // A short prompt still fits.
  expectStatus(await say(small, threadId, { prompt: 'ok?' }), 201);
});
