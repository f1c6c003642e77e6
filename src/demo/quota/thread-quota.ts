import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThreadDeletedError, ThreadNotFoundError, ThreadService } from '../../checkpointer';
import type { DemoEnvironment } from '../config/demo.environment';
import { CHAT_GRAPH, type ChatGraph, type ChatMessage } from '../graph/chat-graph';
import { ThreadQuotaExceededError } from './thread-quota.error';

/** The turn about to be taken, as far as the limits are concerned. */
export interface TurnToAdmit {
  readonly userEmail: string;
  readonly threadId: string;
  readonly prompt: string;
  readonly runId?: string;
}

/**
 * The demo's limits per thread (`THREAD_MAX_TURNS`, `THREAD_MAX_STATE_BYTES`), so that one user
 * cannot grow the database without bound through one conversation. `admit` runs inside the
 * thread's turn, before anything is recorded: turns of one thread are serialized across
 * replicas, so the counts it reads cannot change under it, and two turns racing for the last
 * place cannot both get it.
 *
 * A re-sent run (a `runId` the thread already has) is not a new turn: it is always admitted.
 */
@Injectable()
export class ThreadQuota {
  private readonly maxTurns: number;
  private readonly maxStateBytes: number;

  constructor(
    private readonly threads: ThreadService,
    @Inject(CHAT_GRAPH) private readonly graph: ChatGraph,
    config: ConfigService<DemoEnvironment, true>,
  ) {
    this.maxTurns = config.get('THREAD_MAX_TURNS', { infer: true });
    this.maxStateBytes = config.get('THREAD_MAX_STATE_BYTES', { infer: true });
  }

  /**
   * @throws ThreadQuotaExceededError the turn would take the thread past a limit.
   * @throws ThreadDeletedError the thread was deleted since the turn was admitted.
   */
  async admit(turn: TurnToAdmit): Promise<void> {
    const [thread, { values }] = await Promise.all([
      this.threads.getThread(turn.userEmail, turn.threadId).catch((error: unknown) => {
        // The turn was admitted as the owner's: since then, only a deletion takes it away.
        throw error instanceof ThreadNotFoundError ? new ThreadDeletedError(turn.threadId) : error;
      }),
      this.graph.getState({ configurable: { thread_id: turn.threadId } }),
    ]);
    if (turn.runId !== undefined && thread.runs.some((run) => run.runId === turn.runId)) return;
    if (thread.runCount >= this.maxTurns) {
      throw new ThreadQuotaExceededError(
        turn.threadId,
        'THREAD_MAX_TURNS',
        this.maxTurns,
        `has reached its limit of ${this.maxTurns} turns`,
      );
    }
    const prompt: ChatMessage = { role: 'user', content: turn.prompt, runId: turn.runId };
    // The state as JSON, with the prompt appended: what the next checkpoint holds at least.
    const bytes = jsonBytes(values ?? {}) + jsonBytes(prompt) + 1;
    if (bytes > this.maxStateBytes) {
      throw new ThreadQuotaExceededError(
        turn.threadId,
        'THREAD_MAX_STATE_BYTES',
        this.maxStateBytes,
        `would hold ${bytes} bytes of conversation with this prompt, over its limit of ${this.maxStateBytes}`,
      );
    }
  }
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
