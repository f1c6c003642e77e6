/**
 * `work`, or a rejection with `timeoutError()` once `timeoutMs` have passed, whichever settles
 * first. The timer is cleared as soon as `work` settles. `work` itself is not cancelled: when the
 * deadline wins and `work` still resolves later, its value goes to `onLate`, so that whatever it
 * holds (a pooled connection, say) is released instead of leaked.
 *
 * @example
 * const client = await withDeadline(pool.connect(), 1000, () => new Error('no connection'), (late) => late.release());
 */
export async function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  timeoutError: () => Error,
  onLate?: (value: T) => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(timeoutError());
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    if (expired && onLate !== undefined) {
      work.then(onLate, () => undefined);
    }
  }
}
