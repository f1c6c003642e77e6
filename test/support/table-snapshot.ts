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

/** The module's tables with rows per thread: LangGraph's checkpoint tables and ours. */
export const PER_THREAD_TABLES = [
  'checkpoints',
  'checkpoint_blobs',
  'checkpoint_writes',
  'users_threads',
  'users_threads_runs',
  'users_thread_turns',
] as const;

/** LangGraph's checkpoint tables alone (a saver used without our thread tables). */
export const CHECKPOINT_TABLES = ['checkpoints', 'checkpoint_blobs', 'checkpoint_writes'] as const;

/** What `threadRowCounts` finds of a thread deleted for good: no row in any per-thread table. */
export const NO_THREAD_ROWS: Readonly<Record<(typeof PER_THREAD_TABLES)[number], number>> = {
  checkpoints: 0,
  checkpoint_blobs: 0,
  checkpoint_writes: 0,
  users_threads: 0,
  users_threads_runs: 0,
  users_thread_turns: 0,
};

/** Rows of `threadId` in each of `tables` (default: every per-thread table) of `schema`, in one statement. */
export async function threadRowCounts<T extends string = (typeof PER_THREAD_TABLES)[number]>(
  database: TestDatabase,
  schema: string,
  threadId: string,
  tables: readonly T[] = PER_THREAD_TABLES as unknown as readonly T[],
): Promise<Record<T, number>> {
  const counts = tables.map(
    (table) => `(SELECT count(*)::int FROM "${schema}".${table} WHERE thread_id = $1) AS ${table}`,
  );
  const { rows } = await database.query<Record<T, number>>(`SELECT ${counts.join(', ')}`, [
    threadId,
  ]);
  return rows[0];
}
