import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { CheckpointerLogger } from '../common/checkpointer.logger';
import { errorMessage } from '../common/checkpointer.errors';
import { getCheckpointerDbToken, getCheckpointerOptionsToken } from '../common/checkpointer.tokens';
import type { ResolvedCheckpointerOptions } from '../options/checkpointer.options';
import { ConnectionProvider } from '../connection/connection.provider';
import { RetryPolicy } from '../resilience/retry.policy';
import { ThreadDeletedError } from '../saver/thread-deleted.error';
import type { CheckpointerDatabase } from '../schema/database';
import { parseIntegerInRange, parseThreadId, parseUserEmail } from './thread-input';
import { ThreadBusyError, ThreadNotFoundError, TurnLeaseLostError } from './thread.errors';
import {
  acquireTurnLease,
  releaseTurnLease,
  renewTurnLease,
  selectTurnAdmission,
} from './thread-turns.query';

/** Options of one `ThreadTurns.run()`. */
export interface RunTurnOptions {
  /**
   * What to do while another turn of the thread runs: `'wait'` for it to end (bounded by
   * `maxWaitMs` and by `threads.maxTurnWaiters` waiting turns in this process), or `'reject'` at
   * once. Either way, past the bound the turn fails with `ThreadBusyError`. Default: `'wait'`.
   */
  readonly ifBusy?: 'wait' | 'reject';
  /** Longest wait, in milliseconds. Default: `threads.turnWaitMs` (`30_000`). */
  readonly maxWaitMs?: number;
}

/** The turn a piece of work runs in. */
export interface ThreadTurn {
  readonly threadId: string;
  /**
   * Aborted when the turn can no longer be trusted to be the only one: its lease was lost. The
   * reason is a `ThreadDeletedError` (the thread was deleted) or a `TurnLeaseLostError` (this
   * process stalled past `threads.turnLeaseMs` and another turn took over). Pass it on, e.g.
   * `graph.invoke(input, { configurable, signal: turn.signal })`.
   */
  readonly signal: AbortSignal;
}

/** The numbers of `ThreadTurns`, since boot. */
export interface ThreadTurnStats {
  /** Turns of this process waiting for a thread's running turn, now. */
  readonly waiting: number;
  /** Turns of this process running (holding their thread's lease), now. */
  readonly held: number;
  /** Turns refused with `ThreadBusyError` (busy with `'reject'`, waited too long, too many waiting). */
  readonly busyRefusals: number;
  /** Turns whose lease was lost while they ran (their signal was aborted). */
  readonly leasesLost: number;
}

/** First and longest pause between two attempts to take a busy thread's lease. */
const POLL_MIN_MS = 20;
const POLL_MAX_MS = 250;

/**
 * One turn at a time per thread, across every process on the database, for the thread's owner
 * only. `run()` checks ownership (and the deletion marker) first, so another user's requests are
 * answered at once and never queue behind, or ahead of, the owner's; then it takes the thread's
 * lease, runs the work, and gives the lease back.
 *
 * Why a lease row (`users_thread_turns`) and not an advisory lock: a session advisory lock would
 * need a dedicated session for as long as the turn runs (a turn waiting 30 s on a model would pin
 * a connection for 30 s), and behind PgBouncer in transaction mode session locks land on arbitrary
 * backends. A lease is taken, renewed and given back by single statements on any pooled
 * connection, so it costs no connection while the work runs and works behind any pooler. A
 * process killed mid-turn cannot give its lease back; it expires `threads.turnLeaseMs` after its
 * last renewal (renewed every third of it), and the thread is free again. Waiting polls the lease
 * with jittered backoff: LISTEN/NOTIFY would need a session as well.
 *
 * DELETE never waits for a turn: `ThreadService.deleteThread` removes the lease, the turn's next
 * checkpoint fails with `ThreadDeletedError`, and its signal is aborted at the next renewal.
 *
 * @example
 * await turns.run(userEmail, threadId, async ({ signal }) => {
 *   await threads.recordRun({ userEmail, threadId, prompt });
 *   return graph.invoke(input, { configurable: { thread_id: threadId }, signal });
 * });
 */
