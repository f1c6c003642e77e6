import { type Kysely, type QueryCreator, sql } from 'kysely';
import type { CheckpointerDatabase } from '../schema/database';
import { threadWritable } from './thread-writable';

/** A run to record, validated. */
export interface RunToRecord {
  readonly userEmail: string;
  readonly threadId: string;
  readonly prompt: string;
  readonly runId: string;
  /** Title from the prompt: names a thread this run creates, or one created without a title. */
  readonly title: string;
}

type Db = Kysely<CheckpointerDatabase>;

/**
 * Records a run on a thread the user owns, in ONE statement; run it in a transaction (see the
 * outcomes). Nothing is written unless the thread is writable (not deleted) and the user's.
 *
 * 1. `guard`: whether the thread is writable, decided inside this statement.
 * 2. `run`: inserts the run if the thread is writable and owned, or nothing if its id is already
 *    recorded (`DO NOTHING` waits for a concurrent insert of the same id, so it never raises).
 * 3. `thread`: only if the run was inserted, bumps the thread's activity and run count; the first
 *    run also names a thread created without a title.
 *
 * Outcomes: `writable` false = deleted; `owned` false = not this user's (or missing); a `run_id` =
 * recorded; neither = the run id was already recorded (nothing changed).
 */
export function insertRunOnOwnedThread(db: Db, schema: string, run: RunToRecord) {
  const owned = (db: QueryCreator<CheckpointerDatabase>) =>
    db
      .selectFrom('users_threads as owned')
      .select(sql.lit(1).as('one'))
      .where('owned.thread_id', '=', run.threadId)
      .where('owned.owner_email', '=', run.userEmail);
  return db
    .with('guard', (db) => db.selectNoFrom(threadWritable(schema, run.threadId).as('writable')))
    .with('run', (db) =>
      db
        .insertInto('users_threads_runs')
        .columns(['run_id', 'thread_id', 'prompt'])
        .expression(
          db
            .selectFrom('guard')
            .select((eb) => [
              eb.val(run.runId).as('run_id'),
              eb.val(run.threadId).as('thread_id'),
              eb.val(run.prompt).as('prompt'),
            ])
            .where('guard.writable', '=', true)
            .where((eb) => eb.exists(owned(db))),
        )
        .onConflict((conflict) => conflict.column('run_id').doNothing())
        .returning(['run_id', 'created_at']),
    )
    .with('thread', (db) =>
      db
        .updateTable('users_threads')
        .from('run')
        .set((eb) => ({
          // Concurrent runs may commit out of timestamp order; activity never goes back.
          last_run_at: sql<Date>`greatest(${eb.ref('users_threads.last_run_at')}, ${eb.ref('run.created_at')})`,
          run_count: eb('users_threads.run_count', '+', 1),
          title: sql<string>`CASE WHEN ${eb.ref('users_threads.auto_title')} THEN ${run.title} ELSE ${eb.ref('users_threads.title')} END`,
          first_prompt: sql<string>`CASE WHEN ${eb.ref('users_threads.run_count')} = 0 THEN ${run.prompt} ELSE ${eb.ref('users_threads.first_prompt')} END`,
          auto_title: false,
        }))
        .where('users_threads.thread_id', '=', run.threadId)
        .where('users_threads.owner_email', '=', run.userEmail)
        .returning('users_threads.thread_id'),
    )
    .selectNoFrom((eb) => [
      eb.selectFrom('guard').select('guard.writable').$asScalar().as('writable'),
      eb.exists(owned(db)).as('owned'),
      eb.selectFrom('run').select('run.run_id').$asScalar().as('run_id'),
      eb.selectFrom('run').select('run.created_at').$asScalar().as('created_at'),
      eb.selectFrom('thread').select('thread.thread_id').$asScalar().as('owned_thread'),
    ]);
}

