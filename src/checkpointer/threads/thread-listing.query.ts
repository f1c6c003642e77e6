import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { CheckpointerDatabase } from '../schema/database';
import type { ThreadCursor } from './thread-cursor';
import {
  THREAD_SUMMARY_COLUMNS,
  type ThreadSummaryRow,
  timestamptz,
  utcMicros,
} from './thread-rows';

/** A listed thread with its position in the pass. */
export interface ListedThreadRow extends ThreadSummaryRow {
  /** Activity time as of the pass's start, exact (see `utcMicros`): the cursor key. */
  readonly activity_key: string;
}

type Db = Kysely<CheckpointerDatabase>;

/**
 * The first page of a pass, and the moment the pass is "as of": the later of the database clock
 * and the newest activity visible, so that any activity time after it means a run recorded since.
 */
export async function readFirstPage(
  db: Db,
  userEmail: string,
  limit: number,
): Promise<{ rows: readonly ListedThreadRow[]; asOf: string }> {
  const rows = await selectFirstPage(db, userEmail, limit).execute();
  const top = rows[0];
  if (top === undefined) return { rows, asOf: '' }; // nothing listed: no next page to start
  // Fixed-width ISO-8601 UTC text sorts chronologically.
  return { rows, asOf: top.now > top.activity_key ? top.now : top.activity_key };
}

/** The first `limit` threads by newest activity, with the database's clock. One index range scan. */
export function selectFirstPage(db: Db, userEmail: string, limit: number) {
  return db
    .selectFrom('users_threads')
    .select(THREAD_SUMMARY_COLUMNS)
    .select((eb) => [
      utcMicros(eb.ref('last_run_at')).as('activity_key'),
      utcMicros(sql`now()`).as('now'),
    ])
    .where('owner_email', '=', userEmail)
    .orderBy('last_run_at', 'desc')
    .orderBy('thread_id', 'desc')
    .limit(limit);
}

/**
 * The next `limit` threads after `cursor`, in the order the pass began with, so that a pass shows
 * every thread once while runs keep arriving. Threads with no run since the pass began sit where
 * they were; threads with one have jumped to the top, above every cursor, and must be put back.
 *
 * Usually no thread has moved: one keyset statement, shaped like the first page's and as cheap
 * 50 pages deep, answers and says so. Otherwise a second statement merges the moved threads in.
 */
export async function readNextPage(
  db: Db,
  userEmail: string,
  cursor: ThreadCursor,
  limit: number,
): Promise<readonly ListedThreadRow[]> {
  const rows = await selectUnchangedPage(db, userEmail, cursor, limit).execute();
  // No row (the rest moved or was deleted) tells nothing about moves: merge to be sure.
  if (rows.length > 0 && !rows[0].moved_since) return rows;
  return selectMergedPage(db, userEmail, cursor, limit).execute();
}

/** Threads unchanged since the pass began, after the cursor: one index range scan. */
function unchangedAfter(db: Db, userEmail: string, cursor: ThreadCursor) {
  return db
    .selectFrom('users_threads')
    .select(THREAD_SUMMARY_COLUMNS)
    .where('owner_email', '=', userEmail)
    .where('last_run_at', '<=', timestamptz(cursor.asOf))
    .where((eb) =>
      eb(
        eb.refTuple('last_run_at', 'thread_id'),
        '<',
        eb.tuple(timestamptz(cursor.activityAt), cursor.threadId),
      ),
    )
    .orderBy('last_run_at', 'desc')
    .orderBy('thread_id', 'desc');
}

/** The unchanged page, and whether any of the user's threads moved since the pass began. */
export function selectUnchangedPage(
  db: Db,
  userEmail: string,
  cursor: ThreadCursor,
  limit: number,
) {
  return unchangedAfter(db, userEmail, cursor)
    .select((eb) => [
      utcMicros(eb.ref('last_run_at')).as('activity_key'),
      eb
        .exists(
          eb
            .selectFrom('users_threads as moved')
            .select(sql.lit(1).as('one'))
            .where('moved.owner_email', '=', userEmail)
            .where('moved.last_run_at', '>', timestamptz(cursor.asOf)),
        )
        .as('moved_since'),
    ])
    .limit(limit);
}

