/** What `RetentionService` takes and returns. */

/** Rows of the checkpoint tables, per table. */
export interface CheckpointTableCounts {
  readonly checkpoints: number;
  readonly checkpoint_blobs: number;
  readonly checkpoint_writes: number;
}

/** Rows of every table retention deletes from, per table. */
export interface RetentionCounts extends CheckpointTableCounts {
  /** Threads of `ThreadService` deleted for inactivity. */
  readonly users_threads: number;
  /** Their runs. */
  readonly users_threads_runs: number;
  /** Deletion markers past `expires_at` (the ids may be used again). */
  readonly users_threads_deleted: number;
  /** Turn leases past `expires_at` (their turns died). */
  readonly users_thread_turns: number;
}

/** Options of `RetentionService.prune()`. */
export interface PruneOptions {
  /**
   * Checkpoints to keep in every namespace of the thread, the latest first (at least 1).
   * Default: `retention.keepLatestCheckpoints`; one of the two is required.
   */
  readonly keepLatest?: number;
  /** Count what would be deleted, deleting nothing (and taking no lock). Default: `false`. */
  readonly dryRun?: boolean;
}

/** Options of `RetentionService.sweep()`. */
export interface SweepOptions {
  /**
   * Count what the configured policies would delete now, deleting nothing: no lock, no lease,
   * every table left as it was. Default: `false`.
   */
  readonly dryRun?: boolean;
}

/**
 * How a sweep ended: `'completed'`; `'skipped'`, another sweep (of this process or another
 * replica) held the sweeper lease, nothing was done; `'stopped'`, the application shut down or the
 * lease was lost midway (what was done is counted and stays done: every step is whole).
 */
export type SweepStatus = 'completed' | 'skipped' | 'stopped';

/** What one sweep did (or, dry, would do). */
export interface SweepResult {
  readonly status: SweepStatus;
  readonly dryRun: boolean;
  readonly startedAt: Date;
  readonly durationMs: number;
  /** Rows deleted per table; with `dryRun`, the rows that would be. */
  readonly rows: RetentionCounts;
  /** Threads pruned (some checkpoints deleted) and threads deleted whole for inactivity. */
  readonly threads: { readonly pruned: number; readonly expired: number };
}

/** The numbers of `RetentionService`, for `metrics()`. Counters count since boot. */
export interface RetentionStats {
  /** Whether this process sweeps on a schedule (a policy is set and `retention.intervalMs` > 0). */
  readonly scheduled: boolean;
  /** Whether a sweep of this process is running now. */
  readonly running: boolean;
  /** Sweeps of this process by status, dry runs excluded; `failed`: ended by an error. */
  readonly sweeps: {
    readonly completed: number;
    readonly skipped: number;
    readonly stopped: number;
    readonly failed: number;
  };
  /** The last sweep this process ran (dry runs excluded), or `null`. */
  readonly lastRun: SweepResult | null;
  /** Rows deleted by this process's sweeps and prunes, per table. */
  readonly deleted: RetentionCounts;
}

export const NO_ROWS: RetentionCounts = Object.freeze({
  checkpoints: 0,
  checkpoint_blobs: 0,
  checkpoint_writes: 0,
  users_threads: 0,
  users_threads_runs: 0,
  users_threads_deleted: 0,
  users_thread_turns: 0,
});

/** `a + b`, table by table. */
export function addCounts(a: RetentionCounts, b: Partial<RetentionCounts>): RetentionCounts {
  const sum: { -readonly [K in keyof RetentionCounts]: number } = { ...a };
  for (const key of Object.keys(NO_ROWS) as (keyof RetentionCounts)[]) {
    sum[key] += b[key] ?? 0;
  }
  return sum;
}
