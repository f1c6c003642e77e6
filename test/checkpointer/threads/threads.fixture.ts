import type { INestApplicationContext } from '@nestjs/common';
import {
  type BaseCheckpointSaver,
  type Checkpoint,
  emptyCheckpoint,
  uuid6,
} from '@langchain/langgraph-checkpoint';
import {
  type CheckpointerModuleOptions,
  SentimentService,
  ThreadService,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import { bootCheckpointer } from '../../support/app';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import {
  CHECKPOINT_TABLES,
  snapshotModuleTables,
  threadRowCounts,
} from '../../support/table-snapshot';

/** The schema every threads spec runs in: not `public`, to prove the configured one is used. */
export const SCHEMA = 'agents';

/** A booted module on a database of its own, with the services a threads spec uses. */
export interface ThreadsFixture {
  readonly database: TestDatabase;
  readonly app: INestApplicationContext;
  readonly threads: ThreadService;
  readonly sentiments: SentimentService;
  readonly saver: BaseCheckpointSaver;
  /** Closes the application and drops the database. */
  close(): Promise<void>;
}

/**
 * Creates a database and boots the module on it. `options` override the defaults; as a function
 * they can use the new database (e.g. to connect through a proxy).
 *
 * These specs name their threads (`thread-1`, ...), so the fixture opts in to
 * `threads.createOnFirstRun`; the default (threads created by `createThread` only) has its own
 * spec, `create-thread.e2e-spec.ts`.
 */
export async function startThreadsFixture(
  prefix: string,
  options:
    | Partial<CheckpointerModuleOptions>
    | ((database: TestDatabase) => Partial<CheckpointerModuleOptions>) = {},
): Promise<ThreadsFixture> {
  const database = await createTestDatabase(prefix);
  const extra = typeof options === 'function' ? options(database) : options;
  const app = await bootCheckpointer({
    connectionString: database.url,
    schema: SCHEMA,
    ...extra,
    threads: { createOnFirstRun: true, ...extra.threads },
  });
  return {
    database,
    app,
    threads: app.get(ThreadService),
    sentiments: app.get(SentimentService),
    saver: app.get<BaseCheckpointSaver>(getCheckpointerToken()),
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

/** Every row of our tables and the checkpoint tables, to prove an operation changed nothing. */
export function snapshotTables(database: TestDatabase): Promise<Record<string, unknown[]>> {
  return snapshotModuleTables(database, SCHEMA);
}

/** Thread count per user straight from the rows, to check the maintained counter against. */
export async function countedThreads(database: TestDatabase): Promise<Record<string, number>> {
  const { rows } = await database.query<{ owner_email: string; n: number }>(
    `SELECT owner_email, count(*)::int AS n FROM ${SCHEMA}.users_threads GROUP BY owner_email`,
  );
  return Object.fromEntries(rows.map((r) => [r.owner_email, r.n]));
}

/** The maintained counter, per user, leaving out users whose count is back to zero. */
export async function counterTable(database: TestDatabase): Promise<Record<string, number>> {
  const { rows } = await database.query<{ owner_email: string; thread_count: number }>(
    `SELECT owner_email, thread_count FROM ${SCHEMA}.users_thread_counts WHERE thread_count > 0`,
  );
  return Object.fromEntries(rows.map((r) => [r.owner_email, r.thread_count]));
}

/**
 * Writes `count` checkpoints of `threadId` in namespace `ns` through the saver, each with one
 * channel blob and one pending write: rows in all three checkpoint tables.
 */
export async function writeCheckpoints(
  saver: BaseCheckpointSaver,
  threadId: string,
  ns = '',
  count = 1,
): Promise<void> {
  let config = { configurable: { thread_id: threadId, checkpoint_ns: ns } };
  for (let step = 0; step < count; step += 1) {
    const checkpoint: Checkpoint = {
      ...emptyCheckpoint(),
      id: uuid6(step),
      channel_values: { messages: [`message ${step}`] },
      channel_versions: { messages: step + 1 },
    };
    const saved = await saver.put(
      config,
      checkpoint,
      { source: 'loop', step, parents: {} },
      { messages: step + 1 },
    );
    await saver.putWrites(saved, [['messages', `pending ${step}`]], `task-${step}`);
    config = { configurable: { ...saved.configurable, thread_id: threadId, checkpoint_ns: ns } };
  }
}

/** Rows of one thread in each checkpoint table. */
export interface CheckpointRowCounts {
  readonly checkpoints: number;
  readonly checkpoint_blobs: number;
  readonly checkpoint_writes: number;
}

/** Rows of `threadId` in each checkpoint table of `schema`. */
export async function checkpointRows(
  database: TestDatabase,
  threadId: string,
  schema = SCHEMA,
): Promise<CheckpointRowCounts> {
  return threadRowCounts(database, schema, threadId, CHECKPOINT_TABLES);
}
