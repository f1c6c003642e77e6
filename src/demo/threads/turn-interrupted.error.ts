/**
 * A turn's graph stopped because the turn lost its thread's lease while it ran (its process
 * stalled past `threads.turnLeaseMs` and another turn took the thread over). The run stays
 * recorded; re-sending it with the same `runId` answers it from the checkpointed state if it got
 * that far, or runs it again. The API answers 409 with `Retry-After`.
 */
export class TurnInterruptedError extends Error {
  override readonly name = 'TurnInterruptedError';

  constructor(readonly threadId: string) {
    super(`the turn on thread ${JSON.stringify(threadId)} was interrupted by another turn`);
  }
}
