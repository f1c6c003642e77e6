import { type Kysely, type Migration, sql } from 'kysely';
import { retentionMigration } from './retention.migration';
import { threadLifecycleMigration } from './thread-lifecycle.migration';

/** Name of the table that records which of our migrations ran (in the configured schema). */
export const MIGRATION_TABLE = 'checkpointer_migration';
/** Name of Kysely's migration lock table (in the configured schema). */
export const MIGRATION_LOCK_TABLE = 'checkpointer_migration_lock';

/**
 * Our own tables' migrations, in code (a library cannot rely on a migrations folder that differs
 * between `src` and `dist`). Keys sort in the order they run; never edit or rename a released
 * migration, add a new one. Every statement goes through `db`, which `SchemaService` scopes to
 * the configured schema with `withSchema()`; SQL that Kysely cannot scope (function bodies) is
 * qualified with `schema` itself.
 */
export function createMigrations(schema: string): Record<string, Migration> {
  return {
    '0001_threads': threadsMigration,
    '0002_thread_lifecycle': threadLifecycleMigration(schema),
    '0003_retention': retentionMigration(schema),
  };
}

/**
 * Threads, their runs and the per-user thread counter (`ThreadService`, `SentimentService`).
 * Constraints repeat the service's validation so that no other writer can break its invariants.
 */
const threadsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('users_threads')
      .addColumn('thread_id', 'text', (c) => c.primaryKey())
      .addColumn('owner_email', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('first_prompt', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('last_run_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('run_count', 'integer', (c) => c.notNull())
      .addCheckConstraint(
        'users_threads_thread_id_length',
        sql`char_length(thread_id) BETWEEN 1 AND 255`,
      )
      .addCheckConstraint(
        'users_threads_owner_email_length',
        sql`char_length(owner_email) BETWEEN 1 AND 320`,
      )
      .addCheckConstraint('users_threads_run_count', sql`run_count >= 0`)
      .execute();
    // The listing's keyset: one user's threads, newest activity first, thread_id breaking ties.
    // Pages read only their own rows from it, however long the history.
    await db.schema
      .createIndex('users_threads_owner_activity')
      .on('users_threads')
      .columns(['owner_email', 'last_run_at desc', 'thread_id desc'])
      .execute();

    await db.schema
      .createTable('users_threads_runs')
      .addColumn('run_id', 'uuid', (c) => c.primaryKey())
      .addColumn('thread_id', 'text', (c) =>
        c.notNull().references('users_threads.thread_id').onDelete('cascade'),
      )
      .addColumn('prompt', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('sentiment', 'boolean')
      .addColumn('sentiment_at', 'timestamptz')
      .addCheckConstraint(
        'users_threads_runs_sentiment_at',
        sql`(sentiment IS NULL) = (sentiment_at IS NULL)`,
      )
      .execute();
    // A thread's runs in order; also serves the cascade and the listing's as-of lookups.
    await db.schema
      .createIndex('users_threads_runs_thread_created')
      .on('users_threads_runs')
      .columns(['thread_id', 'created_at', 'run_id'])
      .execute();

    await db.schema
      .createTable('users_thread_counts')
      .addColumn('owner_email', 'text', (c) => c.primaryKey())
      .addColumn('thread_count', 'integer', (c) => c.notNull())
      .addCheckConstraint('users_thread_counts_non_negative', sql`thread_count >= 0`)
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('users_thread_counts').execute();
    await db.schema.dropTable('users_threads_runs').execute();
    await db.schema.dropTable('users_threads').execute();
  },
};
