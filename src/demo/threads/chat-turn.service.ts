import { Inject, Injectable } from '@nestjs/common';
import { ThreadService, type ThreadTurn, ThreadTurns } from '../../checkpointer';
import { CHAT_GRAPH, type ChatGraph, type ChatMessage } from '../graph/chat-graph';

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

type ThreadConfig = { configurable: { thread_id: string } };

/**
 * Takes a turn: inside the thread's turn (`ThreadTurns.run`: ownership and deletion checked
 * first, so another user's requests never wait; then the thread's lease, held across every
 * replica), records the run and runs the graph on the thread.
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
    @Inject(CHAT_GRAPH) private readonly graph: ChatGraph,
  ) {}

  /**
   * @throws ThreadNotFoundError not this user's thread, or none (nothing waited, nothing ran).
   * @throws ThreadDeletedError the user deleted the thread, before or during the turn.
   * @throws ThreadBusyError another turn held the thread for longer than this one may wait.
   * @throws TurnLeaseLostError the turn lost its lease to another turn while its graph ran.
   */
  take(request: ChatTurnRequest): Promise<ChatTurn> {
    return this.turns.run(request.userEmail, request.threadId, (turn) =>
      this.takeIn(turn, request),
    );
  }

  private async takeIn(turn: ThreadTurn, request: ChatTurnRequest): Promise<ChatTurn> {
    const run = await this.threads.recordRun(request);
    const config = { configurable: { thread_id: run.threadId } };
    const answered =
      request.runId === undefined ? undefined : await this.answerOf(run.runId, config);
    if (answered !== undefined) {
      return { runId: run.runId, threadId: run.threadId, reply: answered };
    }
    // Should the turn lose its lease, ThreadTurns ends it with the reason (deleted, taken over).
    const state = await this.graph.invoke(
      { messages: [{ role: 'user', content: request.prompt, runId: run.runId }] },
      { ...config, signal: turn.signal },
    );
    const reply = state.messages[state.messages.length - 1]?.content ?? '';
    return { runId: run.runId, threadId: run.threadId, reply };
  }

  /** The answer already checkpointed for `runId`, if any. */
  private async answerOf(runId: string, config: ThreadConfig): Promise<string | undefined> {
    const { values } = await this.graph.getState(config);
    const messages = (values as { messages?: ChatMessage[] }).messages ?? [];
    return messages.find((m) => m.role === 'assistant' && m.runId === runId)?.content;
  }
}
