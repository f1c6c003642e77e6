import { setTimeout as sleep } from 'node:timers/promises';
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

/** What a graph writes to LangGraph's custom stream (`streamMode: 'custom'`): a piece of its answer. */
export interface AnswerChunk {
  readonly text: string;
}

/** The stream modes the streaming route asks a graph for: its answer's pieces, then its state. */
export const CHAT_STREAM_MODES: ['custom', 'values'] = ['custom', 'values'];

/** A thread's config, with what a turn passes along. */
export interface ChatTurnConfig {
  readonly configurable: { thread_id: string };
  readonly signal?: AbortSignal;
}

/**
 * What the controllers need from a graph: invoke or stream a turn, read a thread's state. A graph
 * of your own should copy the prompt's `runId` onto its answer, so that a re-sent run is
 * recognized, and honour `signal` (a compiled LangGraph graph does, and passes it to its nodes):
 * it is aborted when the turn can no longer be trusted to be the thread's only one
 * (`ThreadTurn.signal`). To stream its answer in pieces it writes `{ text }` chunks with the
 * node's `config.writer` (LangGraph's custom stream); a graph that writes none is streamed as one
 * piece, its final answer.
 */
export interface ChatGraph {
  invoke(
    input: { messages: ChatMessage[] },
    config: ChatTurnConfig,
  ): Promise<{ messages: ChatMessage[] }>;
  /** `[mode, chunk]` pairs, as a compiled graph streams several modes at once. */
  stream(
    input: { messages: ChatMessage[] },
    config: ChatTurnConfig & { streamMode: typeof CHAT_STREAM_MODES },
  ): Promise<AsyncIterable<unknown>>;
  getState(config: { configurable: { thread_id: string } }): Promise<{ values: unknown }>;
}

/** Options of `createChatGraph()`. */
export interface ChatGraphOptions {
  /** Pause before each piece of the answer, as a model takes time per token. Default: `20`. */
  readonly chunkDelayMs?: number;
}

/**
 * A deterministic assistant that needs no model and no network: it answers from the
 * conversation's own checkpointed state, so persistence across turns and restarts is visible. It
 * writes its answer a few words at a time to the custom stream, with a short pause before each
 * piece, so a streaming client sees it arrive; the state it returns is the whole answer either way.
 */
export function createChatGraph(
  saver: BaseCheckpointSaver,
  { chunkDelayMs = 20 }: ChatGraphOptions = {},
): ChatGraph {
  return new StateGraph(ChatState)
    .addNode('assistant', async (state, config) => {
      const said = state.messages[state.messages.length - 1];
      const number = state.messages.length + 1;
      const content = `You said "${said?.content ?? ''}". This is message ${number} of this conversation.`;
      for (const text of piecesOf(content)) {
        await sleep(chunkDelayMs, undefined, { signal: config.signal });
        config.writer?.({ text } satisfies AnswerChunk);
      }
      return { messages: [{ role: 'assistant' as const, content, runId: said?.runId }] };
    })
    .addEdge(START, 'assistant')
    .addEdge('assistant', END)
    .compile({ checkpointer: saver });
}

/**
 * `text` in at most `maxPieces` pieces of whole words, at least four words each (whitespace kept),
 * which join back to `text`: a long prompt echoed back costs a few pauses, not one per word.
 */
export function piecesOf(text: string, maxPieces = 8): string[] {
  const words = text.match(/\s*\S+\s*/g) ?? [text];
  const perPiece = Math.max(4, Math.ceil(words.length / maxPieces));
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += perPiece) {
    pieces.push(words.slice(i, i + perPiece).join(''));
  }
  return pieces;
}
