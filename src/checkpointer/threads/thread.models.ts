/** What `ThreadService` and `SentimentService` take and return. */

/** Options of `ThreadService.createThread()`. */
export interface CreateThreadOptions {
  /** 1-255 characters, whitespace collapsed. Default: none (the first run's prompt names it). */
  readonly title?: string;
}

/** Options of `ThreadService.copyThread()`. */
export interface CopyThreadOptions {
  /** The copy's title, 1-255 characters, whitespace collapsed. Default: the original's. */
  readonly title?: string;
}

/** Arguments of `ThreadService.recordRun()`. */
export interface RecordRunInput {
  /** The user, as authenticated (e.g. the JWT's `email` claim); trimmed and lowercased. */
  readonly userEmail: string;
  /** The LangGraph `thread_id`: 1-255 characters, no control characters; stored verbatim. */
  readonly threadId: string;
  /** The user's prompt; at most `threads.maxPromptLength` characters (default 100,000). */
  readonly prompt: string;
  /**
   * Id of the run (e.g. the LangSmith root run id), a UUID. Default: a random UUID. Recording the
   * same id again for the same thread, user and prompt returns the run already recorded.
   */
  readonly runId?: string;
}

/** A run, as recorded. */
export interface RecordedRun {
  readonly runId: string;
  readonly threadId: string;
  readonly createdAt: Date;
}

/** A thread, as listed. */
export interface ThreadSummary {
  readonly threadId: string;
  /** From the first prompt (see `titleFromPrompt`), or as renamed. */
  readonly title: string;
  readonly firstPrompt: string;
  readonly createdAt: Date;
  /** Time of the thread's latest run. */
  readonly lastRunAt: Date;
  readonly runCount: number;
}

/** A run of a thread, in `ThreadService.getThread()`. */
export interface ThreadRun {
  readonly runId: string;
  readonly prompt: string;
  readonly createdAt: Date;
  /** `true` up, `false` down, `null` not rated. */
  readonly sentiment: boolean | null;
}

/** A thread with its runs, oldest first. */
export interface ThreadDetail extends ThreadSummary {
  readonly runs: readonly ThreadRun[];
}

/** Options of `ThreadService.listThreads()`. */
export interface ListThreadsOptions {
  /** Page size, 1-100. Default: `20`. */
  readonly limit?: number;
  /** `nextCursor` of the previous page. Default: none (the first page). */
  readonly cursor?: string;
}

/** A page of `ThreadService.listThreads()`. */
export interface ThreadListPage {
  readonly items: readonly ThreadSummary[];
  /** Pass it back for the next page; `null` on the last page. Opaque. */
  readonly nextCursor: string | null;
}

/** Options of `ThreadService.listThreadsPage()`. */
export interface ListThreadsPageOptions {
  /** 1-based page number. Default: `1`. */
  readonly page?: number;
  /** Page size, 1-100. Default: `10`. */
  readonly limit?: number;
}

/** A page of `ThreadService.listThreadsPage()`: the original `GET /chat-threads` shape. */
export interface ThreadOffsetPage {
  readonly items: readonly ThreadSummary[];
  /** All of the user's threads. */
  readonly total: number;
  readonly page: number;
  readonly limit: number;
  /** Whether a later page has threads. */
  readonly hasMore: boolean;
}

/** Rows removed by `ThreadService.deleteThread()`, per table (the original's `deleted_counts`). */
export interface ThreadDeletionCounts {
  readonly checkpoints: number;
  readonly checkpoint_blobs: number;
  readonly checkpoint_writes: number;
  readonly users_threads: number;
  readonly users_threads_runs: number;
}

/** A run, as rated by `SentimentService.setSentiment()`. */
export interface RatedRun {
  readonly runId: string;
  readonly threadId: string;
  readonly prompt: string;
  readonly createdAt: Date;
  readonly sentiment: boolean | null;
  /** When the current rating was given; `null` when not rated. */
  readonly sentimentAt: Date | null;
}

/** Ratings counted by `SentimentService.summarize()`. */
export interface SentimentSummary {
  readonly up: number;
  readonly down: number;
  readonly unrated: number;
}