/**
 * Records a run in ONE statement, creating the thread on its first run
 * (`threads.createOnFirstRun`); run it in a transaction (see the outcomes).
 *
 * 1. `guard`: whether the thread id is writable (never deleted, or its marker expired).
 * 2. `run`: if writable, inserts the run, or nothing if its id is already recorded.
 * 3. `thread`: only if the run was inserted, creates the thread owned by this user, or, when it
 *    exists, bumps its activity and run count, but only if this user owns it. The ownership test
 *    is the `DO UPDATE ... WHERE` of the same statement: a second request creating the same new
 *    thread waits for the first and then counts as its second run, instead of failing.
 * 4. `counted`: only if the statement created the thread, adds one to the owner's counter.
 *
 * Outcomes: `writable` false = deleted (nothing written); a `run_id` with `owned_thread` =
 * recorded; a `run_id` with `owned_thread` NULL = the thread is someone else's (the caller must
 * roll back, undoing the run); no `run_id` = the run id was already recorded (nothing changed).
 * The run's foreign key is checked at the end of the statement, when the thread exists.
 */
export function insertRunCreatingThread(db: Db, schema: string, run: RunToRecord) {
  return db
    .with('guard', (db) => db.selectNoFrom(threadWritable(schema, run.threadId).as('writable')))
    .with('run', (db) =>
      db
        .insertInto('users_threads_runs')
        .columns(['run_id', 'thread_id', 'prompt'])
        .expression(
          db
            .selectFrom('guard')
            .select((eb) => [
              eb.val(run.runId).as('run_id'),
              eb.val(run.threadId).as('thread_id'),
              eb.val(run.prompt).as('prompt'),
            ])
            .where('guard.writable', '=', true),
        )
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
              last_run_at: sql<Date>`greatest(${eb.ref('users_threads.last_run_at')}, ${eb.ref('excluded.last_run_at')})`,
              run_count: eb('users_threads.run_count', '+', 1),
              title: sql<string>`CASE WHEN ${eb.ref('users_threads.auto_title')} THEN ${eb.ref('excluded.title')} ELSE ${eb.ref('users_threads.title')} END`,
              first_prompt: sql<string>`CASE WHEN ${eb.ref('users_threads.run_count')} = 0 THEN ${eb.ref('excluded.first_prompt')} ELSE ${eb.ref('users_threads.first_prompt')} END`,
              auto_title: false,
            }))
            .where((eb) => eb('users_threads.owner_email', '=', eb.ref('excluded.owner_email'))),
        )
        // xmax = 0 only on a row this statement inserted: an update (even of a thread created by
        // createThread, whose first run makes run_count 1) must not count the thread again.
        .returning((eb) => [
          'thread_id',
          sql<boolean>`${eb.ref('xmax' as never)} = 0`.as('created'),
        ]),
    )
    .with('counted', (db) =>
      db
        .insertInto('users_thread_counts')
        .columns(['owner_email', 'thread_count'])
        .expression((eb) =>
          eb
            .selectFrom('thread')
            .select((eb) => [eb.val(run.userEmail).as('owner_email'), eb.lit(1).as('thread_count')])
            .where('thread.created', '=', true),
        )
        .onConflict((conflict) =>
          conflict.column('owner_email').doUpdateSet((eb) => ({
            thread_count: eb('users_thread_counts.thread_count', '+', 1),
          })),
        ),
    )
    .selectNoFrom((eb) => [
      eb.selectFrom('guard').select('guard.writable').$asScalar().as('writable'),
      eb.selectFrom('run').select('run.run_id').$asScalar().as('run_id'),
      eb.selectFrom('run').select('run.created_at').$asScalar().as('created_at'),
      eb.selectFrom('thread').select('thread.thread_id').$asScalar().as('owned_thread'),
    ]);
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

/** Who a deleted thread belonged to, while its marker lasts; nothing if it has none. */
export function selectDeletionMarker(db: Db, threadId: string) {
  return db
    .selectFrom('users_threads_deleted')
    .select('owner_email')
    .where('thread_id', '=', threadId)
    .where('expires_at', '>', sql<Date>`now()`);
}