/**
 * The unchanged threads merged with the moved ones, each put back at its activity time as of the
 * pass's start (its latest run up to then, or its creation if it had none: one index probe each). Threads created since then did
 * not exist then and are left out. Costs the page plus the threads touched during the pass.
 */
function selectMergedPage(db: Db, userEmail: string, cursor: ThreadCursor, limit: number) {
  const asOf = timestamptz(cursor.asOf);
  return db
    .with('unchanged', () =>
      unchangedAfter(db, userEmail, cursor).select('last_run_at as activity_at').limit(limit),
    )
    .with('moved', (db) =>
      db
        .selectFrom('users_threads as t')
        .innerJoinLateral(
          (eb) =>
            eb
              .selectFrom('users_threads_runs as r')
              // A thread with no run by then was last active when it was created (if it was).
              .select(
                sql<Date>`coalesce(max(r.created_at), CASE WHEN t.created_at <= ${asOf} THEN t.created_at END)`.as(
                  'activity_at',
                ),
              )
              .whereRef('r.thread_id', '=', 't.thread_id')
              .where('r.created_at', '<=', asOf)
              .as('then'),
          (join) => join.onTrue(),
        )
        .select(THREAD_SUMMARY_COLUMNS.map((column) => `t.${column}` as const))
        .select('then.activity_at')
        .where('t.owner_email', '=', userEmail)
        .where('t.last_run_at', '>', asOf)
        // NULL activity (created during the pass) compares as unknown: left out.
        .where((eb) =>
          eb(
            eb.refTuple('then.activity_at', 't.thread_id'),
            '<',
            eb.tuple(timestamptz(cursor.activityAt), cursor.threadId),
          ),
        ),
    )
    .selectFrom((eb) =>
      eb.selectFrom('unchanged').selectAll().unionAll(eb.selectFrom('moved').selectAll()).as('k'),
    )
    .select(THREAD_SUMMARY_COLUMNS.map((column) => `k.${column}` as const))
    .select((eb) => utcMicros(eb.ref('k.activity_at')).as('activity_key'))
    .orderBy('k.activity_at', 'desc')
    .orderBy('k.thread_id', 'desc')
    .limit(limit);
}

/**
 * One OFFSET page and the user's thread count, read in one statement (one snapshot, so `total`
 * and the page agree). The count comes from the per-user counter, not from counting rows.
 */
export function selectOffsetPage(db: Db, userEmail: string, offset: number, limit: number) {
  return db
    .selectFrom(db.selectNoFrom((eb) => threadCount(eb, userEmail).as('total')).as('c'))
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('users_threads')
          .select(THREAD_SUMMARY_COLUMNS)
          .where('owner_email', '=', userEmail)
          .orderBy('last_run_at', 'desc')
          .orderBy('thread_id', 'desc')
          .offset(offset)
          .limit(limit)
          .as('p'),
      (join) => join.onTrue(),
    )
    .select('c.total')
    .select(THREAD_SUMMARY_COLUMNS.map((column) => `p.${column}` as const));
}

/** `{ total }`: the user's number of threads, from the counter (one index lookup). */
export function selectThreadCount(db: Db, userEmail: string) {
  return db.selectNoFrom((eb) => threadCount(eb, userEmail).as('total'));
}

/** The user's number of threads (0 for a user never seen), from the counter. */
export function threadCount(eb: ExpressionBuilder<CheckpointerDatabase, never>, userEmail: string) {
  return eb.fn.coalesce(
    eb
      .selectFrom('users_thread_counts')
      .select('thread_count')
      .where('owner_email', '=', userEmail),
    eb.lit(0),
  );
}
