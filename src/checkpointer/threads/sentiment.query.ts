import type { Kysely } from 'kysely';
import type { CheckpointerDatabase } from '../schema/database';

/**
 * The rated runs of the user's thread, oldest first; the outer join yields one row (with NULLs)
 * for an owned thread with no rating, none for a thread that is not the user's.
 */
export function selectSentiments(
  db: Kysely<CheckpointerDatabase>,
  userEmail: string,
  threadId: string,
) {
  return db
    .selectFrom('users_threads as t')
    .leftJoin('users_threads_runs as r', (join) =>
      join.onRef('r.thread_id', '=', 't.thread_id').on('r.sentiment', 'is not', null),
    )
    .select(['r.run_id', 'r.sentiment'])
    .where('t.thread_id', '=', threadId)
    .where('t.owner_email', '=', userEmail)
    .orderBy('r.created_at')
    .orderBy('r.run_id');
}
