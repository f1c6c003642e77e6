/** Which configured limit a turn would have exceeded. */
export type ThreadLimit = 'THREAD_MAX_TURNS' | 'THREAD_MAX_STATE_BYTES';

/**
 * A turn refused because its thread reached a configured limit (`THREAD_MAX_TURNS`,
 * `THREAD_MAX_STATE_BYTES`): nothing of it was recorded or run. The API answers 422 naming the
 * limit; the thread stays readable, renamable and deletable, and a new thread has its own limits.
 */
export class ThreadQuotaExceededError extends Error {
  override readonly name = 'ThreadQuotaExceededError';

  constructor(
    readonly threadId: string,
    readonly limit: ThreadLimit,
    readonly max: number,
    detail: string,
  ) {
    super(`thread "${threadId}" ${detail} (${limit}=${max}); start a new thread`);
  }
}
