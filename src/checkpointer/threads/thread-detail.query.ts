import type { Kysely } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { CheckpointerDatabase } from '../schema/database';
import { THREAD_SUMMARY_COLUMNS } from './thread-rows';

/** The user's thread with its runs, oldest first, as one JSON array: one statement, no row if not theirs. */
export function selectThreadDetail(
  db: Kysely<CheckpointerDatabase>,
  userEmail: string,
  threadId: string,
) {
  return db
    .selectFrom('users_threads as t')
    .select(THREAD_SUMMARY_COLUMNS.map((column) => `t.${column}` as const))
    .select((eb) =>
      jsonArrayFrom(
        eb
          .selectFrom('users_threads_runs as r')
          .select(['r.run_id', 'r.prompt', 'r.created_at', 'r.sentiment'])
          .whereRef('r.thread_id', '=', 't.thread_id')
          .orderBy('r.created_at')
          .orderBy('r.run_id'),
      ).as('runs'),
    )
    .where('t.thread_id', '=', threadId)
    .where('t.owner_email', '=', userEmail);
}