@Injectable()
export class ThreadTurns {
  private readonly settings: ResolvedCheckpointerOptions['threads'];
  private readonly createOnFirstRun: boolean;
  private readonly schema: string;
  /** Waiting turns per thread, in this process. */
  private readonly waiters = new Map<string, number>();
  /** Per thread, how to wake this process's waiters when one of its turns gives the lease back. */
  private readonly wakers = new Map<string, Set<() => void>>();
  private counters = { waiting: 0, held: 0, busyRefusals: 0, leasesLost: 0 };

  constructor(
    @Inject(getCheckpointerDbToken()) private readonly db: Kysely<CheckpointerDatabase>,
    @Inject(getCheckpointerOptionsToken()) options: ResolvedCheckpointerOptions,
    private readonly retry: RetryPolicy,
    private readonly logger: CheckpointerLogger,
    private readonly connection: ConnectionProvider,
  ) {
    this.settings = options.threads;
    this.createOnFirstRun = options.threads.createOnFirstRun;
    this.schema = options.schema;
  }

  /** The lock's numbers, for `metrics()`. Never waits on the database. */
  stats(): ThreadTurnStats {
    return { ...this.counters };
  }

  /**
   * Runs `work` as the thread's only turn and returns what it returns.
   *
   * @throws ThreadNotFoundError the thread is not this user's (or does not exist, unless
   *   `threads.createOnFirstRun` lets the turn create it). Nothing waited, nothing ran.
   * @throws ThreadDeletedError the user deleted the thread (before the turn, or while it ran and
   *   its work failed after the signal fired).
   * @throws ThreadBusyError another turn runs and this one may not wait, or not that long.
   * @throws TurnLeaseLostError the work failed after another turn took the lease over.
   */
  async run<T>(
    userEmail: string,
    threadId: string,
    work: (turn: ThreadTurn) => Promise<T>,
    options: RunTurnOptions = {},
  ): Promise<T> {
    const email = parseUserEmail(userEmail);
    const id = parseThreadId(threadId);
    const maxWaitMs = parseIntegerInRange('maxWaitMs', options.maxWaitMs, {
      min: 0,
      max: 24 * 3600_000,
      fallback: this.settings.turnWaitMs,
    });
    await this.admit(email, id);
    const holder = randomUUID();
    await this.acquire(email, id, holder, options.ifBusy === 'reject' ? 0 : maxWaitMs);
    return this.holding(id, holder, work);
  }

  /** Ownership and the deletion marker, before any waiting: one read, the same for every caller. */
  private async admit(userEmail: string, threadId: string): Promise<void> {
    const refusal = await this.refusal(userEmail, threadId);
    if (refusal !== undefined) throw refusal;
  }

  /** Why `userEmail` may not take a turn on the thread now, if they may not. */
  private async refusal(userEmail: string, threadId: string): Promise<Error | undefined> {
    const { owner, deletedOwner } = await this.retry.idempotent('threads.turn.admit', () =>
      selectTurnAdmission(this.db, threadId).executeTakeFirstOrThrow(),
    );
    if (owner === userEmail) return undefined;
    if (deletedOwner === userEmail) return new ThreadDeletedError(threadId);
    // A new id may become this user's thread on its first run, when that is allowed.
    if (owner === null && deletedOwner === null && this.createOnFirstRun) return undefined;
    return new ThreadNotFoundError(threadId);
  }

  /**
   * Takes the thread's lease, polling while it is held, for at most `maxWaitMs`; never the lease of
   * a thread deleted meanwhile (that turn fails as `admit` would fail it now).
   */
  private async acquire(
    userEmail: string,
    threadId: string,
    holder: string,
    maxWaitMs: number,
  ): Promise<void> {
    const take = async (): Promise<boolean> => {
      const { writable, holder: held } = await this.retry.idempotent('threads.turn.acquire', () =>
        acquireTurnLease(
          this.db,
          this.schema,
          threadId,
          holder,
          this.settings.turnLeaseMs,
        ).executeTakeFirstOrThrow(),
      );
      if (writable !== true) {
        throw (await this.refusal(userEmail, threadId)) ?? new ThreadDeletedError(threadId);
      }
      return held !== null;
    };
    if (await take()) return;
    const waiting = this.waiters.get(threadId) ?? 0;
    if (maxWaitMs === 0 || waiting >= this.settings.maxTurnWaiters) throw this.busy(threadId);
    this.waiters.set(threadId, waiting + 1);
    this.counters.waiting += 1;
    try {
      const deadline = performance.now() + maxWaitMs;
      for (let attempt = 0; ; attempt += 1) {
        const pause = Math.min(POLL_MAX_MS, POLL_MIN_MS * 2 ** attempt) * (0.5 + Math.random());
        const left = deadline - performance.now();
        if (left <= 0) throw this.busy(threadId);
        await this.pause(threadId, Math.min(pause, left));
        if (await take()) return;
      }
    } finally {
      this.counters.waiting -= 1;
      const left = (this.waiters.get(threadId) ?? 1) - 1;
      if (left === 0) this.waiters.delete(threadId);
      else this.waiters.set(threadId, left);
    }
  }

