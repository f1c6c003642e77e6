import { type Kysely, sql } from 'kysely';
import type { CheckpointerDatabase } from '../schema/database';
import type { ThreadSummaryRow } from './thread-rows';

/** A copy to make, validated, with the new thread's generated id. */
export interface ThreadToCopy {
  readonly sourceId: string;
  readonly targetId: string;
  readonly userEmail: string;
  /** The copy's title; `undefined`: the source's. */
  readonly title: string | undefined;
}

/** `'copied'` with the new thread's row, or why not. */
export type CopyOutcome =
  | ({ readonly outcome: 'copied' } & ThreadSummaryRow)
  | { readonly outcome: 'deleted' | 'not_found' };

/**
 * Copies the user's thread in ONE statement: `checkpointer_copy_thread` of the schema (see
 * `schema/retention.functions.ts`). It copies only if this user owns the source, under the
 * source's SHARED lock (no deletion or prune of it runs meanwhile): the new `users_threads` row
 * (counted for its owner) and, under the new id, every namespace's latest checkpoint with its
 * blobs and pending writes. Idempotent for a given `targetId`.
 */
export async function copyOwnedThread(
  db: Kysely<CheckpointerDatabase>,
  schema: string,
  copy: ThreadToCopy,
): Promise<CopyOutcome> {
  const { rows } =
    await sql<CopyOutcome>`SELECT * FROM ${sql.id(schema, 'checkpointer_copy_thread')}(
    ${copy.sourceId}::text, ${copy.targetId}::text, ${copy.userEmail}::text, ${copy.title ?? null}::text
  )`.execute(db);
  return rows[0];
}
