import type { Kysely } from 'kysely';
import type { CheckpointerDatabase } from '../schema/database';
import { THREAD_SUMMARY_COLUMNS } from './thread-rows';

/** A thread to create, validated, with its generated id. */
export interface ThreadToCreate {
  readonly threadId: string;
  readonly userEmail: string;
  readonly title: string;
  /** No title was given: the first run names the thread. */
  readonly autoTitle: boolean;
}

/**
 * Creates a thread with no run yet and counts it for its owner, in ONE statement. Re-running it
 * with the same id (a retry after a lost reply) returns the thread created the first time and
 * counts nothing again: the counter moves only when the insert did.
 */
export function insertNewThread(db: Kysely<CheckpointerDatabase>, thread: ThreadToCreate) {
  return db
    .with('created', (db) =>
      db
        .insertInto('users_threads')
        .values({
          thread_id: thread.threadId,
          owner_email: thread.userEmail,
          title: thread.title,
          first_prompt: '',
          run_count: 0,
          auto_title: thread.autoTitle,
        })
        .onConflict((conflict) => conflict.column('thread_id').doNothing())
        .returning(THREAD_SUMMARY_COLUMNS),
    )
    .with('counted', (db) =>
      db
        .insertInto('users_thread_counts')
        .columns(['owner_email', 'thread_count'])
        .expression((eb) =>
          eb
            .selectFrom('created')
            .select((eb) => [
              eb.val(thread.userEmail).as('owner_email'),
              eb.lit(1).as('thread_count'),
            ]),
        )
        .onConflict((conflict) =>
          conflict.column('owner_email').doUpdateSet((eb) => ({
            thread_count: eb('users_thread_counts.thread_count', '+', 1),
          })),
        ),
    )
    .selectFrom('created')
    .select(THREAD_SUMMARY_COLUMNS)
    .unionAll((db) =>
      db
        .selectFrom('users_threads')
        .select(THREAD_SUMMARY_COLUMNS)
        .where('thread_id', '=', thread.threadId)
        .where('owner_email', '=', thread.userEmail),
    );
}
