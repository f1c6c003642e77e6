import { type Kysely, sql } from 'kysely';
import type { CheckpointerDatabase } from '../schema/database';

/** The row of `checkpointer_leases` the retention sweeper holds. */
export const SWEEP_LEASE = 'retention.sweep';

/** `now() + ms`, on the database's clock. */
function inMs(ms: number) {
  return sql<Date>`now() + make_interval(secs => ${ms / 1000})`;
}

/**
 * One sweeper for the whole cluster, as a lease row (like the turn leases of `ThreadTurns`, and
 * for the same reason: a session advisory lock would pin a connection for the whole sweep, and
 * behind PgBouncer in transaction mode session locks land on arbitrary backends). Every call is
 * one statement on any pooled connection.
 *
 * The row also says when the next scheduled sweep is due, so however many replicas tick, the
 * cluster sweeps at most once per `retention.intervalMs`: whoever ticks first after it is due.
 */
export class SweepLease {
  constructor(
    private readonly db: Kysely<CheckpointerDatabase>,
    private readonly leaseMs: number,
  ) {}

  /**
   * Takes the lease for `holder` if nobody holds it (or a holder's lease ran out) and, when
   * `scheduled`, if the next sweep is due. One statement; `true` if taken.
   */
  async acquire(holder: string, scheduled: boolean): Promise<boolean> {
    const row = await this.db
      .insertInto('checkpointer_leases')
      .values({
        name: SWEEP_LEASE,
        holder,
        expires_at: inMs(this.leaseMs),
        next_due_at: sql<Date>`'-infinity'::timestamptz`,
      })
      .onConflict((conflict) =>
        conflict
          .column('name')
          .doUpdateSet((eb) => ({
            holder: eb.ref('excluded.holder'),
            expires_at: eb.ref('excluded.expires_at'),
          }))
          .where((eb) =>
            eb.and([
              eb('checkpointer_leases.expires_at', '<=', sql<Date>`now()`),
              ...(scheduled ? [eb('checkpointer_leases.next_due_at', '<=', sql<Date>`now()`)] : []),
            ]),
          ),
      )
      .returning('holder')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Extends `holder`'s lease; `false`: it was lost (this process stalled past `leaseMs`). */
  async renew(holder: string): Promise<boolean> {
    const result = await this.db
      .updateTable('checkpointer_leases')
      .set({ expires_at: inMs(this.leaseMs) })
      .where('name', '=', SWEEP_LEASE)
      .where('holder', '=', holder)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Gives the lease back. `nextDueInMs`: the sweep completed, the next scheduled one is due that
   * long from now; without it (stopped midway) the next tick of any replica may sweep at once.
   */
  async release(holder: string, nextDueInMs: number | undefined): Promise<void> {
    await this.db
      .updateTable('checkpointer_leases')
      .set(
        nextDueInMs === undefined
          ? { expires_at: sql<Date>`now()` }
          : { expires_at: sql<Date>`now()`, next_due_at: inMs(nextDueInMs) },
      )
      .where('name', '=', SWEEP_LEASE)
      .where('holder', '=', holder)
      .execute();
  }
}