  /** Runs `work` while renewing the lease; gives the lease back however `work` ends. */
  private async holding<T>(
    threadId: string,
    holder: string,
    work: (turn: ThreadTurn) => Promise<T>,
  ): Promise<T> {
    const lost = new AbortController();
    const leaseMs = this.settings.turnLeaseMs;
    const renewal = setInterval(
      () => {
        renewTurnLease(this.db, threadId, holder, leaseMs)
          .executeTakeFirst()
          .then(async (renewed) => {
            if (renewed.numUpdatedRows > 0n || lost.signal.aborted) return;
            this.counters.leasesLost += 1;
            lost.abort(await this.whyLost(threadId));
          })
          // A failed renewal is retried at the next tick; the lease outlives two missed ones.
          .catch((error: unknown) =>
            this.logger.warn(
              `turn lease not renewed: ${this.connection.redact(errorMessage(error))}`,
            ),
          );
      },
      Math.max(1, Math.floor(leaseMs / 3)),
    );
    // A renewal timer must never keep the process alive.
    renewal.unref();
    this.counters.held += 1;
    try {
      return await work({ threadId, signal: lost.signal });
    } catch (error) {
      // A graph stopped by the signal throws a bare "Abort": say why the turn really ended.
      if (!lost.signal.aborted || error instanceof ThreadDeletedError) throw error;
      throw lost.signal.reason;
    } finally {
      clearInterval(renewal);
      this.counters.held -= 1;
      await this.retry
        .idempotent('threads.turn.release', () =>
          releaseTurnLease(this.db, threadId, holder).execute(),
        )
        .then(() => {
          for (const wake of this.wakers.get(threadId) ?? []) wake();
        })
        .catch((error: unknown) =>
          // Not fatal: the lease expires by itself within threads.turnLeaseMs.
          this.logger.warn(
            `turn lease not given back (it expires on its own): ${this.connection.redact(errorMessage(error))}`,
          ),
        );
    }
  }

  /**
   * Sleeps `ms`, or less if a turn of this process gives the thread's lease back meanwhile: a
   * waiter behind a turn of its own replica goes at once; one behind another replica's turn finds
   * out at its next poll.
   */
  private async pause(threadId: string, ms: number): Promise<void> {
    const timer = new AbortController();
    const wake = () => timer.abort();
    const wakers = this.wakers.get(threadId) ?? new Set<() => void>();
    wakers.add(wake);
    this.wakers.set(threadId, wakers);
    try {
      await sleep(ms, undefined, { signal: timer.signal }).catch(() => undefined);
    } finally {
      wakers.delete(wake);
      if (wakers.size === 0) this.wakers.delete(threadId);
    }
  }

  /** Why a lease could not be renewed: its thread was deleted, or another turn took it over. */
  private async whyLost(threadId: string): Promise<Error> {
    const { deletedOwner } = await selectTurnAdmission(this.db, threadId)
      .executeTakeFirstOrThrow()
      .catch(() => ({ deletedOwner: null }));
    return deletedOwner !== null
      ? new ThreadDeletedError(threadId)
      : new TurnLeaseLostError(threadId);
  }

  private busy(threadId: string): ThreadBusyError {
    this.counters.busyRefusals += 1;
    return new ThreadBusyError(threadId, Math.min(this.settings.turnLeaseMs, 5_000));
  }
}
