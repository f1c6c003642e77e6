import type { TestDatabase } from './database';

/** Every table the module writes: our own and the checkpointer's. */
export const MODULE_TABLES = [
  'users_threads',
  'users_threads_runs',
  'users_thread_counts',
  'users_threads_deleted',
  'users_thread_turns',
  'checkpointer_leases',
  'checkpoints',
  'checkpoint_blobs',
  'checkpoint_writes',
] as const;

/**
 * Every row of the module's tables in `schema`, to prove an operation changed nothing. One
 * statement, so one consistent snapshot, and cheap enough to take around each of many requests.
 */
export async function snapshotModuleTables(
  database: TestDatabase,
  schema: string,
): Promise<Record<string, unknown[]>> {
  const tables = MODULE_TABLES.map(
    (table) =>
      `'${table}', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]')
                     FROM "${schema}".${table} t)`,
  );
  const { rows } = await database.query<{ snapshot: Record<string, unknown[]> }>(
    `SELECT jsonb_build_object(${tables.join(', ')}) AS snapshot`,
  );
  return rows[0].snapshot;
}
