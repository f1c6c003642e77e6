/**
 * Errors of `ThreadService` and `SentimentService`, for the HTTP layer to map (400, 404, 409).
 * None carries a user's email; database errors are never wrapped in these, they propagate as the
 * driver raised them.
 */

/** An argument failed validation at the service boundary; nothing was read or written. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';

  constructor(
    /** The argument at fault, e.g. `'threadId'`, `'cursor'`, `'limit'`. */
    readonly field: string,
    /** What is wrong with it, without echoing the value back. */
    readonly reason: string,
  ) {
    super(`${field} ${reason}`);
  }
}

/**
 * No thread with this id belongs to this user. Deliberately the same whether the thread does not
 * exist or belongs to someone else, so a caller learns nothing about other users' threads.
 */
export class ThreadNotFoundError extends Error {
  override readonly name = 'ThreadNotFoundError';

  constructor(readonly threadId: string) {
    super(`thread ${JSON.stringify(threadId)} not found`);
  }
}

/** No run with this id belongs to one of this user's threads (it may exist for someone else). */
export class RunNotFoundError extends Error {
  override readonly name = 'RunNotFoundError';

  constructor(readonly runId: string) {
    super(`run ${runId} not found`);
  }
}

/**
 * The run id is already recorded, on another thread or for another user. A run is never moved or
 * reassigned; choose a new id (or omit it to have one generated).
 */
export class RunConflictError extends Error {
  override readonly name = 'RunConflictError';

  constructor(readonly runId: string) {
    super(`run ${runId} is already recorded for another thread`);
  }
}

/**
 * Another turn of the thread is running and this one may not wait for it (`ifBusy: 'reject'`),
 * waited longer than allowed, or found too many turns already waiting. Nothing was recorded.
 * Try again after `retryAfterMs`.
 */
export class ThreadBusyError extends Error {
  override readonly name = 'ThreadBusyError';

  constructor(
    readonly threadId: string,
    /** A sensible pause before trying again, in milliseconds. */
    readonly retryAfterMs: number,
  ) {
    super(`thread ${JSON.stringify(threadId)} is busy with another turn`);
  }
}

/**
 * A turn's lease was lost while it ran (`ThreadTurns.run`), so it can no longer be trusted to be
 * the thread's only turn: another turn took the thread over after this process stalled past
 * `threads.turnLeaseMs`. It is the reason of the turn's `AbortSignal`, and what `run()` rejects
 * with when the work fails after the signal fired. (A thread deleted under a running turn is
 * `ThreadDeletedError` instead.)
 */
export class TurnLeaseLostError extends Error {
  override readonly name = 'TurnLeaseLostError';

  constructor(readonly threadId: string) {
    super(`the turn on thread ${JSON.stringify(threadId)} lost its lease to another turn`);
  }
}
