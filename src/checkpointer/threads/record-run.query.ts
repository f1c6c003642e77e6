import { type Kysely, sql } from 'kysely';
import type { CheckpointerDatabase } from '../schema/database';

/** A run to record, validated. */
export interface RunToRecord {
  readonly userEmail: string;
  readonly threadId: string;
  readonly prompt: string;
  readonly runId: string;
  /** Title of the thread, used only if this run creates it. */
  readonly title: string;
}

type Db = Kysely<CheckpointerDatabase>;

/**
 * Records a run in ONE statement; run it in a transaction (see the outcomes below).
 *
 * 1. `run`: inserts the run, or nothing if its id is already recorded (`DO NOTHING` waits for a
 *    concurrent insert of the same id to commit or roll back, so it never raises).
 * 2. `thread`: only if the run was inserted, creates the thread owned by this user, or, when it
 *    exists, bumps its activity and run count, but only if this user owns it. The ownership test
 *    is the `DO UPDATE ... WHERE` of the same statement: a second request creating the same new
 *    thread waits for the first and then counts as its second run, instead of failing.
 * 3. `counted`: only if the thread was created (its first run), adds one to the owner's counter.
 *
 * Outcomes: a row with `owned_thread` = recorded; a row with `owned_thread` NULL = the thread is
 * someone else's (the caller must roll back, undoing the run); no row = the run id was already
 * recorded (nothing changed). The run's foreign key is checked at the end of the statement, when
 * the thread exists.
 */
export function insertRun(db: Db, run: RunToRecord) {
  return db
    .with('run', (db) =>
      db
        .insertInto('users_threads_runs')
        .values({ run_id: run.runId, thread_id: run.threadId, prompt: run.prompt })
        .onConflict((conflict) => conflict.column('run_id').doNothing())
        .returning(['run_id', 'created_at']),
    )
    .with('thread', (db) =>
      db
        .insertInto('users_threads')
        .columns([
          'thread_id',
          'owner_email',
          'title',
          'first_prompt',
          'created_at',
          'last_run_at',
          'run_count',
        ])
        .expression((eb) =>
          eb
            .selectFrom('run')
            .select((eb) => [
              eb.val(run.threadId).as('thread_id'),
              eb.val(run.userEmail).as('owner_email'),
              eb.val(run.title).as('title'),
              eb.val(run.prompt).as('first_prompt'),
              'run.created_at',
              'run.created_at as last_run_at',
              eb.lit(1).as('run_count'),
            ]),
        )
        .onConflict((conflict) =>
          conflict
            .column('thread_id')
            .doUpdateSet((eb) => ({
              // Concurrent runs may commit out of timestamp order; activity never goes back.
              last_run_at: sql<Date>`greatest(${eb.ref('users_threads.last_run_at')}, ${eb.ref('excluded.last_run_at')})`,
              run_count: eb('users_threads.run_count', '+', 1),
            }))
            .where((eb) => eb('users_threads.owner_email', '=', eb.ref('excluded.owner_email'))),
        )
        .returning(['thread_id', 'run_count']),
    )
    .with('counted', (db) =>
      db
        .insertInto('users_thread_counts')
        .columns(['owner_email', 'thread_count'])
        .expression((eb) =>
          eb
            .selectFrom('thread')
            .select((eb) => [eb.val(run.userEmail).as('owner_email'), eb.lit(1).as('thread_count')])
            .where('thread.run_count', '=', 1),
        )
        .onConflict((conflict) =>
          conflict.column('owner_email').doUpdateSet((eb) => ({
            thread_count: eb('users_thread_counts.thread_count', '+', 1),
          })),
        ),
    )
    .selectFrom('run')
    .leftJoin('thread', (join) => join.onTrue())
    .select(['run.run_id', 'run.created_at', 'thread.thread_id as owned_thread']);
}

/**
 * The run with this id if it is exactly the one being recorded again (same thread, same owner,
 * same prompt): a retry or a double submit, answered with the run already recorded.
 */
export function selectSameRun(db: Db, run: RunToRecord) {
  return db
    .selectFrom('users_threads_runs as r')
    .innerJoin('users_threads as t', 't.thread_id', 'r.thread_id')
    .select(['r.run_id', 'r.created_at'])
    .where('r.run_id', '=', run.runId)
    .where('r.thread_id', '=', run.threadId)
    .where('t.owner_email', '=', run.userEmail)
    .where('r.prompt', '=', run.prompt);
}
