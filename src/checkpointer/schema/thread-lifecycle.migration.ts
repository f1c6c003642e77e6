import { type Kysely, type Migration, sql } from 'kysely';
import { dollarQuote, quoteIdentifier } from '../common/sql-identifier';

/**
 * Advisory-lock namespace of one thread's writes and its deletion: the first key of the
 * two-key `pg_advisory_xact_lock(int4, int4)`, the second being `hashtext(thread_id)`. A hash
 * collision only makes a write wait for an unrelated deletion; it never lets one through.
 */
export const THREAD_WRITE_LOCK = 'checkpointer.thread-writes';

/**
 * Migration 0002: what makes a deletion final, and one turn per thread across processes.
 *
 * - `users_threads_deleted`: a marker per deleted thread, kept until `expires_at`
 *   (`threads.deletedRetentionDays`); while it lasts, nothing can be written on that id.
 * - `users_thread_turns`: the lease of the turn running on a thread, if any (`ThreadTurns`).
 * - `users_threads.auto_title`: the title was not given, so the first run names the thread.
 * - `checkpointer_thread_writable(thread_id)`: called inside every write of a thread (the saver's
 *   `putWrites`, `recordRun`, the turn lease). It takes a SHARED transaction-scoped advisory lock
 *   on the thread, then looks for the marker. It is a VOLATILE function on purpose: its second
 *   query runs on a fresh snapshot, taken after the lock was granted, so a deletion that committed
 *   while the write waited is seen (the calling statement's own snapshot predates the wait).
 *   PL/pgSQL, so its query is planned once per connection (a SQL function re-plans at each call:
 *   measured 0.10 ms against 0.04 ms per call).
 * - `checkpointer_delete_thread(thread_id, owner_email, marker_days)`: the owner's deletion in one
 *   call. Its EXCLUSIVE lock waits for the writes in flight (each holds the shared lock until it
 *   commits) and holds new ones off until the deletion commits; its DELETEs run on a fresh
 *   snapshot after the lock, so they see every write that committed before. Writes that come
 *   later find the marker and store nothing.
 *
 * Transaction-scoped locks end with the statement's transaction, so all of it works behind a
 * transaction pooler (PgBouncer `pool_mode = transaction`). Both functions pin `search_path`
 * and qualify every name with the schema, so no caller's `search_path` can redirect them; their
 * bodies are dollar-quoted with a tag the schema name cannot end early (`dollarQuote`).
 */
export function threadLifecycleMigration(schema: string): Migration {
  const s = quoteIdentifier(schema);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('users_threads_deleted')
        .addColumn('thread_id', 'text', (c) => c.primaryKey())
        .addColumn('owner_email', 'text', (c) => c.notNull())
        .addColumn('deleted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .execute();
      // Expired markers are found (and purged) without scanning the live ones.
      await db.schema
        .createIndex('users_threads_deleted_expires')
        .on('users_threads_deleted')
        .column('expires_at')
        .execute();

      await db.schema
        .createTable('users_thread_turns')
        .addColumn('thread_id', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'uuid', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .execute();

      await db.schema
        .alterTable('users_threads')
        .addColumn('auto_title', 'boolean', (c) => c.notNull().defaultTo(false))
        .execute();

      await sql
        .raw(
          `CREATE FUNCTION ${s}.checkpointer_thread_writable(p_thread_id text) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS ${dollarQuote(`
BEGIN
  -- PL/pgSQL, not SQL: its statements are planned once per connection, not at every write.
  PERFORM pg_advisory_xact_lock_shared(hashtext('${THREAD_WRITE_LOCK}'), hashtext(p_thread_id));
  RETURN NOT EXISTS (
    SELECT FROM ${s}.users_threads_deleted d
    WHERE d.thread_id = p_thread_id AND d.expires_at > now()
  );
END
`)}`,
        )
        .execute(db);

      await sql
        .raw(
          `CREATE FUNCTION ${s}.checkpointer_delete_thread(
  p_thread_id text, p_owner_email text, p_marker_days integer
) RETURNS TABLE (
  users_threads integer, users_threads_runs integer, checkpoints integer,
  checkpoint_blobs integer, checkpoint_writes integer
)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS ${dollarQuote(`
  SELECT pg_advisory_xact_lock(hashtext('${THREAD_WRITE_LOCK}'), hashtext(p_thread_id));
  WITH deleted_thread AS (
    DELETE FROM ${s}.users_threads
    WHERE thread_id = p_thread_id AND owner_email = p_owner_email
    RETURNING thread_id
  ), marker AS (
    INSERT INTO ${s}.users_threads_deleted (thread_id, owner_email, expires_at)
    SELECT thread_id, p_owner_email, now() + make_interval(days => p_marker_days)
    FROM deleted_thread
    ON CONFLICT (thread_id) DO UPDATE
      SET owner_email = EXCLUDED.owner_email, deleted_at = EXCLUDED.deleted_at,
          expires_at = EXCLUDED.expires_at
  ), purged_markers AS (
    -- Markers past their time, a bounded few per deletion.
    DELETE FROM ${s}.users_threads_deleted
    WHERE thread_id IN (
      SELECT d.thread_id FROM ${s}.users_threads_deleted d
      WHERE d.expires_at <= now() AND d.thread_id <> p_thread_id
      ORDER BY d.expires_at LIMIT 100
    )
  ), deleted_runs AS (
    DELETE FROM ${s}.users_threads_runs
    WHERE thread_id = p_thread_id AND EXISTS (SELECT FROM deleted_thread)
    RETURNING 1
  ), deleted_checkpoints AS (
    DELETE FROM ${s}.checkpoints
    WHERE thread_id = p_thread_id AND EXISTS (SELECT FROM deleted_thread)
    RETURNING 1
  ), deleted_blobs AS (
    DELETE FROM ${s}.checkpoint_blobs
    WHERE thread_id = p_thread_id AND EXISTS (SELECT FROM deleted_thread)
    RETURNING 1
  ), deleted_writes AS (
    DELETE FROM ${s}.checkpoint_writes
    WHERE thread_id = p_thread_id AND EXISTS (SELECT FROM deleted_thread)
    RETURNING 1
  ), ended_turn AS (
    DELETE FROM ${s}.users_thread_turns
    WHERE thread_id = p_thread_id AND EXISTS (SELECT FROM deleted_thread)
  ), decremented AS (
    UPDATE ${s}.users_thread_counts SET thread_count = thread_count - 1
    WHERE owner_email = p_owner_email AND EXISTS (SELECT FROM deleted_thread)
  )
  SELECT
    (SELECT count(*)::int FROM deleted_thread),
    (SELECT count(*)::int FROM deleted_runs),
    (SELECT count(*)::int FROM deleted_checkpoints),
    (SELECT count(*)::int FROM deleted_blobs),
    (SELECT count(*)::int FROM deleted_writes);
`)}`,
        )
        .execute(db);
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await sql
        .raw(`DROP FUNCTION ${s}.checkpointer_delete_thread(text, text, integer)`)
        .execute(db);
      await sql.raw(`DROP FUNCTION ${s}.checkpointer_thread_writable(text)`).execute(db);
      await db.schema.alterTable('users_threads').dropColumn('auto_title').execute();
      await db.schema.dropTable('users_thread_turns').execute();
      await db.schema.dropTable('users_threads_deleted').execute();
    },
  };
}
