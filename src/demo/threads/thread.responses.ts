import type { ThreadDetail, ThreadRun, ThreadSummary } from '../../checkpointer';
import type { ChatMessage } from '../graph/chat-graph';

/**
 * Response shapes, in the snake_case of the original HTTP API (its frontend reads
 * `thread_id`, `latest_timestamp`, `run_count`, `title`, `full_prompt`).
 */

export interface ThreadItem {
  thread_id: string;
  title: string;
  full_prompt: string;
  created_at: string;
  latest_timestamp: string;
  run_count: number;
}

export interface ThreadRunItem {
  run_id: string;
  prompt: string;
  created_at: string;
  sentiment: boolean | null;
}

export function toThreadItem(thread: ThreadSummary): ThreadItem {
  return {
    thread_id: thread.threadId,
    title: thread.title,
    full_prompt: thread.firstPrompt,
    created_at: thread.createdAt.toISOString(),
    latest_timestamp: thread.lastRunAt.toISOString(),
    run_count: thread.runCount,
  };
}

export function toThreadRunItem(run: ThreadRun): ThreadRunItem {
  return {
    run_id: run.runId,
    prompt: run.prompt,
    created_at: run.createdAt.toISOString(),
    sentiment: run.sentiment,
  };
}

/** A message of the conversation, with the run it belongs to (to rate its answer). */
export interface MessageItem {
  role: ChatMessage['role'];
  content: string;
  /** `null` for messages checkpointed before messages carried their run. */
  run_id: string | null;
}

/** A thread with its runs and the messages from its latest checkpoint. */
export function toThreadDetail(
  thread: ThreadDetail,
  messages: readonly ChatMessage[],
): ThreadItem & { messages: MessageItem[]; runs: ThreadRunItem[] } {
  return {
    ...toThreadItem(thread),
    messages: messages.map((m) => ({ role: m.role, content: m.content, run_id: m.runId ?? null })),
    runs: thread.runs.map(toThreadRunItem),
  };
}
