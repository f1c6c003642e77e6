/**
 * Runs work one at a time per key, in arrival order; different keys run concurrently. A failed
 * piece of work does not stop the ones queued behind it. Keys with nothing queued hold no memory.
 *
 * @example
 * const queue = new TurnQueue();
 * await Promise.all([queue.run('t1', a), queue.run('t1', b), queue.run('t2', c)]); // b after a
 */
export class TurnQueue {
  /** Per key, the settling of the last work queued (never rejects). */
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `work` once every earlier work of `key` has settled; resolves or rejects as it does. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
