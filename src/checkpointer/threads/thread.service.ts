import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { ResolvedCheckpointerOptions } from '../options/checkpointer.options';
import { getCheckpointerDbToken, getCheckpointerOptionsToken } from '../common/checkpointer.tokens';
import { RetryPolicy } from '../resilience/retry.policy';
import type { CheckpointerDatabase } from '../schema/database';
import { ThreadDeletedError } from '../saver/thread-deleted.error';
import { copyOwnedThread } from './copy-thread.query';
import { deleteOwnedThread } from './delete-thread.query';
import { insertNewThread } from './create-thread.query';
import {
  type RunToRecord,
  insertRunCreatingThread,
  insertRunOnOwnedThread,
  selectDeletionMarker,
  selectSameRun,
} from './record-run.query';
import { decodeThreadCursor, encodeThreadCursor } from './thread-cursor';
import {
  THREAD_INPUT_LIMITS as LIMITS,
  parseIntegerInRange,
  parsePrompt,
  parseRunId,
  parseThreadId,
  parseTitle,
  parseUserEmail,
} from './thread-input';
import { selectThreadDetail } from './thread-detail.query';
import {
  readFirstPage,
  readNextPage,
  selectOffsetPage,
  selectThreadCount,
} from './thread-listing.query';
import { THREAD_SUMMARY_COLUMNS, hasThread, toThreadSummary } from './thread-rows';
import { UNTITLED_THREAD, titleFromPrompt } from './thread-title';
import { RunConflictError, ThreadNotFoundError } from './thread.errors';
import type {
  CopyThreadOptions,
  CreateThreadOptions,
  ListThreadsOptions,
  ListThreadsPageOptions,
  RecordRunInput,
  RecordedRun,
  ThreadDeletionCounts,
  ThreadDetail,
  ThreadListPage,
  ThreadOffsetPage,
  ThreadSummary,
} from './thread.models';

/**
 * Users' conversations: which threads a user owns, their runs, titles and activity. A thread has
 * exactly one owner, the user who created it (`createThread`, or with `threads.createOnFirstRun`
 * the first run on a new id); every statement checks ownership in its own WHERE clause, and "not
 * found" and "not yours" are the same `ThreadNotFoundError`. Deletion is final: see
 * `deleteThread`.
 *
 * Arguments are validated first (`InvalidInputError` naming the field; nothing is read or
 * written). Then each method does its whole unit of work in one statement or one transaction, so
 * it is retried as a whole on transient errors through `RetryPolicy` (only when the error proves
 * nothing reached the server, for the one non-idempotent method). Other database errors propagate
 * unchanged: an outage is never an empty list, a zero or a made-up run id.
 *
 * @example
 * const { threadId } = await threads.createThread(userEmail);
 * const { runId } = await threads.recordRun({ userEmail, threadId, prompt });
 * await graph.invoke(input, { configurable: { thread_id: threadId }, runId });
 * const { items, nextCursor } = await threads.listThreads(userEmail, { limit: 20 });
 */
@Injectable()
export class ThreadService {
  private readonly maxPromptLength: number;
  private readonly createOnFirstRun: boolean;
  private readonly deletedRetentionDays: number;
  private readonly schema: string;

  constructor(
    @Inject(getCheckpointerDbToken()) private readonly db: Kysely<CheckpointerDatabase>,
    @Inject(getCheckpointerOptionsToken()) options: ResolvedCheckpointerOptions,
    private readonly retry: RetryPolicy,
  ) {
    this.maxPromptLength = options.threads.maxPromptLength;
    this.createOnFirstRun = options.threads.createOnFirstRun;
    this.deletedRetentionDays = options.threads.deletedRetentionDays;
    this.schema = options.schema;
  }

  /**
   * Creates a thread owned by the user, with a server-generated UUID (never guessable, never
   * taken). Without a `title` it is `Untitled conversation` until its first run names it from
   * the prompt. One statement; idempotent (the id is fixed before a retry).
   *
   * @throws InvalidInputError a blank or over-long title.
   */
  async createThread(userEmail: string, options: CreateThreadOptions = {}): Promise<ThreadSummary> {
    const email = parseUserEmail(userEmail);
    const title = options.title === undefined ? undefined : parseTitle(options.title);
    const thread = {
      threadId: randomUUID(),
      userEmail: email,
      title: title ?? UNTITLED_THREAD,
      autoTitle: title === undefined,
    };
    const row = await this.retry.idempotent('threads.createThread', () =>
      insertNewThread(this.db, thread).executeTakeFirstOrThrow(),
    );
    return toThreadSummary(row);
  }

