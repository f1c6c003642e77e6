import { randomInt } from 'node:crypto';
import type { RunnableConfig } from '@langchain/core/runnables';
import type {
  ChannelVersions,
  Checkpoint,
  CheckpointListOptions,
  CheckpointMetadata,
  CheckpointTuple,
  PendingWrite,
  SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type pg from 'pg';
import { CheckpointerConfigError } from '../common/checkpointer.errors';
import { SCHEMA_NAME_RULE, isSchemaName } from '../common/sql-identifier';
import type { RetryPolicy } from '../resilience/retry.policy';
import { withFastByteaArrays } from './fast-bytea-arrays';
import { SingleStatementWrites, configurableFields } from './single-statement-writes';
import { assertStorableText } from './unstorable-text';

/**
 * The saver this module provides: upstream `PostgresSaver`, subclassed (never forked) so the
 * official conformance suite keeps proving it. It runs over `PoolManager`'s borrowed pool.
 */
export class PostgresCheckpointer extends PostgresSaver {
  private readonly singleStatementWrites: SingleStatementWrites;
  private refused = 0;
  private stale = 0;

  /**
   * Upstream `PostgresSaver`'s arguments, plus:
   * @param options.schema default `'public'`, as upstream.
   * @param options.refuseDeletedThreads refuse writes to a thread `ThreadService.deleteThread`
   *   deleted (`ThreadDeletedError`, nothing stored), and checkpoints that build on a parent and
   *   channel values that no longer exist (`StaleCheckpointError`: pruned, or the thread reset,
   *   after the graph read them), decided inside each write's statement.
   *   Needs this module's migrations in the schema; the module always sets it. Default: `false`
   *   (upstream's behaviour, for a saver built by hand on upstream's tables).
   * @param retry re-runs each operation whole on transient database errors; without one, every
   *   operation runs once.
   */
  constructor(
    pool: pg.Pool,
    serde?: SerializerProtocol,
    options?: { schema?: string; refuseDeletedThreads?: boolean },
    private readonly retry?: RetryPolicy,
  ) {
    // Upstream's reads go through a view of the pool that decodes their bytea[] results ~4x
    // faster (fast-bytea-arrays.ts); their SQL and code are untouched.
    super(withFastByteaArrays(pool), serde, { schema: options?.schema });
    // Upstream interpolates the schema unescaped into every statement: refuse what would break it.
    const schema = options?.schema ?? 'public';
    if (!isSchemaName(schema)) {
      throw new CheckpointerConfigError(
        [`schema must be ${SCHEMA_NAME_RULE}, got ${JSON.stringify(schema)}`],
        'PostgresCheckpointer options',
      );
    }
    this.singleStatementWrites = new SingleStatementWrites(
      pool,
      schema,
      {
        dumpBlobs: (...args) => this._dumpBlobs(...args),
        dumpCheckpoint: (checkpoint) => this._dumpCheckpoint(checkpoint),
        dumpMetadata: (metadata) => this._dumpMetadata(metadata),
        dumpWrites: (...args) => this._dumpWrites(...args),
      },
      options?.refuseDeletedThreads ?? false,
      (reason) => {
        if (reason === 'stale') this.stale += 1;
        else this.refused += 1;
      },
    );
  }

  /** Writes refused since boot because their thread had been deleted (`ThreadDeletedError`). */
  get refusedWrites(): number {
    return this.refused;
  }

  /**
   * Checkpoints refused since boot because they built on state pruned or deleted after their
   * graph read it (`StaleCheckpointError`).
   */
  get staleWrites(): number {
    return this.stale;
  }

  /**
   * Channel versions that are unique per write, not just per step.
   *
   * Upstream inherits the base integer scheme (1, 2, 3...). Blobs are keyed by
   * `(thread_id, checkpoint_ns, channel, version)` and inserted with `ON CONFLICT DO NOTHING`, so
   * when a conversation is forked (replayed from an earlier checkpoint), the fork reaches the same
   * integer versions as the original and its channel values are silently dropped: reads of the
   * fork return the original's messages (langgraphjs #1812, PR #2584; reproduced in
   * `test/checkpointer/saver/langgraph.e2e-spec.ts`). Python mints unique string versions instead; strings would compare
   * wrongly against the integers already stored by upstream (`"3" > "0004..."`), so we keep
   * numbers: the next integer plus a random binary fraction. They still increase, compare
   * correctly against upstream's integers in both directions, and are exact in a double.
   */
  override getNextVersion(current: number | undefined): number {
    const next = typeof current === 'number' ? Math.floor(current) + 1 : 1;
    // Keep next × 2^bits below 2^52 so the sum is exact and prints the same everywhere.
    const bits = Math.max(8, Math.min(30, 51 - Math.ceil(Math.log2(next + 1))));
    return next + (1 + randomInt(2 ** bits - 1)) / 2 ** bits;
  }

  /**
   * Does nothing. Upstream `end()` ends the pool it was given, which here belongs to
   * `PoolManager` and is shared with Kysely; the pool is closed at application shutdown.
   */
  override end(): Promise<void> {
    return Promise.resolve();
  }

  // Every operation is re-run whole on transient errors: the writes are single statements of
  // upserts (or ON CONFLICT DO NOTHING), and the reads and deleteThread are idempotent, so
  // re-running a whole operation is always safe.

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    assertStorableText('getTuple', configurableFields(config));
    return this.retried('saver.getTuple', () => super.getTuple(config));
  }

  /**
   * Upstream runs every query of `list` before its first item; only that part is retried, so an
   * item is never yielded twice.
   */
  override async *list(
    config: RunnableConfig,
    options?: CheckpointListOptions,
  ): AsyncGenerator<CheckpointTuple> {
    // Upstream sends the filter as jsonb (`metadata @> $n`): a NUL in it would be a raw 22P05.
    assertStorableText('list', [
      ...configurableFields(config),
      ['filter', options?.filter],
      ['options.before.configurable.checkpoint_id', options?.before?.configurable?.checkpoint_id],
    ]);
    const { items, first } = await this.retried('saver.list', async () => {
      const started = super.list(config, options);
      return { items: started, first: await started.next() };
    });
    if (first.done === true) return;
    yield first.value;
    yield* items;
  }

  /**
   * Upstream `put` (same rows, errors and result) as ONE statement, one round trip, instead of a
   * checkout, BEGIN, a statement per changed channel and COMMIT (single-statement-writes.ts).
   */
  override put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    return this.retried('saver.put', () =>
      this.singleStatementWrites.put(config, checkpoint, metadata, newVersions),
    );
  }

  /** Upstream `putWrites` (same rows and errors) as ONE statement: one round trip. */
  override putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
  ): Promise<void> {
    return this.retried('saver.putWrites', () =>
      this.singleStatementWrites.putWrites(config, writes, taskId),
    );
  }

  /**
   * Upstream `deleteThread` (the thread's checkpoints, blobs and writes in every namespace) as ONE
   * statement: one round trip instead of a checkout, BEGIN, three DELETEs and COMMIT.
   *
   * Upstream's semantics, kept on purpose: it resets a conversation, and the id can be used again
   * at once; it leaves no deletion marker. With `refuseDeletedThreads` (the module's saver) it
   * takes the thread's lock, so writes in flight are either deleted with it or, if they build on
   * what it deleted, refused with `StaleCheckpointError`; a graph that starts afresh writes to the
   * id as to a new thread. To delete a user's conversation for good, use
   * `ThreadService.deleteThread`.
   */
  override deleteThread(threadId: string): Promise<void> {
    return this.retried('saver.deleteThread', () =>
      this.singleStatementWrites.deleteThread(threadId),
    );
  }

  private retried<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.retry === undefined ? fn() : this.retry.idempotent(operation, fn);
  }
}
