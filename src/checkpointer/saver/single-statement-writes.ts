import type { RunnableConfig } from '@langchain/core/runnables';
import {
  type ChannelVersions,
  type Checkpoint,
  type CheckpointMetadata,
  type PendingWrite,
  WRITES_IDX_MAP,
} from '@langchain/langgraph-checkpoint';
import type pg from 'pg';
import { assertStorableText } from './unstorable-text';
import { preparable } from '../connection/prepared-statements';
import {
  type BlobRow,
  type Statement,
  type WriteRow,
  deleteThreadStatement,
  putCheckpointStatement,
  putWritesStatement,
} from './write-statements';
import { StaleCheckpointError } from './stale-checkpoint.error';
import { ThreadDeletedError } from './thread-deleted.error';

/**
 * The saver's serialization, i.e. upstream `PostgresSaver`'s protected `_dump*` methods, bound.
 * Reusing them keeps the bytes we store identical to upstream's.
 */
export interface CheckpointRowSerializer {
  dumpBlobs(
    threadId: string,
    checkpointNs: string,
    values: Record<string, unknown>,
    versions: ChannelVersions,
  ): Promise<BlobRow[]>;
  dumpCheckpoint(checkpoint: Checkpoint): Record<string, unknown>;
  dumpMetadata(metadata: CheckpointMetadata): Promise<unknown>;
  dumpWrites(
    threadId: string,
    checkpointNs: string,
    checkpointId: string,
    taskId: string,
    writes: [string, unknown][],
  ): Promise<WriteRow[]>;
}

/**
 * The ids upstream reads from `config.configurable`, typed as upstream assumes them. Upstream
 * does not validate them: a missing one reaches the statement as NULL and fails its NOT NULL
 * constraint, rejecting the call with nothing stored. So do we.
 */
interface ConfigurableIds {
  readonly thread_id: string;
  readonly checkpoint_ns?: string;
  readonly checkpoint_id?: string;
}

/**
 * `put`, `putWrites` and `deleteThread` in one round trip each. Upstream checks out a client and
 * sends BEGIN, one statement per row (or per table) and COMMIT (N+3, W+2 and 5 statements); here
 * each call is one `pool.query` of one statement, atomic by itself, that writes (or deletes) the
 * same rows in the same tables with the same conflict handling, so a database written by either
 * saver is read correctly by the other.
 * Everything is serialized before the statement is sent, never while a connection is held.
 */
export class SingleStatementWrites {
  /**
   * @param refuseDeletedThreads check, inside each write's statement, that the thread has no
   *   deletion marker, and that a checkpoint does not build on pruned state (needs this module's
   *   migrations); a refused write stores nothing and throws `ThreadDeletedError` or
   *   `StaleCheckpointError`. `onRefused` counts them.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly serializer: CheckpointRowSerializer,
    private readonly refuseDeletedThreads = false,
    private readonly onRefused: (reason: 'deleted' | 'stale') => void = () => undefined,
  ) {}

  /** Upstream `PostgresSaver.put`, same arguments, errors and result, in one statement. */
  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    if (config.configurable === undefined) {
      throw new Error(`Missing "configurable" field in "config" param`);
    }
    const { thread_id, checkpoint_ns = '', checkpoint_id } = config.configurable as ConfigurableIds;
    const [blobs, serializedMetadata] = await Promise.all([
      this.serializer.dumpBlobs(thread_id, checkpoint_ns, checkpoint.channel_values, newVersions),
      this.serializer.dumpMetadata(metadata),
    ]);
    const serializedCheckpoint = this.serializer.dumpCheckpoint(checkpoint);
    // Everything that goes to a text or jsonb column, as it will be sent (values go to bytea).
    assertStorableText('put', [
      ...configurableFields(config),
      ['checkpoint', serializedCheckpoint],
      ['metadata', serializedMetadata],
      ['newVersions', newVersions],
    ]);
    const statement = putCheckpointStatement(
      this.schema,
      {
        threadId: thread_id,
        checkpointNs: checkpoint_ns,
        checkpointId: checkpoint.id,
        parentCheckpointId: checkpoint_id,
        checkpoint: serializedCheckpoint,
        metadata: serializedMetadata,
      },
      blobs,
      this.refuseDeletedThreads,
    );
    await this.send(statement, thread_id, checkpoint_id);
    return { configurable: { thread_id, checkpoint_ns, checkpoint_id: checkpoint.id } };
  }

  /** Upstream `PostgresSaver.putWrites`, same arguments and errors, in one statement. */
  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    // Upstream's choice, `in` included: special channels alone are upserted, anything else inserted.
    const upsert = writes.every((w) => w[0] in WRITES_IDX_MAP);
    const ids = (config.configurable ?? {}) as Partial<ConfigurableIds>;
    assertStorableText('putWrites', [
      ...configurableFields(config),
      ['taskId', taskId],
      ...writes.map(([channel], i) => [`writes[${i}].channel`, channel] as const),
    ]);
    const rows = await this.serializer.dumpWrites(
      ids.thread_id as string,
      ids.checkpoint_ns as string,
      ids.checkpoint_id as string,
      taskId,
      writes,
    );
    const statement = putWritesStatement(this.schema, rows, upsert, this.refuseDeletedThreads);
    if (statement !== undefined) await this.send(statement, ids.thread_id as string);
  }

  /**
   * Sends a write, `preparable` (the pool may name it: these are the saver's hottest statements);
   * a guarded one whose status is not `'writable'` stored nothing: the thread was deleted
   * (`ThreadDeletedError`), or the checkpoint builds on pruned state (`StaleCheckpointError`, for
   * `put` only: `parentId` is its parent).
   */
  private async send(statement: Statement, threadId: string, parentId?: string): Promise<void> {
    const result = await this.pool.query<{ status?: string }>(
      preparable({ text: statement.text, values: statement.values }),
    );
    const status = result.rows[0]?.status;
    if (!this.refuseDeletedThreads || status === 'writable') return;
    if (status === 'gone' && parentId !== undefined) {
      this.onRefused('stale');
      throw new StaleCheckpointError(threadId, parentId);
    }
    this.onRefused('deleted');
    throw new ThreadDeletedError(threadId);
  }

  /** Upstream `PostgresSaver.deleteThread`: the same rows, every namespace, in one statement. */
  async deleteThread(threadId: string): Promise<void> {
    assertStorableText('deleteThread', [['threadId', threadId]]);
    const statement = deleteThreadStatement(this.schema, threadId, this.refuseDeletedThreads);
    await this.pool.query(statement.text, statement.values);
  }
}

/** The ids of `config.configurable` that reach text columns, with their paths. */
export function configurableFields(
  config: RunnableConfig | undefined,
): (readonly [string, unknown])[] {
  const ids = (config?.configurable ?? {}) as Partial<ConfigurableIds>;
  return (['thread_id', 'checkpoint_ns', 'checkpoint_id'] as const).map(
    (key) => [`config.configurable.${key}`, ids[key]] as const,
  );
}
