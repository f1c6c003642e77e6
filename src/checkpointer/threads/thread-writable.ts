import { sql } from 'kysely';

/**
 * `checkpointer_thread_writable(thread_id)` of the schema (see `thread-lifecycle.migration.ts`):
 * false once the thread was deleted (while its marker lasts). Inside a statement it also makes
 * the statement wait for a deletion of the thread in progress, so nothing is written on a thread
 * being deleted.
 */
export function threadWritable(schema: string, threadId: string) {
  return sql<boolean>`${sql.id(schema, 'checkpointer_thread_writable')}(${threadId})`;
}
