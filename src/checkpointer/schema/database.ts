import type { ColumnType } from 'kysely';

/**
 * Kysely table types of everything in the configured schema. The `checkpoint*` tables belong to
 * upstream `PostgresSaver` (created by its `setup()`); they are typed here so our own statements
 * (thread deletion, listing) can touch them type-safely. Never write to them except through the
 * saver or a whole-thread delete.
 */
export interface CheckpointerDatabase {
  checkpoints: CheckpointsTable;
  checkpoint_blobs: CheckpointBlobsTable;
  checkpoint_writes: CheckpointWritesTable;
  checkpoint_migrations: CheckpointMigrationsTable;
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
