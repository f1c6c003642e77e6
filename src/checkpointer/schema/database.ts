import type { ColumnType } from 'kysely';

/**
 * Kysely table types of everything in the configured schema. The `checkpoint*` tables belong to
 * upstream `PostgresSaver` (created by its `setup()`); they are typed here so our own statements
 * (thread deletion, listing) can touch them type-safely. Never write to them except through the
 * saver or a whole-thread delete. The `users_*` tables are ours (`schema/migrations.ts`), written
 * only by `ThreadService` and `SentimentService`.
 */
export interface CheckpointerDatabase {
  checkpoints: CheckpointsTable;
  checkpoint_blobs: CheckpointBlobsTable;
  checkpoint_writes: CheckpointWritesTable;
  checkpoint_migrations: CheckpointMigrationsTable;
  users_threads: UsersThreadsTable;
  users_threads_runs: UsersThreadsRunsTable;
  users_thread_counts: UsersThreadCountsTable;
  users_threads_deleted: UsersThreadsDeletedTable;
  users_thread_turns: UsersThreadTurnsTable;
  checkpointer_leases: CheckpointerLeasesTable;
}

/** One row per thread; the user who created it owns it, for good. */
export interface UsersThreadsTable {
  thread_id: string;
  /** Trimmed, lowercased email of the owner. */
  owner_email: string;
  title: string;
  first_prompt: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  /** Greatest `created_at` of the thread's runs: the listing's sort key. */
  last_run_at: ColumnType<Date, Date | string | undefined, Date | string>;
  run_count: number;
  /** The title was not given: the first run names the thread from its prompt. */
  auto_title: ColumnType<boolean, boolean | undefined, boolean>;
}

/** One row per run (the original's table name, kept); deleted with its thread. */
export interface UsersThreadsRunsTable {
  run_id: string;
  thread_id: string;
  prompt: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  /** `true` up, `false` down, `null` not rated. */
  sentiment: boolean | null;
  /** When the current rating was given; `null` exactly when `sentiment` is. */
  sentiment_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

/**
 * How many threads each user owns, kept exact by the statements that create and delete threads,
 * so counting costs one index lookup however long a user's history grows.
 */
export interface UsersThreadCountsTable {
  owner_email: string;
  thread_count: number;
}

/**
 * A deleted thread's marker: while it lasts (until `expires_at`), no checkpoint or run can be
 * written on the id (see `checkpointer_thread_writable` in `thread-lifecycle.migration.ts`).
 */
export interface UsersThreadsDeletedTable {
  thread_id: string;
  /** Who owned the thread: the owner is told it was deleted, anyone else that it does not exist. */
  owner_email: string;
  deleted_at: ColumnType<Date, Date | string | undefined, Date | string>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

/** The lease of the one turn running on a thread (`ThreadTurns`); no row: no turn runs. */
export interface UsersThreadTurnsTable {
  thread_id: string;
  /** Random id of the turn holding the lease. */
  holder: string;
  /** The lease ends here unless renewed; a crashed holder's lease simply runs out. */
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

/**
 * Named leases across processes (`retention.sweep`: one retention sweeper for the whole cluster).
 * Taken, renewed and given back by single statements, so they work behind transaction poolers.
 */
export interface CheckpointerLeasesTable {
  name: string;
  /** Who holds it (random per holder); kept after release, for the record. */
  holder: string | null;
  /** Held until here unless renewed; a crashed holder's lease simply runs out. */
  expires_at: ColumnType<Date, Date | string, Date | string>;
  /** The next scheduled run is due here (a manual run counts as one). */
  next_due_at: ColumnType<Date, Date | string, Date | string>;
}

export interface CheckpointsTable {
  thread_id: string;
  checkpoint_ns: ColumnType<string, string | undefined, string>;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  type: string | null;
  checkpoint: unknown;
  metadata: ColumnType<unknown, unknown, unknown>;
}

export interface CheckpointBlobsTable {
  thread_id: string;
  checkpoint_ns: ColumnType<string, string | undefined, string>;
  channel: string;
  version: string;
  type: string;
  blob: Uint8Array | null;
}

export interface CheckpointWritesTable {
  thread_id: string;
  checkpoint_ns: ColumnType<string, string | undefined, string>;
  checkpoint_id: string;
  task_id: string;
  idx: number;
  channel: string;
  type: string | null;
  blob: Uint8Array;
}

export interface CheckpointMigrationsTable {
  v: number;
}
