import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { CheckpointerDatabase } from '../schema/database';

type Db = Kysely<CheckpointerDatabase>;

/**
 * Deletes a thread everywhere in ONE statement of data-modifying CTEs, so it is atomic without a
 * transaction: if any part fails (a lock timeout, a trigger), nothing is deleted.
 *
 * `thread` deletes the thread row only if this user owns it; every other table is deleted from
 * only if `thread` deleted something (`EXISTS`, evaluated once), so ownership is checked in the
 * same statement that deletes the checkpoints. Checkpoint rows go in every namespace
 * (`checkpoint_ns`); the `thread_id = $1` predicate keeps each delete on its primary-key prefix.
 * The runs are deleted explicitly to be counted (the foreign key's cascade remains the backstop),
 * and the owner's thread counter goes down by one in the same statement.
 */
export function deleteOwnedThread(db: Db, userEmail: string, threadId: string) {
  // A CTE name, not a table: nothing to qualify with the schema, nothing from the caller.
  const owned = sql<boolean>`EXISTS (SELECT FROM deleted_thread)`;
  return db
    .with('deleted_thread', (db) =>
      db
        .deleteFrom('users_threads')
        .where('thread_id', '=', threadId)
        .where('owner_email', '=', userEmail)
        .returning('thread_id'),
    )
    .with('deleted_runs', (db) =>
      db
        .deleteFrom('users_threads_runs')
        .where('thread_id', '=', threadId)
        .where(owned)
        .returning(sql.lit(1).as('one')),
    )
    .with('deleted_checkpoints', (db) =>
      db
        .deleteFrom('checkpoints')
        .where('thread_id', '=', threadId)
        .where(owned)
        .returning(sql.lit(1).as('one')),
    )
    .with('deleted_blobs', (db) =>
      db
        .deleteFrom('checkpoint_blobs')
        .where('thread_id', '=', threadId)
        .where(owned)
        .returning(sql.lit(1).as('one')),
    )
    .with('deleted_writes', (db) =>
      db
        .deleteFrom('checkpoint_writes')
        .where('thread_id', '=', threadId)
        .where(owned)
        .returning(sql.lit(1).as('one')),
    )
    .with('decremented', (db) =>
      db
        .updateTable('users_thread_counts')
        .set((eb) => ({ thread_count: eb('thread_count', '-', 1) }))
        .where('owner_email', '=', userEmail)
        .where(owned),
    )
    .selectNoFrom((eb) => [
      countOf(eb, 'deleted_thread').as('users_threads'),
      countOf(eb, 'deleted_runs').as('users_threads_runs'),
      countOf(eb, 'deleted_checkpoints').as('checkpoints'),
      countOf(eb, 'deleted_blobs').as('checkpoint_blobs'),
      countOf(eb, 'deleted_writes').as('checkpoint_writes'),
    ]);
}

type DeletedRows =
  'deleted_thread' | 'deleted_runs' | 'deleted_checkpoints' | 'deleted_blobs' | 'deleted_writes';

function countOf(
  eb: ExpressionBuilder<CheckpointerDatabase & Record<DeletedRows, object>, never>,
  cte: DeletedRows,
) {
  return eb
    .selectFrom(cte)
    .select(sql<number>`count(*)::int`.as('n'))
    .$asScalar();
}