  /**
   * Records a run on the user's thread. With `threads.createOnFirstRun`, a run on an id that does
   * not exist yet creates the thread (owned by this user, titled from the prompt); two requests
   * creating the same new thread at once end with one thread and both runs. One transaction.
   *
   * Idempotent: the run id is fixed before the work (generated if not given), and recording the
   * same run id again for the same thread, user and prompt returns the run already recorded.
   *
   * @throws ThreadNotFoundError no such thread of this user's (nothing is recorded).
   * @throws ThreadDeletedError the user deleted this thread; its id stays unusable while the
   *   deletion marker lasts (`threads.deletedRetentionDays`).
   * @throws RunConflictError the run id is already recorded for another thread, user or prompt.
   */
  async recordRun(input: RecordRunInput): Promise<RecordedRun> {
    const run = this.runToRecord(input);
    const { threadId } = run;
    return this.retry.idempotent('threads.recordRun', () =>
      this.db.transaction().execute(async (trx) => {
        const outcome = this.createOnFirstRun
          ? await insertRunCreatingThread(trx, this.schema, run).executeTakeFirstOrThrow()
          : await insertRunOnOwnedThread(trx, this.schema, run).executeTakeFirstOrThrow();
        if (outcome.writable !== true) throw await this.notWritable(trx, run);
        if ('owned' in outcome && outcome.owned !== true) throw new ThreadNotFoundError(threadId);
        if (outcome.run_id === null || outcome.created_at === null) {
          const same = await selectSameRun(trx, run).executeTakeFirst();
          if (same === undefined) throw new RunConflictError(run.runId);
          return { runId: same.run_id, threadId, createdAt: same.created_at };
        }
        // Throwing rolls the transaction back, and with it the run just inserted.
        if (outcome.owned_thread === null) throw new ThreadNotFoundError(threadId);
        return { runId: outcome.run_id, threadId, createdAt: new Date(outcome.created_at) };
      }),
    );
  }

  /**
   * Throws what `recordRun` would throw for this input's values (`InvalidInputError`: an email,
   * thread id, prompt or run id it refuses), without touching the database. Call it before
   * waiting for anything, e.g. before `ThreadTurns.run`, so a bad request is refused at once
   * rather than after waiting for a busy thread.
   */
  assertRunInput(input: RecordRunInput): void {
    this.runToRecord(input);
  }

  /** `input` validated as `recordRun` records it; the run id generated if not given. */
  private runToRecord(input: RecordRunInput): RunToRecord {
    const userEmail = parseUserEmail(input.userEmail);
    const threadId = parseThreadId(input.threadId);
    const prompt = parsePrompt(input.prompt, this.maxPromptLength);
    // Fixed here, outside the unit of work, so that a retried attempt records the same run.
    const runId = input.runId === undefined ? randomUUID() : parseRunId(input.runId);
    return { userEmail, threadId, prompt, runId, title: titleFromPrompt(prompt) };
  }

  /**
   * Why a thread cannot be written: its owner is told it was deleted, anyone else that it does
   * not exist (as for any thread not theirs).
   */
  private async notWritable(
    db: Kysely<CheckpointerDatabase>,
    run: Pick<RunToRecord, 'threadId' | 'userEmail'>,
  ): Promise<Error> {
    const marker = await selectDeletionMarker(db, run.threadId).executeTakeFirst();
    return marker?.owner_email === run.userEmail
      ? new ThreadDeletedError(run.threadId)
      : new ThreadNotFoundError(run.threadId);
  }

