import type { RunnableConfig } from '@langchain/core/runnables';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';

const Conversation = Annotation.Root({
  messages: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

function last(messages: string[]): string {
  return messages[messages.length - 1] ?? '';
}

/** Three nodes per turn, so every invocation writes several checkpoints and writes. */
export function threeStepGraph(saver: BaseCheckpointSaver) {
  return new StateGraph(Conversation)
    .addNode('listen', (s) => ({ messages: [`heard: ${last(s.messages)}`] }))
    .addNode('think', (s) => ({ messages: [`thought about ${s.messages.length} message(s)`] }))
    .addNode('answer', (s) => ({ messages: [`answer #${s.messages.length + 1}`] }))
    .addEdge(START, 'listen')
    .addEdge('listen', 'think')
    .addEdge('think', 'answer')
    .addEdge('answer', END)
    .compile({ checkpointer: saver });
}

/** What `threeStepGraph` holds after `turns` turns of `say(turn)`. */
export function expectedConversation(turns: number, say: (turn: number) => string): string[] {
  const messages: string[] = [];
  for (let turn = 0; turn < turns; turn += 1) {
    messages.push(say(turn), `heard: ${say(turn)}`);
    messages.push(`thought about ${messages.length} message(s)`);
    messages.push(`answer #${messages.length + 1}`);
  }
  return messages;
}

/**
 * Wraps `saver.put` to record every checkpoint it acknowledged to its caller, and to call
 * `onCall(n)` as the n-th put starts (1-based), e.g. to inject a fault while it is in flight.
 */
export function recordAcknowledgedPuts(
  saver: BaseCheckpointSaver,
  onCall: (n: number) => void = () => undefined,
): RunnableConfig[] {
  const acknowledged: RunnableConfig[] = [];
  const put = saver.put.bind(saver);
  let calls = 0;
  jest.spyOn(saver, 'put').mockImplementation(async (...args) => {
    calls += 1;
    const pending = put(...args);
    onCall(calls);
    const config = await pending;
    acknowledged.push(config);
    return config;
  });
  return acknowledged;
}

/**
 * Runs `threads` conversations of `turns` turns concurrently (turns of one thread in order) and
 * returns, per thread, the messages of its final state.
 */
export async function runConversations(
  saver: BaseCheckpointSaver,
  { threads, turns, prefix }: { threads: number; turns: number; prefix: string },
): Promise<Map<string, string[]>> {
  const graph = threeStepGraph(saver);
  const results = new Map<string, string[]>();
  await Promise.all(
    Array.from({ length: threads }, async (_, i) => {
      const threadId = `${prefix}-${i}`;
      const config = { configurable: { thread_id: threadId } };
      let state: { messages: string[] } = { messages: [] };
      for (let turn = 0; turn < turns; turn += 1) {
        state = await graph.invoke({ messages: [say(threadId, turn)] }, config);
      }
      results.set(threadId, state.messages);
    }),
  );
  return results;
}

/** What thread `threadId` says at `turn`. */
export function say(threadId: string, turn: number): string {
  return `${threadId} turn ${turn}`;
}

/** The checkpoints among `acknowledged` that `saver` cannot read back (should be none). */
export async function unreadable(
  saver: BaseCheckpointSaver,
  acknowledged: readonly RunnableConfig[],
): Promise<RunnableConfig[]> {
  const missing: RunnableConfig[] = [];
  for (const config of acknowledged) {
    const tuple = await saver.getTuple(config);
    if (tuple?.config.configurable?.checkpoint_id !== config.configurable?.checkpoint_id) {
      missing.push(config);
    }
  }
  return missing;
}
