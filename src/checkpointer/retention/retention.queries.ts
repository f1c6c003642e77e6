import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { CheckpointerDatabase } from '../schema/database';
import { timestamptz, utcMicros } from '../threads/thread-rows';
import type { CheckpointTableCounts, RetentionCounts } from './retention.models';

type Db = Kysely<CheckpointerDatabase>;

/**
 * The statements of retention. Every deletion of checkpoint rows goes through a function of
 * migration 0003 (`schema/retention.functions.ts`) that takes the thread's EXCLUSIVE lock first;
 * the scans here only choose which threads to hand to them, and the functions decide again
 * under the lock.
 */

/** `now()` minus `days`, on the database's clock (every replica compares on the same clock). */
function daysAgo(days: number): RawBuilder<Date> {
  return sql<Date>`(now() - make_interval(days => ${days}::int))`;
}

/** A cutoff as checkpoints' `ts` text (see `retention.functions.ts`), or NULL for none. */
function tsCutoff(days: number | undefined): RawBuilder<string | null> {
  return days === undefined
    ? sql<null>`NULL::text`
    : sql<string>`to_char(${daysAgo(days)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

function fn(schema: string, name: string) {
  return sql.id(schema, name);
}

/** What `checkpointer_prune_thread` returns. */
export interface PruneStep extends CheckpointTableCounts {
  /** Prunable checkpoints left for a next step. */
  readonly remaining: number;
}

/** One prune step of one thread (see `checkpointer_prune_thread`). */
export async function pruneThreadStep(
  db: Db,
  schema: string,
  threadId: string,
  policy: {
    readonly keep: number | undefined;
    readonly maxAgeDays: number | undefined;
    readonly limit: number | undefined;
    readonly dryRun: boolean;
  },
): Promise<PruneStep> {
  const before =
    policy.maxAgeDays === undefined ? sql`NULL::timestamptz` : daysAgo(policy.maxAgeDays);
  const { rows } = await sql<PruneStep>`SELECT * FROM ${fn(schema, 'checkpointer_prune_thread')}(
    ${threadId}::text, ${policy.keep ?? null}::int, ${before}, ${policy.limit ?? null}::int,
    ${policy.dryRun}::boolean)`.execute(db);
  return rows[0];
}

/** Deletes one thread inactive for `days` (see `checkpointer_expire_thread`); zeros if active. */
export async function expireThread(
  db: Db,
  schema: string,
  threadId: string,
  settings: { readonly days: number; readonly markerDays: number; readonly dryRun: boolean },
): Promise<Partial<RetentionCounts>> {
  const { rows } = await sql<Partial<RetentionCounts>>`SELECT * FROM ${fn(
    schema,
    'checkpointer_expire_thread',
  )}(${threadId}::text, ${daysAgo(settings.days)}, ${settings.markerDays}::int,
     ${settings.dryRun}::boolean)`.execute(db);
  return rows[0] ?? {};
}

/** A thread of the checkpoint tables, as a sweep batch sees it. */
export interface CheckpointThread {
  readonly thread_id: string;
  /** It has a `users_threads` row (`ThreadService`'s): expired by the other pass. */
  readonly known: boolean;
  /** Some namespace holds checkpoints a prune would delete (a hint: the prune decides). */
  readonly prunable: boolean;
  /** No checkpoint written within the inactivity limit (a hint, as `prunable`). */
  readonly inactive: boolean;
}

/**
 * The next `limit` threads of the checkpoint tables after `after` (in `thread_id` order, as the
 * primary key stores them), with what the policies would do to each. Read-only, no lock.
 */
export async function checkpointThreads(
  db: Db,
  schema: string,
  page: { readonly after: string | undefined; readonly limit: number },
  policy: {
    readonly keep: number | undefined;
    readonly maxAgeDays: number | undefined;
    readonly inactiveDays: number | undefined;
  },
): Promise<CheckpointThread[]> {
  const checkpoints = sql.id(schema, 'checkpoints');
  const overCount =
    policy.keep === undefined
      ? sql<boolean>`false`
      : sql<boolean>`EXISTS (SELECT FROM ${checkpoints} c WHERE c.thread_id = b.thread_id
          GROUP BY c.checkpoint_ns HAVING count(*) > ${policy.keep}::int)`;
  const tooOld =
    policy.maxAgeDays === undefined
      ? sql<boolean>`false`
      : sql<boolean>`EXISTS (SELECT FROM ${checkpoints} c WHERE c.thread_id = b.thread_id
          AND (c.checkpoint ->> 'ts') COLLATE "C" < ${tsCutoff(policy.maxAgeDays)}
          AND EXISTS (SELECT FROM ${checkpoints} n WHERE n.thread_id = c.thread_id
            AND n.checkpoint_ns = c.checkpoint_ns AND n.checkpoint_id > c.checkpoint_id))`;
  const inactive =
    policy.inactiveDays === undefined
      ? sql<boolean>`false`
      : sql<boolean>`NOT EXISTS (SELECT FROM ${checkpoints} c WHERE c.thread_id = b.thread_id
          AND coalesce(c.checkpoint ->> 'ts', '~') COLLATE "C" >= ${tsCutoff(policy.inactiveDays)})`;
  const { rows } = await sql<CheckpointThread>`
    WITH b AS (
      SELECT DISTINCT thread_id FROM ${checkpoints}
      WHERE ${page.after ?? null}::text IS NULL OR thread_id > ${page.after ?? null}::text
      ORDER BY thread_id LIMIT ${page.limit}::int
    )
    SELECT b.thread_id,
      EXISTS (SELECT FROM ${sql.id(schema, 'users_threads')} t WHERE t.thread_id = b.thread_id) AS known,
      (${overCount} OR ${tooOld}) AS prunable,
      ${inactive} AS inactive
    FROM b ORDER BY b.thread_id`.execute(db);
  return rows;
}

/** Where a pass over inactive `users_threads` rows stands. */
export interface InactiveCursor {
  readonly lastRunAt: string;
  readonly threadId: string;
}

/** The next `limit` threads of `users_threads` with no run for `days`, oldest activity first. */
export function inactiveThreads(
  db: Db,
  page: { readonly after: InactiveCursor | undefined; readonly limit: number },
  days: number,
) {
  let query = db
    .selectFrom('users_threads')
    .select(['thread_id', utcMicros(sql.ref('last_run_at')).as('last_run_at')])
    .where('last_run_at', '<', daysAgo(days))
    .orderBy('last_run_at')
    .orderBy('thread_id')
    .limit(page.limit);
  const after = page.after;
  if (after !== undefined) {
    query = query.where((eb) =>
      eb(
        eb.refTuple('last_run_at', 'thread_id'),
        '>',
        eb.tuple(timestamptz(after.lastRunAt), after.threadId),
      ),
    );
  }
  return query;
}

/**
 * Deletes up to `limit` deletion markers past their time (the ids become usable again), or with
 * `dryRun` counts them all. Returns the rows.
 */
export async function purgeExpiredMarkers(
  db: Db,
  schema: string,
  limit: number,
  dryRun: boolean,
): Promise<number> {
  return purgeExpired(db, sql.id(schema, 'users_threads_deleted'), limit, dryRun);
}

/** The same for turn leases past their time (their turn died without giving them back). */
export async function purgeExpiredTurnLeases(
  db: Db,
  schema: string,
  limit: number,
  dryRun: boolean,
): Promise<number> {
  return purgeExpired(db, sql.id(schema, 'users_thread_turns'), limit, dryRun);
}

async function purgeExpired(
  db: Db,
  table: RawBuilder<unknown>,
  limit: number,
  dryRun: boolean,
): Promise<number> {
  if (dryRun) {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${table}
      WHERE expires_at <= now()`.execute(db);
    return rows[0].n;
  }
  // The WHERE is evaluated again on a row a concurrent statement renewed (READ COMMITTED): a
  // marker or lease given a new lease of life meanwhile stays.
  const { rows } = await sql<{ n: number }>`WITH doomed AS (
      DELETE FROM ${table} WHERE thread_id IN (
        SELECT thread_id FROM ${table} WHERE expires_at <= now()
        ORDER BY expires_at LIMIT ${limit}::int
      ) AND expires_at <= now()
      RETURNING 1
    ) SELECT count(*)::int AS n FROM doomed`.execute(db);
  return rows[0].n;
}
