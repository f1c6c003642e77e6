/**
 * A conversation as a user has it: several turns, the app stopped and started again on the same
 * database, and the conversation going on where it was. Also what a chat UI does by accident:
 * sending twice at once, and re-sending a run after a lost reply.
 */
import { type DemoFixture, type ThreadDetailBody, createThread, startDemo } from './demo.fixture';

const ALICE = 'alice@example.com';

let fixture: DemoFixture;

beforeAll(async () => {
  fixture = await startDemo('demo_conversation');
});

afterAll(async () => {
  await fixture.close();
});

async function say(threadId: string, prompt: string, runId?: string) {
  const { demo } = fixture;
  const response = await demo
    .http()
    .post(`/threads/${threadId}/runs`)
    .set('Authorization', demo.bearer(ALICE))
    .send(runId === undefined ? { prompt } : { prompt, runId });
  expect({ status: response.status, body: response.body }).toEqual({
    status: 201,
    body: expect.objectContaining({ threadId }),
  });
  return response.body as { runId: string; threadId: string; reply: string };
}

async function thread(threadId: string): Promise<ThreadDetailBody> {
  const { demo } = fixture;
  const response = await demo
    .http()
    .get(`/threads/${threadId}`)
    .set('Authorization', demo.bearer(ALICE));
  expect(response.status).toBe(200);
  return response.body as ThreadDetailBody;
}

/** What the deterministic assistant answers to `prompt` as message `n` of the conversation. */
function reply(prompt: string, n: number): string {
  return `You said "${prompt}". This is message ${n} of this conversation.`;
}

it('several turns, a restart on the same database, and the history intact and continuing', async () => {
  const longTalk = await createThread(fixture.demo, ALICE);
  const before = ['Hi', 'How are you?', 'Tell me about checkpoints.'];
  const runIds: string[] = [];
  for (const [turn, prompt] of before.entries()) {
    const answer = await say(longTalk, prompt);
    expect(answer.reply).toBe(reply(prompt, 2 * (turn + 1)));
    runIds.push(answer.runId);
  }
  const beforeRestart = await thread(longTalk);

  await fixture.restart();

  // The new app reads the same history from PostgreSQL...
  expect(await thread(longTalk)).toEqual(beforeRestart);
  // ...and the conversation goes on from it.
  const after = await say(longTalk, 'Still there?');
  expect(after.reply).toBe(reply('Still there?', 8));
  runIds.push(after.runId);

  const detail = await thread(longTalk);
  expect(detail.run_count).toBe(4);
  expect(detail.runs.map((run) => run.run_id)).toEqual(runIds);
  expect(detail.messages.map((m) => [m.role, m.content])).toEqual(
    [...before, 'Still there?'].flatMap((prompt, turn) => [
      ['user', prompt],
      ['assistant', reply(prompt, 2 * (turn + 1))],
    ]),
  );
});

it('turns sent at once on one thread are all kept, each answered in its place', async () => {
  const doubleClick = await createThread(fixture.demo, ALICE);
  const prompts = ['one', 'two', 'three', 'four'];
  const answers = await Promise.all(prompts.map((prompt) => say(doubleClick, prompt)));

  // Each turn saw the ones before it: the replies number 2, 4, 6, 8 in some order.
  const numbers = answers
    .map((a) => Number(/message (\d+)/.exec(a.reply)?.[1]))
    .sort((a, b) => a - b);
  expect(numbers).toEqual([2, 4, 6, 8]);
  const detail = await thread(doubleClick);
  expect(detail.run_count).toBe(4);
  expect(detail.runs.map((run) => run.prompt).sort()).toEqual([...prompts].sort());
  // The turns in the order their runs were recorded, each prompt followed by its own answer.
  expect(detail.messages.map((m) => [m.role, m.run_id, m.content])).toEqual(
    detail.runs.flatMap((run, turn) => [
      ['user', run.run_id, run.prompt],
      ['assistant', run.run_id, reply(run.prompt, 2 * (turn + 1))],
    ]),
  );
  // Each request was answered with the reply to its own prompt.
  for (const answer of answers) {
    const turn = detail.runs.findIndex((run) => run.run_id === answer.runId);
    expect(answer.reply).toBe(reply(detail.runs[turn].prompt, 2 * (turn + 1)));
  }
});

it('re-sending a run (same runId, same prompt) answers it again without a second turn', async () => {
  const resent = await createThread(fixture.demo, ALICE);
  const runId = '5a1b2c3d-4e5f-4a6b-8c7d-0123456789ab';
  const first = await say(resent, 'Are you idempotent?', runId);
  const again = await say(resent, 'Are you idempotent?', runId);
  expect(again).toEqual(first);

  const detail = await thread(resent);
  expect(detail.run_count).toBe(1);
  expect(detail.messages.map((m) => m.content)).toEqual([
    'Are you idempotent?',
    reply('Are you idempotent?', 2),
  ]);
  // The next turn numbers on from the one turn there is.
  expect((await say(resent, 'Next')).reply).toBe(reply('Next', 4));
});
