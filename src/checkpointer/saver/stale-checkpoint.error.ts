/**
 * A checkpoint was refused because it builds on state that is gone: the checkpoint it continues
 * from no longer exists, and neither does a channel value it reuses from it. That happens when a
 * graph read a checkpoint and, before it wrote the next one, the checkpoint was pruned (retention)
 * or its thread deleted by `PostgresCheckpointer.deleteThread` (a bare reset). Storing it would
 * leave a checkpoint that reads back with values missing; nothing was stored. Load the thread
 * again (its latest state is intact) and run the turn again.
 */
export class StaleCheckpointError extends Error {
  override readonly name = 'StaleCheckpointError';

  constructor(
    readonly threadId: string,
    /** The checkpoint the refused one continued from. */
    readonly parentCheckpointId: string,
  ) {
    super(
      `thread ${JSON.stringify(threadId)}: checkpoint ${JSON.stringify(parentCheckpointId)} and ` +
        'channel values it held no longer exist (pruned, or the thread deleted); nothing stored',
    );
  }
}
