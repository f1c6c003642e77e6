/**
 * The thread was deleted by `ThreadService.deleteThread` and its deletion marker still lasts
 * (`threads.deletedRetentionDays`): nothing can be written on this id. Raised by the saver's
 * `put`/`putWrites` (a graph still running when its thread was deleted ends with it; nothing of
 * the write is stored) and by `ThreadService` when the owner records a run or deletes again.
 * Another user is told `ThreadNotFoundError` instead, as for any thread not theirs.
 */
export class ThreadDeletedError extends Error {
  override readonly name = 'ThreadDeletedError';

  constructor(readonly threadId: string) {
    super(`thread ${JSON.stringify(threadId)} was deleted`);
  }
}
