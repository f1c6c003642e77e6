import { Inject, Injectable } from '@nestjs/common';
import { ThreadService } from '../../checkpointer';
import { CHAT_GRAPH, type ChatGraph, type ChatMessage } from '../graph/chat-graph';
import { TurnQueue } from './turn-queue';

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

/**
 * Takes a turn: records the run (ownership enforced), then runs the graph on the thread.
 *
 * Turns of one thread run one at a time: a graph reads the thread's latest checkpoint and writes
 * the next, so two turns run at once would both build on the same checkpoint and all but one would
 * vanish from the conversation (while their runs stayed recorded). This orders the turns of one
 * process; behind several replicas, route a thread's requests to one replica.
 *
 * A re-sent run (same `runId`, which `recordRun` accepts idempotently) is answered from the
 * checkpointed state instead of running the graph a second time. A run whose earlier attempt
 * failed before its answer was checkpointed is run again.
 */
@Injectable()
export class ChatTurnService {
  private readonly queue = new TurnQueue();

  constructor(
    private readonly threads: ThreadService,
    @Inject(CHAT_GRAPH) private readonly graph: ChatGraph,
  ) {}

  take(request: ChatTurnRequest): Promise<ChatTurn> {
    return this.queue.run(request.threadId, async () => {
      const run = await this.threads.recordRun(request);
      const config = { configurable: { thread_id: run.threadId } };
      const answered =
        request.runId === undefined ? undefined : await this.answerOf(run.runId, config);
      if (answered !== undefined) {
        return { runId: run.runId, threadId: run.threadId, reply: answered };
      }
      const state = await this.graph.invoke(
        { messages: [{ role: 'user', content: request.prompt, runId: run.runId }] },
        config,
      );
      const reply = state.messages[state.messages.length - 1]?.content ?? '';
      return { runId: run.runId, threadId: run.threadId, reply };
    });
  }

  /** The answer already checkpointed for `runId`, if any. */
  private async answerOf(
    runId: string,
    config: { configurable: { thread_id: string } },
  ): Promise<string | undefined> {
    const { values } = await this.graph.getState(config);
    const messages = (values as { messages?: ChatMessage[] }).messages ?? [];
    return messages.find((m) => m.role === 'assistant' && m.runId === runId)?.content;
  }
}
