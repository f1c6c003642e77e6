import { type Kysely, sql } from 'kysely';
import type { CheckpointerDatabase } from '../schema/database';
import type { ThreadDeletionCounts } from './thread.models';

/** What to delete, validated. */
export interface ThreadToDelete {
  readonly userEmail: string;
  readonly threadId: string;
  /** How long the deletion marker lasts (`threads.deletedRetentionDays`). */
  readonly markerDays: number;
}

/**
 * Deletes a thread for good in ONE statement: `checkpointer_delete_thread` of the schema (see
 * `schema/thread-lifecycle.migration.ts`). It deletes only if this user owns the thread, and
 * then everything of it in one go: the thread row, its runs, its checkpoints, blobs and writes in
 * every namespace, its turn lease and one from the owner's thread counter; and it leaves the
 * deletion marker. A function, because the deletion must run its DELETEs on a snapshot taken
 * after it has waited for the thread's writes in flight, which one plain statement cannot.
 * `users_threads` = 0 means nothing was deleted.
 */
export async function deleteOwnedThread(
  db: Kysely<CheckpointerDatabase>,
  schema: string,
  thread: ThreadToDelete,
): Promise<ThreadDeletionCounts> {
  const { rows } = await sql<ThreadDeletionCounts>`SELECT * FROM ${sql.id(
    schema,
    'checkpointer_delete_thread',
  )}(${thread.threadId}, ${thread.userEmail}, ${thread.markerDays}::int)`.execute(db);
  return rows[0];
}
