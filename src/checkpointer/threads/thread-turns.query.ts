import { type Kysely, sql } from 'kysely';
import type { CheckpointerDatabase } from '../schema/database';
import { threadWritable } from './thread-writable';

type Db = Kysely<CheckpointerDatabase>;

/**
 * Who owns the thread, and who owned it if it was deleted (while its marker lasts): one
 * statement, two primary-key probes, whoever asks.
 */
export function selectTurnAdmission(db: Db, threadId: string) {
  return db.selectNoFrom((eb) => [
    eb
      .selectFrom('users_threads')
      .select('owner_email')
      .where('thread_id', '=', threadId)
      .$asScalar()
      .as('owner'),
    eb
      .selectFrom('users_threads_deleted')
      .select('owner_email')
      .where('thread_id', '=', threadId)
      .where('expires_at', '>', sql<Date>`now()`)
      .$asScalar()
      .as('deletedOwner'),
  ]);
}

/** `now() + ms`, on the database's clock: every process compares leases on the same clock. */
function inMs(ms: number) {
  return sql<Date>`now() + make_interval(secs => ${ms / 1000})`;
}

/**
 * Takes the thread's lease for `holder`, if it is free, expired, or already `holder`'s (so a
 * retried attempt whose reply was lost finds its own lease), and only while the thread is
 * writable: a turn never takes the lease of a thread deleted since it was admitted. One
 * statement: `holder` back means the lease is held; `writable` false means the thread is gone.
 */
export function acquireTurnLease(
  db: Db,
  schema: string,
  threadId: string,
  holder: string,
  leaseMs: number,
) {
  return db
    .with('guard', (db) => db.selectNoFrom(threadWritable(schema, threadId).as('writable')))
    .with('taken', (db) =>
      db
        .insertInto('users_thread_turns')
        .columns(['thread_id', 'holder', 'expires_at'])
        .expression(
          db
            .selectFrom('guard')
            .select((eb) => [
              eb.val(threadId).as('thread_id'),
              eb.val(holder).as('holder'),
              inMs(leaseMs).as('expires_at'),
            ])
            .where('guard.writable', '=', true),
        )
        .onConflict((conflict) =>
          conflict
            .column('thread_id')
            .doUpdateSet((eb) => ({
              holder: eb.ref('excluded.holder'),
              expires_at: eb.ref('excluded.expires_at'),
            }))
            .where((eb) =>
              eb.or([
                eb('users_thread_turns.expires_at', '<=', sql<Date>`now()`),
                eb('users_thread_turns.holder', '=', eb.ref('excluded.holder')),
              ]),
            ),
        )
        .returning('holder'),
    )
    .selectNoFrom((eb) => [
      eb.selectFrom('guard').select('guard.writable').$asScalar().as('writable'),
      eb.selectFrom('taken').select('taken.holder').$asScalar().as('holder'),
    ]);
}

/** Extends `holder`'s lease; no row updated: the lease is gone (deleted thread, or taken over). */
export function renewTurnLease(db: Db, threadId: string, holder: string, leaseMs: number) {
  return db
    .updateTable('users_thread_turns')
    .set({ expires_at: inMs(leaseMs) })
    .where('thread_id', '=', threadId)
    .where('holder', '=', holder);
}

/** Gives `holder`'s lease back (nothing if it is no longer theirs). */
export function releaseTurnLease(db: Db, threadId: string, holder: string) {
  return db
    .deleteFrom('users_thread_turns')
    .where('thread_id', '=', threadId)
    .where('holder', '=', holder);
}
