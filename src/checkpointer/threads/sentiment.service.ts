import { Inject, Injectable } from '@nestjs/common';
import { type Kysely, sql } from 'kysely';
import { getCheckpointerDbToken } from '../common/checkpointer.tokens';
import { RetryPolicy } from '../resilience/retry.policy';
import type { CheckpointerDatabase } from '../schema/database';
import { selectSentiments } from './sentiment.query';
import { parseRunId, parseSentiment, parseThreadId, parseUserEmail } from './thread-input';
import { RunNotFoundError, ThreadNotFoundError } from './thread.errors';
import type { RatedRun, SentimentSummary } from './thread.models';

/**
 * Thumbs up and down on runs. Only the owner of a run's thread may rate it, read its ratings or
 * count them; ownership is checked in the WHERE clause of the statement that reads or writes, and
 * someone else's run or thread is reported exactly like a missing one.
 *
 * Every method is ONE statement and idempotent, retried whole on transient errors through
 * `RetryPolicy`. Arguments are validated first (`InvalidInputError` naming the field); other
 * database errors propagate unchanged (the original turned an outage into "run not found").
 *
 * @example
 * await sentiments.setSentiment(userEmail, runId, true);   // up; false = down, null = clear
 * const ratings = await sentiments.getSentiments(userEmail, threadId); // { [runId]: boolean }
 */
@Injectable()
export class SentimentService {
  constructor(
    @Inject(getCheckpointerDbToken()) private readonly db: Kysely<CheckpointerDatabase>,
    private readonly retry: RetryPolicy,
  ) {}

  /**
   * Rates a run: `true` up, `false` down, `null` clears the rating. Setting the rating it already
   * has changes nothing (not even `sentimentAt`). Idempotent.
   *
   * @throws RunNotFoundError no such run in this user's threads.
   */
  async setSentiment(
    userEmail: string,
    runId: string,
    sentiment: boolean | null,
  ): Promise<RatedRun> {
    const email = parseUserEmail(userEmail);
    const id = parseRunId(runId);
    const value = parseSentiment(sentiment);
    const query = this.db
      .updateTable('users_threads_runs as r')
      .from('users_threads as t')
      .set((eb) => ({
        sentiment: value,
        sentiment_at: sql<Date | null>`CASE
          WHEN ${value}::boolean IS NULL THEN NULL
          WHEN ${eb.ref('r.sentiment')} = ${value}::boolean THEN ${eb.ref('r.sentiment_at')}
          ELSE now() END`,
      }))
      .whereRef('t.thread_id', '=', 'r.thread_id')
      .where('r.run_id', '=', id)
      .where('t.owner_email', '=', email)
      .returning([
        'r.run_id',
        'r.thread_id',
        'r.prompt',
        'r.created_at',
        'r.sentiment',
        'r.sentiment_at',
      ]);
    const row = await this.retry.idempotent('sentiment.setSentiment', () =>
      query.executeTakeFirst(),
    );
    if (row === undefined) throw new RunNotFoundError(id);
    return {
      runId: row.run_id,
      threadId: row.thread_id,
      prompt: row.prompt,
      createdAt: row.created_at,
      sentiment: row.sentiment,
      sentimentAt: row.sentiment_at,
    };
  }

  /**
   * The thread's rated runs, `{ [runId]: sentiment }`, oldest run first; unrated runs are left
   * out (the original `GET /chat/{thread_id}/sentiments` shape). Idempotent (read-only).
   *
   * @throws ThreadNotFoundError no such thread of this user's.
   */
  async getSentiments(userEmail: string, threadId: string): Promise<Record<string, boolean>> {
    const email = parseUserEmail(userEmail);
    const id = parseThreadId(threadId);
    const query = selectSentiments(this.db, email, id);
    const rows = await this.retry.idempotent('sentiment.getSentiments', () => query.execute());
    if (rows.length === 0) throw new ThreadNotFoundError(id);
    const ratings: Record<string, boolean> = {};
    for (const { run_id, sentiment } of rows) {
      if (run_id !== null && sentiment !== null) ratings[run_id] = sentiment;
    }
    return ratings;
  }

  /**
   * Counts of up, down and unrated runs: in one thread, or (without `threadId`) across all the
   * user's threads (zeros for a user with none). Idempotent (read-only).
   *
   * @throws ThreadNotFoundError `threadId` given and no such thread of this user's.
   */
  async summarize(userEmail: string, threadId?: string): Promise<SentimentSummary> {
    const email = parseUserEmail(userEmail);
    const id = threadId === undefined ? undefined : parseThreadId(threadId);
    let query = this.db
      .selectFrom('users_threads as t')
      .leftJoin('users_threads_runs as r', 'r.thread_id', 't.thread_id')
      .select([
        sql<number>`count(*)::int`.as('rows'),
        sql<number>`count(*) FILTER (WHERE r.sentiment)::int`.as('up'),
        sql<number>`count(*) FILTER (WHERE NOT r.sentiment)::int`.as('down'),
        // A thread without runs joins to one row of NULLs: count runs, not rows.
        sql<number>`count(r.run_id) FILTER (WHERE r.sentiment IS NULL)::int`.as('unrated'),
      ])
      .where('t.owner_email', '=', email);
    if (id !== undefined) query = query.where('t.thread_id', '=', id);
    const { rows, up, down, unrated } = await this.retry.idempotent('sentiment.summarize', () =>
      query.executeTakeFirstOrThrow(),
    );
    if (id !== undefined && rows === 0) throw new ThreadNotFoundError(id);
    return { up, down, unrated };
  }
}