  /**
   * The user's threads, newest activity first (`threadId` breaking ties), a page at a time. Pass
   * `nextCursor` back for the next page. Each page costs an index range scan of its own size,
   * however deep and however long the user's history.
   *
   * A pass is ordered as of its first page. While runs arrive, no thread is ever shown twice, and
   * every thread that existed then is shown once, at its place as of then, with its current data;
   * threads created during the pass appear on the next first page. (The one exception: a run whose
   * transaction was already under way when the first page was read can move its thread without
   * the pass noticing, so that thread may be missed in that pass.)
   *
   * Idempotent (read-only; one statement, two in the rare page that merges moved threads).
   *
   * @throws InvalidInputError `limit` outside 1-100 (default 20), or a malformed `cursor`.
   */
  async listThreads(userEmail: string, options: ListThreadsOptions = {}): Promise<ThreadListPage> {
    const email = parseUserEmail(userEmail);
    const limit = parseIntegerInRange('limit', options.limit, {
      ...LIMITS.listLimit,
      fallback: LIMITS.listLimit.default,
    });
    const cursor = options.cursor === undefined ? undefined : decodeThreadCursor(options.cursor);
    // One more row than asked tells whether there is a next page.
    const { rows, asOf } = await this.retry.idempotent('threads.listThreads', async () =>
      cursor === undefined
        ? readFirstPage(this.db, email, limit + 1)
        : { rows: await readNextPage(this.db, email, cursor, limit + 1), asOf: cursor.asOf },
    );
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    const nextCursor =
      rows.length > limit && last !== undefined
        ? encodeThreadCursor({ asOf, activityAt: last.activity_key, threadId: last.thread_id })
        : null;
    return { items: items.map(toThreadSummary), nextCursor };
  }

  /**
   * One page by number, with the total: the original `GET /chat-threads` shape. Same order as
   * `listThreads`, but by OFFSET, so deep pages cost more and concurrent runs can shift threads
   * between pages; prefer `listThreads` for scrolling. `total` and the page come from one snapshot.
   *
   * Idempotent (read-only).
   *
   * @throws InvalidInputError `page` not a positive integer (default 1), `limit` outside 1-100
   * (default 10).
   */
  async listThreadsPage(
    userEmail: string,
    options: ListThreadsPageOptions = {},
  ): Promise<ThreadOffsetPage> {
    const email = parseUserEmail(userEmail);
    const limit = parseIntegerInRange('limit', options.limit, {
      ...LIMITS.pageLimit,
      fallback: LIMITS.pageLimit.default,
    });
    // Bounded so that the offset stays an exact integer.
    const page = parseIntegerInRange('page', options.page, {
      min: 1,
      max: Math.floor(Number.MAX_SAFE_INTEGER / limit),
      fallback: 1,
    });
    const offset = (page - 1) * limit;
    const rows = await this.retry.idempotent('threads.listThreadsPage', () =>
      selectOffsetPage(this.db, email, offset, limit).execute(),
    );
    const total = rows[0]?.total ?? 0;
    const items = rows.filter(hasThread).map(toThreadSummary);
    return { items, total, page, limit, hasMore: offset + items.length < total };
  }

  /** How many threads the user owns: one index lookup, however many. Idempotent (read-only). */
  async countThreads(userEmail: string): Promise<number> {
    const email = parseUserEmail(userEmail);
    const row = await this.retry.idempotent('threads.countThreads', () =>
      selectThreadCount(this.db, email).executeTakeFirstOrThrow(),
    );
    return row.total;
  }

  /**
   * The thread with its runs, oldest first (the order to pair them with the graph's answers).
   * One statement. Idempotent (read-only).
   *
   * @throws ThreadNotFoundError no such thread of this user's.
   */
  async getThread(userEmail: string, threadId: string): Promise<ThreadDetail> {
    const email = parseUserEmail(userEmail);
    const id = parseThreadId(threadId);
    const query = selectThreadDetail(this.db, email, id);
    const row = await this.retry.idempotent('threads.getThread', () => query.executeTakeFirst());
    if (row === undefined) throw new ThreadNotFoundError(id);
    return {
      ...toThreadSummary(row),
      runs: row.runs.map((run) => ({
        runId: run.run_id,
        prompt: run.prompt,
        // Timestamps inside JSON arrive as ISO text, not as Date.
        createdAt: new Date(run.created_at),
        sentiment: run.sentiment,
      })),
    };
  }

