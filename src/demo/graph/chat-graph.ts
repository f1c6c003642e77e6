import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';

/** Injection token of the compiled chat graph: override it to plug in your own agent. */
export const CHAT_GRAPH = Symbol('CHAT_GRAPH');

/** One chat message, as the demo's graph keeps them in its checkpointed state. */
export interface ChatMessage {
  readonly role: 'user' | 'assistant';
  readonly content: string;
  /** The run the message belongs to (the prompt and its answer share it); absent in older state. */
  readonly runId?: string;
}

/** The state of a conversation: its messages, appended turn by turn. */
export const ChatState = Annotation.Root({
  messages: Annotation<ChatMessage[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/**
 * What the controllers need from a graph: invoke a turn, read a thread's state. A graph of your
 * own should copy the prompt's `runId` onto its answer, so that a re-sent run is recognized, and
 * honour `signal` (a compiled LangGraph graph does, and passes it to its nodes): it is aborted
 * when the turn can no longer be trusted to be the thread's only one (`ThreadTurn.signal`).
 */
export interface ChatGraph {
  invoke(
    input: { messages: ChatMessage[] },
    config: { configurable: { thread_id: string }; signal?: AbortSignal },
  ): Promise<{ messages: ChatMessage[] }>;
  getState(config: { configurable: { thread_id: string } }): Promise<{ values: unknown }>;
}

/**
 * A deterministic assistant that needs no model and no network: it answers from the
 * conversation's own checkpointed state, so persistence across turns and restarts is visible.
 */
export function createChatGraph(saver: BaseCheckpointSaver): ChatGraph {
  return new StateGraph(ChatState)
    .addNode('assistant', (state) => {
      const said = state.messages[state.messages.length - 1];
      const number = state.messages.length + 1;
      return {
        messages: [
          {
            role: 'assistant' as const,
            content: `You said "${said?.content ?? ''}". This is message ${number} of this conversation.`,
            runId: said?.runId,
          },
        ],
      };
    })
    .addEdge(START, 'assistant')
    .addEdge('assistant', END)
    .compile({ checkpointer: saver });
}
