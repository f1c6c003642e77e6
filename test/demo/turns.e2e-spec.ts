/**
 * One turn at a time per thread, as the API answers it: a turn that finds its thread busy waits
 * for the running turn (bounded by TURN_WAIT_MS), then runs or is refused, 409 with Retry-After
 * and nothing recorded; a turn whose graph is stopped because it lost its lease answers 410 when
 * its thread was deleted meanwhile, 409 when another turn took the thread over. Turns are held
 * open here through the library's `ThreadTurns`, as another replica's running turn would be; the
 * assertions are on its counters (`metrics().turns`), never on time. Needs a real server.
 */
import { END, START, StateGraph } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { CheckpointerModule, ThreadTurns } from '../../src/checkpointer';
import { ChatState, type ChatGraph } from '../../src/demo/graph/chat-graph';
import { type DemoApp, type DemoEnv, bootDemoApp } from '../support/demo-app';
import { eventually } from '../support/eventually';
import { describeOnRealPostgres } from '../support/real-postgres';
import {
  type DemoFixture,
  DEMO_SCHEMA,
  NO_ROWS,
  type ThreadDetailBody,
  actingAs,
  createThread,
  expectStatus,
  inFlight,
  snapshotDemoTables,
  startDemo,
  threadRows,
} from './demo.fixture';

const ALICE = 'alice@example.com';