  /**
   * Gives the thread a new title (whitespace collapsed, 1-255 characters). One statement.
   * Idempotent.
   *
   * @throws ThreadNotFoundError no such thread of this user's.
   */
  async renameThread(userEmail: string, threadId: string, title: string): Promise<ThreadSummary> {
    const email = parseUserEmail(userEmail);
    const id = parseThreadId(threadId);
    const newTitle = parseTitle(title);
    const query = this.db
      .updateTable('users_threads')
      .set({ title: newTitle, auto_title: false })
      .where('thread_id', '=', id)
      .where('owner_email', '=', email)
      .returning(THREAD_SUMMARY_COLUMNS);
    const row = await this.retry.idempotent('threads.renameThread', () => query.executeTakeFirst());
    if (row === undefined) throw new ThreadNotFoundError(id);
    return toThreadSummary(row);
  }

  /**
   * Copies the user's thread into a new one (a server-generated UUID, owned by the same user):
   * the conversation's latest state, i.e. the latest checkpoint of every namespace (subgraphs
   * included, with the ancestors their DeltaChannels replay), its channel values and its pending
   * writes, so open interrupts can be resumed on the copy. A fork: the copy and the original go
   * on independently, and the original is untouched. Runs are not copied (the copy has none yet);
   * the title is the original's unless `title` is given. ONE statement, under the original's
   * lock: it sees every write that committed before, and never a deletion or a prune midway.
   * Idempotent (the new id is fixed before a retry).
   *
   * @throws ThreadNotFoundError no such thread of this user's (nothing is created).
   * @throws ThreadDeletedError the user deleted it.
   * @throws InvalidInputError a bad id, or a blank or over-long title.
   */
  async copyThread(
    userEmail: string,
    threadId: string,
    options: CopyThreadOptions = {},
  ): Promise<ThreadSummary> {
    const email = parseUserEmail(userEmail);
    const id = parseThreadId(threadId);
    const title = options.title === undefined ? undefined : parseTitle(options.title);
    const copy = { sourceId: id, targetId: randomUUID(), userEmail: email, title };
    const outcome = await this.retry.idempotent('threads.copyThread', () =>
      copyOwnedThread(this.db, this.schema, copy),
    );
    if (outcome.outcome === 'copied') return toThreadSummary(outcome);
    if (outcome.outcome === 'deleted') throw new ThreadDeletedError(id);
    throw new ThreadNotFoundError(id);
  }

  /**
   * Deletes the thread for good: its checkpoints, blobs and writes in every namespace (in the
   * configured schema), its runs, its turn lease and the thread itself, in ONE statement, so a
   * failure part-way deletes nothing. Returns the rows deleted per table.
   *
   * Final, across every process on the database: the deletion waits for the thread's writes in
   * flight and then leaves a marker (for `threads.deletedRetentionDays`) that every later write
   * checks inside its own statement. A graph still running on the thread gets
   * `ThreadDeletedError` from its next checkpoint and stores nothing; nobody can record a run on
   * the id while the marker lasts. The deletion never waits for a running turn, only for a
   * statement in flight. (`PostgresCheckpointer.deleteThread`, LangGraph's own API, resets a
   * conversation instead: no marker, the id usable again at once.)
   *
   * NOT idempotent: if a first attempt committed but its reply was lost, a retry finds the marker
   * and throws `ThreadDeletedError`.
   *
   * @throws ThreadNotFoundError no such thread of this user's (nothing is deleted).
   * @throws ThreadDeletedError the user already deleted it.
   */
  async deleteThread(userEmail: string, threadId: string): Promise<ThreadDeletionCounts> {
    const email = parseUserEmail(userEmail);
    const id = parseThreadId(threadId);
    // Not idempotent: retried only when the statement provably never reached the server.
    const counts = await this.retry.run(
      () =>
        deleteOwnedThread(this.db, this.schema, {
          userEmail: email,
          threadId: id,
          markerDays: this.deletedRetentionDays,
        }),
      { idempotent: false, operation: 'threads.deleteThread' },
    );
    if (counts.users_threads === 0) {
      throw await this.retry.idempotent('threads.deleteThread', () =>
        this.notWritable(this.db, { threadId: id, userEmail: email }),
      );
    }
    return counts;
  }
}
