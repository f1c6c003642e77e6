/**
 * A real LangGraph `StateGraph` compiled with the injected saver: conversations persist across a
 * full application restart, history is listed, interrupts resume, and earlier checkpoints replay.
 */
import type { INestApplicationContext } from '@nestjs/common';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { Annotation, Command, END, START, StateGraph, interrupt } from '@langchain/langgraph';
import { getCheckpointerToken } from '../src/checkpointer';
import { bootCheckpointer } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/database';

const Conversation = Annotation.Root({
  messages: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** Echoes the last message and counts the conversation's messages: state is visible in replies. */
function chatGraph(saver: BaseCheckpointSaver) {
  return new StateGraph(Conversation)
    .addNode('reply', (state) => {
      const said = state.messages[state.messages.length - 1];
      return { messages: [`You said "${said}". This is message ${state.messages.length + 1}.`] };
    })
    .addEdge(START, 'reply')
    .addEdge('reply', END)
    .compile({ checkpointer: saver });
}

/** Asks a human for approval before answering. */
function approvalGraph(saver: BaseCheckpointSaver) {
  return new StateGraph(Conversation)
    .addNode('approve', () => {
      const answer = interrupt<string, string>('approve?');
      return { messages: [`approval: ${answer}`] };
    })
    .addEdge(START, 'approve')
    .addEdge('approve', END)
    .compile({ checkpointer: saver });
}

let database: TestDatabase;
let app: INestApplicationContext | undefined;

async function boot(): Promise<BaseCheckpointSaver> {
  app = await bootCheckpointer({ connectionString: database.url, schema: 'agents' });
  return app.get<BaseCheckpointSaver>(getCheckpointerToken());
}

beforeAll(async () => {
  database = await createTestDatabase('langgraph');
});

afterEach(async () => {
  await app?.close();
  app = undefined;
});

afterAll(async () => {
  await database.drop();
});

describe('LangGraph on the injected saver', () => {
  it('keeps a multi-turn conversation across a full application close and re-create', async () => {
    const config = { configurable: { thread_id: 'conversation-1' } };
    let graph = chatGraph(await boot());
    await graph.invoke({ messages: ['hello'] }, config);
    await graph.invoke({ messages: ['how are you?'] }, config);
    await app?.close();
    app = undefined;

    graph = chatGraph(await boot());
    const result = await graph.invoke({ messages: ['still there?'] }, config);
    expect(result.messages).toEqual([
      'hello',
      'You said "hello". This is message 2.',
      'how are you?',
      'You said "how are you?". This is message 4.',
      'still there?',
      'You said "still there?". This is message 6.',
    ]);
    // The rows really are in the configured schema.
    const { rows } = await database.query<{ n: string }>(
      `SELECT count(*) AS n FROM agents.checkpoints WHERE thread_id = 'conversation-1'`,
    );
    expect(Number(rows[0].n)).toBeGreaterThanOrEqual(6);
  });

  it('lists the state history, newest first', async () => {
    const graph = chatGraph(await boot());
    const config = { configurable: { thread_id: 'history-1' } };
    await graph.invoke({ messages: ['one'] }, config);
    await graph.invoke({ messages: ['two'] }, config);

    const history = [];
    for await (const snapshot of graph.getStateHistory(config)) history.push(snapshot);
    // Each invoke writes an input, a start and a node checkpoint.
    expect(history).toHaveLength(6);
    expect(history[0].values.messages).toHaveLength(4);
    expect(history[history.length - 1].values).toEqual({ messages: [] });
    const steps = history.map((s) => s.metadata?.step);
    expect(steps).toEqual([...steps].sort((a, b) => (b ?? 0) - (a ?? 0)));
  });

  it('pauses on interrupt() and resumes with a Command, even after a restart', async () => {
    const config = { configurable: { thread_id: 'approval-1' } };
    let graph = approvalGraph(await boot());
    const paused = await graph.invoke({ messages: ['deploy?'] }, config);
    expect(paused.__interrupt__?.[0]?.value).toBe('approve?');
    expect((await graph.getState(config)).next).toEqual(['approve']);
    await app?.close();
    app = undefined;

    graph = approvalGraph(await boot());
    const resumed = await graph.invoke(new Command({ resume: 'yes' }), config);
    expect(resumed.messages).toEqual(['deploy?', 'approval: yes']);
    expect((await graph.getState(config)).next).toEqual([]);
  });

  it('replays from an earlier checkpoint, forking the conversation', async () => {
    const graph = chatGraph(await boot());
    const config = { configurable: { thread_id: 'replay-1' } };
    await graph.invoke({ messages: ['first'] }, config);
    await graph.invoke({ messages: ['second'] }, config);

    // The state right after the first turn finished.
    let afterFirst;
    for await (const snapshot of graph.getStateHistory(config)) {
      if (snapshot.values.messages?.length === 2 && snapshot.next.length === 0)
        afterFirst = snapshot;
    }
    expect(afterFirst).toBeDefined();

    const forked = await graph.invoke({ messages: ['instead'] }, afterFirst!.config);
    expect(forked.messages).toEqual([
      'first',
      'You said "first". This is message 2.',
      'instead',
      'You said "instead". This is message 4.',
    ]);
    // The fork is now the thread's latest state; the original turn is still in the history.
    expect((await graph.getState(config)).values.messages).toEqual(forked.messages);
    const all = [];
    for await (const snapshot of graph.getStateHistory(config)) all.push(snapshot);
    expect(all.some((s) => s.values.messages?.includes('second'))).toBe(true);
  });
});
