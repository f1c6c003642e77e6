import type { Migration } from 'kysely';

/** Name of the table that records which of our migrations ran (in the configured schema). */
export const MIGRATION_TABLE = 'checkpointer_migration';
/** Name of Kysely's migration lock table (in the configured schema). */
export const MIGRATION_LOCK_TABLE = 'checkpointer_migration_lock';

/**
 * Our own tables' migrations, in code (a library cannot rely on a migrations folder that differs
 * between `src` and `dist`). Keys sort in the order they run; never edit or rename a released
 * migration, add a new one. Every statement goes through `db`, which `SchemaService` scopes to
 * the configured schema with `withSchema()`.
 */
export function createMigrations(): Record<string, Migration> {
  return {};
}