/** A gate a test opens by hand. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describeOnRealPostgres('a busy thread', () => {
  let fixture: DemoFixture;
  const others: DemoApp[] = [];

  beforeAll(async () => {
    fixture = await startDemo('demo_turns');
  });

  afterAll(async () => {
    for (const demo of others) await demo.close();
    await fixture.close();
  });

  /** Another replica on the fixture's database. */
  async function replica(env: DemoEnv, graph?: (saver: BaseCheckpointSaver) => ChatGraph) {
    const demo = await bootDemoApp(
      { DATABASE_URL: fixture.database.url, CHECKPOINTER_SCHEMA: DEMO_SCHEMA, ...env },
      { graph },
    );
    others.push(demo);
    return demo;
  }

  const turnsOf = (demo: DemoApp) => demo.app.get(CheckpointerModule).metrics().turns;

  /** Holds a turn of Alice's on `threadId` (through the fixture's replica) until `release()`. */
  async function holdTurn(threadId: string) {
    const running = gate();
    const release = gate();
    const done = fixture.demo.app.get(ThreadTurns).run(ALICE, threadId, async () => {
      running.open();
      await release.opened;
    });
    await running.opened;
    return {
      release: async () => {
        release.open();
        await done;
      },
    };
  }

  const post = (demo: DemoApp, threadId: string, prompt: string) =>
    actingAs(demo, ALICE).post(`/threads/${threadId}/runs`, { prompt });

  const busy = (threadId: string) => ({
    statusCode: 409,
    error: 'Conflict',
    message: `thread "${threadId}" is busy with another turn`,
  });

  it('TURN_WAIT_MS=0: 409 with Retry-After at once, nothing recorded; the next turn runs', async () => {
    const impatient = await replica({ TURN_WAIT_MS: '0' });
    const threadId = await createThread(fixture.demo, ALICE);
    const held = await holdTurn(threadId);
    const before = { rows: await snapshotDemoTables(fixture.database), turns: turnsOf(impatient) };

    const refused = await post(impatient, threadId, 'too early');
    expect({
      status: refused.status,
      retryAfter: refused.headers['retry-after'],
      body: refused.body as unknown,
    }).toEqual({
      status: 409,
      retryAfter: expect.stringMatching(/^[1-9]\d*$/),
      body: busy(threadId),
    });
    expect(turnsOf(impatient)).toEqual({
      ...before.turns,
      busyRefusals: before.turns.busyRefusals + 1,
    });
    expect(await snapshotDemoTables(fixture.database)).toEqual(before.rows);

    await held.release();
    const turn = expectStatus(await post(impatient, threadId, 'now'), 201);
    expect(turn.body.reply).toBe('You said "now". This is message 2 of this conversation.');
  });

  it('a prompt the library refuses is a 400 at once on a busy thread: it never waits for the turn', async () => {
    // 30 s of waiting allowed: a request that entered the wait would not answer before the release.
    const patient = await replica({ TURN_WAIT_MS: '30000' });
    const threadId = await createThread(fixture.demo, ALICE);
    const held = await holdTurn(threadId);
    const before = { rows: await snapshotDemoTables(fixture.database), turns: turnsOf(patient) };

    const tooLong = 'x'.repeat(100_001);
    const refused = [
      await post(patient, threadId, 'nul \u0000 inside'),
      await post(patient, threadId, tooLong),
      await actingAs(patient, ALICE).post(`/threads/${threadId}/runs/stream`, { prompt: tooLong }),
    ];
    const invalid = (message: string) => ({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', field: 'prompt', message: [message] },
    });
    expect(refused.map((r) => ({ status: r.status, body: r.body as unknown }))).toEqual([
      invalid('prompt must not contain NUL'),
      invalid('prompt must be at most 100000 characters'),
      invalid('prompt must be at most 100000 characters'),
    ]);
    // Nothing entered the thread's lock (no wait, no refusal as busy), nothing was recorded.
    expect(turnsOf(patient)).toEqual(before.turns);
    expect(await snapshotDemoTables(fixture.database)).toEqual(before.rows);
    await held.release();
  });

  it('a turn waits for the running one, up to TURN_WAIT_MS, then is refused, recording nothing', async () => {
    const brief = await replica({ TURN_WAIT_MS: '300' });
    const threadId = await createThread(fixture.demo, ALICE);
    const held = await holdTurn(threadId);
    const before = { rows: await snapshotDemoTables(fixture.database), turns: turnsOf(brief) };

    const waiting = inFlight(post(brief, threadId, 'patient, up to a point'));
    await eventually('the turn waits', 10_000, () => turnsOf(brief).waiting === 1);
    const refused = await waiting;
    expect({ status: refused.status, body: refused.body as unknown }).toEqual({
      status: 409,
      body: busy(threadId),
    });
    expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(turnsOf(brief)).toEqual({
      ...before.turns,
      waiting: 0,
      busyRefusals: before.turns.busyRefusals + 1,
    });
    expect(await snapshotDemoTables(fixture.database)).toEqual(before.rows);
    await held.release();
  });

  it('within the wait (30 s by default), the turn runs as soon as the running one ends', async () => {
    const threadId = await createThread(fixture.demo, ALICE);
    const held = await holdTurn(threadId);
    const before = turnsOf(fixture.demo);
    const waiting = inFlight(post(fixture.demo, threadId, 'after you'));
    await eventually('the turn waits', 10_000, () => turnsOf(fixture.demo).waiting === 1);
    await held.release();
    const turn = expectStatus(await waiting, 201);
    expect(turn.body.reply).toBe('You said "after you". This is message 2 of this conversation.');
    expect(turnsOf(fixture.demo)).toEqual({ ...before, waiting: 0, held: 0 });
  });

  it('a graph stopped by a lost lease: 410 when its thread was deleted, 409 when another turn took it over', async () => {
    // A graph whose node waits (as on a model) until the turn's signal is aborted.
    const inNode = { count: 0 };
    const slowGraph = (saver: BaseCheckpointSaver): ChatGraph =>
      new StateGraph(ChatState)
        .addNode('assistant', async (_state, config) => {
          inNode.count += 1;
          await new Promise((_resolve, reject) => {
            config.signal?.addEventListener('abort', () => reject(new Error('aborted')), {
              once: true,
            });
          });
          return { messages: [] };
        })
        .addEdge(START, 'assistant')
        .addEdge('assistant', END)
        .compile({ checkpointer: saver });
    const slow = await replica({}, slowGraph);
    const deletedThread = await createThread(slow, ALICE);
    const takenThread = await createThread(slow, ALICE);
    const before = turnsOf(slow);

    const deleted = inFlight(post(slow, deletedThread, 'and then it was gone'));
    const taken = inFlight(post(slow, takenThread, 'and then someone else'));
    await eventually('both graphs wait in their node', 10_000, () => inNode.count === 2);
    // One thread deleted (the deletion never waits for the turn); the other's lease handed to
    // another holder, as when a replica stalls past threads.turnLeaseMs and another turn takes it.
    expectStatus(await actingAs(slow, ALICE).delete(`/threads/${deletedThread}`), 200);
    await fixture.database.query(
      `UPDATE ${DEMO_SCHEMA}.users_thread_turns SET holder = gen_random_uuid() WHERE thread_id = $1`,
      [takenThread],
    );
    // Each turn finds its lease gone at its next renewal (every third of the 15 s lease).
    const [gone, interrupted] = await Promise.all([deleted, taken]);

    expect({ status: gone.status, body: gone.body as unknown }).toEqual({
      status: 410,
      body: { statusCode: 410, error: 'Gone', message: `thread "${deletedThread}" was deleted` },
    });
    expect(await threadRows(fixture.database, deletedThread)).toEqual(NO_ROWS);

    expect({
      status: interrupted.status,
      retryAfter: interrupted.headers['retry-after'],
      body: interrupted.body as unknown,
    }).toEqual({
      status: 409,
      retryAfter: '1',
      body: {
        statusCode: 409,
        error: 'Conflict',
        message: `the turn on thread "${takenThread}" lost its lease to another turn`,
      },
    });
    // Its run stays recorded (re-sending it with its runId runs it again); no answer was written.
    const detail = expectStatus(await actingAs(slow, ALICE).get(`/threads/${takenThread}`), 200)
      .body as ThreadDetailBody;
    expect(detail.run_count).toBe(1);
    expect(detail.messages.filter((m) => m.role === 'assistant')).toEqual([]);
    expect(turnsOf(slow)).toEqual({ ...before, leasesLost: before.leasesLost + 2 });
  });
});
