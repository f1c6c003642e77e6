import { type Kysely, type Migration, sql } from 'kysely';
import { quoteIdentifier } from '../common/sql-identifier';
import { THREAD_WRITE_LOCK } from './thread-lifecycle.migration';
import { retentionFunctions } from './retention.functions';

/**
 * Migration 0003: retention (pruning, TTL sweeps) and thread copies, and the check that keeps a
 * write from building on pruned state.
 *
 * - `checkpointer_leases`: named leases across processes; `retention.sweep` makes one replica
 *   sweep at a time, and at most once per `retention.intervalMs` (see `RetentionSweeper`).
 * - `users_threads_last_run`: inactive threads are found without scanning the active ones.
 * - the functions of `retention.functions.ts`. Each one that deletes or guards a write takes the
 *   thread's advisory lock first (`THREAD_WRITE_LOCK`: EXCLUSIVE to delete, SHARED to write), then
 *   decides in a later statement, on a fresh snapshot that includes every write committed while it
 *   waited, exactly as `checkpointer_delete_thread` of migration 0002 does.
 */
export function retentionMigration(schema: string): Migration {
  const s = quoteIdentifier(schema);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('checkpointer_leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'uuid')
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('next_due_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('users_threads_last_run')
        .on('users_threads')
        .columns(['last_run_at', 'thread_id'])
        .execute();
      for (const statement of retentionFunctions(s, THREAD_WRITE_LOCK)) {
        await sql.raw(statement.create).execute(db);
      }
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const statement of retentionFunctions(s, THREAD_WRITE_LOCK).reverse()) {
        await sql.raw(`DROP FUNCTION ${statement.signature}`).execute(db);
      }
      await db.schema.dropIndex('users_threads_last_run').execute();
      await db.schema.dropTable('checkpointer_leases').execute();
    },
  };
}
