/**
 * Two replicas of the demo (two `AppModule`s on one database) taking turns on one thread at once:
 * the turns are ordered across processes by PostgreSQL, not by either process's memory. Every turn
 * answered 201 is in the conversation exactly once, its answer right after its prompt; a turn
 * refused as busy (409) leaves nothing behind. Needs a real server (several sessions at once).
 */
import { randomUUID } from 'node:crypto';
import { type DemoApp, bootDemoApp } from '../support/demo-app';
import { describeOnRealPostgres } from '../support/real-postgres';
import {
  type DemoFixture,
  DEMO_SCHEMA,
  type ThreadDetailBody,
  actingAs,
  createThread,
  expectStatus,
  startDemo,
} from './demo.fixture';

const ALICE = 'alice@example.com';

/** What the deterministic assistant answers to `prompt` as message `n` of the conversation. */
const reply = (prompt: string, n: number) =>
  `You said "${prompt}". This is message ${n} of this conversation.`;

describeOnRealPostgres('two replicas of the demo on one database', () => {
  let fixture: DemoFixture;
  const others: DemoApp[] = [];

  /** Another replica on the fixture's database (with `env` added to the fixture's). */
  async function replica(env: Record<string, string> = {}): Promise<DemoApp> {
    const demo = await bootDemoApp({
      DATABASE_URL: fixture.database.url,
      CHECKPOINTER_SCHEMA: DEMO_SCHEMA,
      ...env,
    });
    others.push(demo);
    return demo;
  }

  beforeAll(async () => {
    fixture = await startDemo('demo_replicas');
  });

  afterAll(async () => {
    for (const demo of others) await demo.close();
    await fixture.close();
  });

  /** 8 turns at once through each of `replicas` on `threadId`; each with its own prompt and run id. */
  async function turnsAtOnce(threadId: string, replicas: DemoApp[]) {
    const turns = replicas.flatMap((demo, r) =>
      Array.from({ length: 8 }, (_, i) => ({
        demo,
        prompt: `replica ${r}, turn ${i}`,
        runId: randomUUID(),
      })),
    );
    const answers = await Promise.all(
      turns.map(({ demo, prompt, runId }) =>
        actingAs(demo, ALICE).post(`/threads/${threadId}/runs`, { prompt, runId }),
      ),
    );
    return turns.map((turn, i) => ({ ...turn, response: answers[i] }));
  }

  /**
   * The conversation is linear: the accepted turns, once each, in the order their runs were
   * recorded, each prompt followed by its own answer, which saw every turn before it; the
   * refused turns appear nowhere.
   */
  async function expectLinear(threadId: string, turns: Awaited<ReturnType<typeof turnsAtOnce>>) {
    const accepted = turns.filter((turn) => turn.response.status === 201);
    const refused = turns.filter((turn) => turn.response.status !== 201);
    const detail = expectStatus(
      await actingAs(fixture.demo, ALICE).get(`/threads/${threadId}`),
      200,
    ).body as ThreadDetailBody;
    expect(detail.runs.map((run) => run.run_id).sort()).toEqual(
      accepted.map((turn) => turn.runId).sort(),
    );
    expect(detail.messages).toEqual(
      detail.runs.flatMap((run, k) => [
        { role: 'user', content: run.prompt, run_id: run.run_id },
        { role: 'assistant', content: reply(run.prompt, 2 * k + 2), run_id: run.run_id },
      ]),
    );
    // Each request was answered with the reply to its own prompt.
    for (const turn of accepted) {
      const k = detail.runs.findIndex((run) => run.run_id === turn.runId);
      expect(turn.response.body).toEqual({
        runId: turn.runId,
        threadId,
        reply: reply(turn.prompt, 2 * k + 2),
      });
    }
    // A refused turn stored nothing: no run (and, above, no message).
    for (const turn of refused) {
      expect({ prompt: turn.prompt, status: turn.response.status }).toEqual({
        prompt: turn.prompt,
        status: 409,
      });
      expect(turn.response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    }
    const { rows } = await fixture.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${DEMO_SCHEMA}.users_threads_runs
        WHERE run_id = ANY($1::uuid[])`,
      [refused.map((turn) => turn.runId)],
    );
    expect(rows).toEqual([{ n: 0 }]);
    return { accepted: accepted.length, refused: refused.length };
  }

  it('8 turns at once through each replica on one thread: each in the conversation once, its answer right after it', async () => {
    const second = await replica();
    const threadId = await createThread(fixture.demo, ALICE);
    const turns = await turnsAtOnce(threadId, [fixture.demo, second]);
    // Both replicas wait their turn (TURN_WAIT_MS unset: 30 s): every turn runs.
    expect(turns.map((turn) => turn.response.status)).toEqual(Array(16).fill(201));
    expect(await expectLinear(threadId, turns)).toEqual({ accepted: 16, refused: 0 });
  });

  it('turns a replica refuses as busy (TURN_WAIT_MS=0: 409) leave nothing behind; the rest stay linear', async () => {
    const impatient = await replica({ TURN_WAIT_MS: '0' });
    const threadId = await createThread(fixture.demo, ALICE);
    const turns = await turnsAtOnce(threadId, [fixture.demo, impatient]);
    const { accepted, refused } = await expectLinear(threadId, turns);
    // The patient replica's 8 all ran; of the impatient one's, those that found the thread busy
    // were refused (how many depends on timing, and each outcome is checked above).
    expect(turns.slice(0, 8).every((turn) => turn.response.status === 201)).toBe(true);
    expect(accepted + refused).toBe(16);
  });
});
