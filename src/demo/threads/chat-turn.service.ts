import { Inject, Injectable } from '@nestjs/common';
import { ThreadService, type ThreadTurn, ThreadTurns } from '../../checkpointer';
import {
  type AnswerChunk,
  CHAT_GRAPH,
  CHAT_STREAM_MODES,
  type ChatGraph,
  type ChatMessage,
} from '../graph/chat-graph';
import { ThreadQuota } from '../quota/thread-quota';

/** One turn of a conversation, as a user asked for it. */
export interface ChatTurnRequest {
  readonly userEmail: string;
  readonly threadId: string;
  readonly prompt: string;
  /** The caller's id for the run; re-sending it returns the same answer. Default: generated. */
  readonly runId?: string;
}

/** A turn, answered. */
export interface ChatTurn {
  readonly runId: string;
  readonly threadId: string;
  readonly reply: string;
}

/** Who follows a streamed turn: told once its run is recorded, then of every piece of the answer. */
export interface ChatTurnListener {
  started(run: { readonly runId: string; readonly threadId: string }): void;
  chunk(text: string): void;
}

type ThreadConfig = { configurable: { thread_id: string } };

/**
 * Takes a turn: inside the thread's turn (`ThreadTurns.run`: ownership and deletion checked
 * first, so another user's requests never wait; then the thread's lease, held across every
 * replica), checks the thread's limits (`ThreadQuota`), records the run and runs the graph on the
 * thread, at once (`take`) or streaming its answer (`stream`).
 *
 * One turn at a time per thread: a graph reads the thread's latest checkpoint and writes the
 * next, so two turns run at once would both build on the same checkpoint and all but one would
 * vanish from the conversation (while their runs stayed recorded). A turn that finds the thread
 * busy waits for it (`threads.turnWaitMs`, the demo's `TURN_WAIT_MS`), then gives up with
 * `ThreadBusyError` (409 + `Retry-After`) having recorded nothing.
 *
 * A re-sent run (same `runId`, which `recordRun` accepts idempotently) is answered from the
 * checkpointed state instead of running the graph a second time. A run whose earlier attempt
 * failed before its answer was checkpointed is run again.
 */
@Injectable()
export class ChatTurnService {
  constructor(
    private readonly threads: ThreadService,
    private readonly turns: ThreadTurns,
    private readonly quota: ThreadQuota,
    @Inject(CHAT_GRAPH) private readonly graph: ChatGraph,
  ) {}

  /**
   * @throws InvalidInputError a prompt or run id `recordRun` refuses (nothing waited, nothing ran).
   * @throws ThreadNotFoundError not this user's thread, or none (nothing waited, nothing ran).
   * @throws ThreadDeletedError the user deleted the thread, before or during the turn.
   * @throws ThreadBusyError another turn held the thread for longer than this one may wait.
   * @throws ThreadQuotaExceededError the thread is at a configured limit (nothing recorded).
   * @throws TurnLeaseLostError the turn lost its lease to another turn while its graph ran.
   */
  async take(request: ChatTurnRequest): Promise<ChatTurn> {
    // Bad input is a 400 at once, never after waiting for a busy thread.
    this.threads.assertRunInput(request);
    return this.turns.run(request.userEmail, request.threadId, (turn) =>
      this.takeIn(turn, request),
    );
  }

  /**
   * `take`, telling `listener` when the run is recorded and then each piece of the answer as the
   * graph writes it (LangGraph's custom stream); a graph that writes none gives one piece, its
   * answer. The turn runs to its end whatever the listener does with it (a client gone mid-stream
   * finds the whole answer in the thread). Errors before `started` recorded nothing.
   */
  async stream(request: ChatTurnRequest, listener: ChatTurnListener): Promise<ChatTurn> {
    this.threads.assertRunInput(request);
    return this.turns.run(request.userEmail, request.threadId, (turn) =>
      this.takeIn(turn, request, listener),
    );
  }

  private async takeIn(
    turn: ThreadTurn,
    request: ChatTurnRequest,
    listener?: ChatTurnListener,
  ): Promise<ChatTurn> {
    await this.quota.admit(request);
    const run = await this.threads.recordRun(request);
    listener?.started(run);
    const config = { configurable: { thread_id: run.threadId } };
    const answered =
      request.runId === undefined ? undefined : await this.answerOf(run.runId, config);
    if (answered !== undefined) {
      listener?.chunk(answered);
      return { runId: run.runId, threadId: run.threadId, reply: answered };
    }
    const input = {
      messages: [{ role: 'user' as const, content: request.prompt, runId: run.runId }],
    };
    // Should the turn lose its lease, ThreadTurns ends it with the reason (deleted, taken over).
    const state =
      listener === undefined
        ? await this.graph.invoke(input, { ...config, signal: turn.signal })
        : await this.streamed(input, { ...config, signal: turn.signal }, listener);
    const reply = state.messages[state.messages.length - 1]?.content ?? '';
    return { runId: run.runId, threadId: run.threadId, reply };
  }

  /** Runs the graph streaming its custom chunks to `listener`; returns its final state. */
  private async streamed(
    input: { messages: ChatMessage[] },
    config: ThreadConfig & { signal: AbortSignal },
    listener: ChatTurnListener,
  ): Promise<{ messages: ChatMessage[] }> {
    let state: { messages: ChatMessage[] } = { messages: [] };
    let pieces = 0;
    const events = await this.graph.stream(input, { ...config, streamMode: CHAT_STREAM_MODES });
    for await (const event of events) {
      if (!Array.isArray(event)) continue;
      const [mode, chunk] = event as [unknown, unknown];
      if (mode === 'custom' && isAnswerChunk(chunk)) {
        pieces += 1;
        listener.chunk(chunk.text);
      } else if (mode === 'values') {
        state = chunk as { messages: ChatMessage[] };
      }
    }
    if (pieces === 0) listener.chunk(state.messages[state.messages.length - 1]?.content ?? '');
    return state;
  }

  /** The answer already checkpointed for `runId`, if any. */
  private async answerOf(runId: string, config: ThreadConfig): Promise<string | undefined> {
    const { values } = await this.graph.getState(config);
    const messages = (values as { messages?: ChatMessage[] }).messages ?? [];
    return messages.find((m) => m.role === 'assistant' && m.runId === runId)?.content;
  }
}

function isAnswerChunk(chunk: unknown): chunk is AnswerChunk {
  return typeof (chunk as AnswerChunk | null)?.text === 'string';
}
