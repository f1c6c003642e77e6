/**
 * SentimentService against PostgreSQL: rating, clearing, reading and summarizing, by the owner.
 * (Other users' attempts are in ownership.e2e-spec.ts.)
 */
import { randomUUID } from 'node:crypto';
import {
  InvalidInputError,
  RunNotFoundError,
  ThreadNotFoundError,
} from '../../../src/checkpointer';
import { SCHEMA, type ThreadsFixture, startThreadsFixture } from './threads.fixture';

let fx: ThreadsFixture;
const USER = 'rater@example.com';
let runs: string[];

beforeAll(async () => {
  fx = await startThreadsFixture('sentiment');
  runs = [];
  for (const prompt of ['a', 'b', 'c', 'd']) {
    runs.push((await fx.threads.recordRun({ userEmail: USER, threadId: 'rated', prompt })).runId);
  }
  await fx.threads.recordRun({ userEmail: USER, threadId: 'other', prompt: 'e' });
});

afterAll(async () => {
  await fx.close();
});

describe('SentimentService', () => {
  it('rates a run up and returns it, stamped', async () => {
    const rated = await fx.sentiments.setSentiment(USER, runs[0], true);
    expect(rated).toEqual({
      runId: runs[0],
      threadId: 'rated',
      prompt: 'a',
      createdAt: expect.any(Date),
      sentiment: true,
      sentimentAt: expect.any(Date),
    });
    const thread = await fx.threads.getThread(USER, 'rated');
    expect(thread.runs.map((r) => r.sentiment)).toEqual([true, null, null, null]);
  });

  it('re-setting the same rating changes nothing; a new rating moves the stamp', async () => {
    const first = await fx.sentiments.setSentiment(USER, runs[1], false);
    const again = await fx.sentiments.setSentiment(` ${USER.toUpperCase()}`, runs[1], false);
    expect(again.sentimentAt).toEqual(first.sentimentAt);
    const flipped = await fx.sentiments.setSentiment(USER, runs[1], true);
    expect(flipped.sentiment).toBe(true);
    expect(flipped.sentimentAt!.getTime()).toBeGreaterThan(first.sentimentAt!.getTime());
    await fx.sentiments.setSentiment(USER, runs[1], false);
  });

  it('clears a rating with null', async () => {
    await fx.sentiments.setSentiment(USER, runs[2], true);
    const cleared = await fx.sentiments.setSentiment(USER, runs[2], null);
    expect(cleared).toMatchObject({ sentiment: null, sentimentAt: null });
    const { rows } = await fx.database.query(
      `SELECT sentiment, sentiment_at FROM ${SCHEMA}.users_threads_runs WHERE run_id = $1`,
      [runs[2]],
    );
    expect(rows).toEqual([{ sentiment: null, sentiment_at: null }]);
  });

  it('getSentiments returns the rated runs only, oldest first', async () => {
    const ratings = await fx.sentiments.getSentiments(USER, 'rated');
    expect(ratings).toEqual({ [runs[0]]: true, [runs[1]]: false });
    expect(Object.keys(ratings)).toEqual([runs[0], runs[1]]);
    await expect(fx.sentiments.getSentiments(USER, 'other')).resolves.toEqual({});
  });

  it('summarize counts up, down and unrated, per thread or for the user', async () => {
    await expect(fx.sentiments.summarize(USER, 'rated')).resolves.toEqual({
      up: 1,
      down: 1,
      unrated: 2,
    });
    await expect(fx.sentiments.summarize(USER, 'other')).resolves.toEqual({
      up: 0,
      down: 0,
      unrated: 1,
    });
    await expect(fx.sentiments.summarize(USER)).resolves.toEqual({ up: 1, down: 1, unrated: 3 });
    await expect(fx.sentiments.summarize('new@example.com')).resolves.toEqual({
      up: 0,
      down: 0,
      unrated: 0,
    });
  });

  it('reports a missing run or thread with the typed errors', async () => {
    await expect(fx.sentiments.setSentiment(USER, randomUUID(), true)).rejects.toBeInstanceOf(
      RunNotFoundError,
    );
    await expect(fx.sentiments.getSentiments(USER, 'missing')).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
    await expect(fx.sentiments.summarize(USER, 'missing')).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
  });

  it('validates its arguments, naming them', async () => {
    const cases: [Promise<unknown>, string][] = [
      [fx.sentiments.setSentiment(USER, 'not-a-uuid', true), 'runId'],
      [fx.sentiments.setSentiment(USER, runs[0], 'yes' as unknown as boolean), 'sentiment'],
      [fx.sentiments.setSentiment(USER, runs[0], 1 as unknown as boolean), 'sentiment'],
      [fx.sentiments.setSentiment('', runs[0], true), 'userEmail'],
      [fx.sentiments.getSentiments(USER, ''), 'threadId'],
      [fx.sentiments.summarize(USER, 'bad\tid'), 'threadId'],
    ];
    for (const [attempt, field] of cases) {
      await expect(attempt).rejects.toThrow(InvalidInputError);
      await expect(attempt).rejects.toMatchObject({ field });
    }
    // None of those touched the ratings.
    await expect(fx.sentiments.getSentiments(USER, 'rated')).resolves.toEqual({
      [runs[0]]: true,
      [runs[1]]: false,
    });
  });

  it('ratings go with their thread when it is deleted', async () => {
    await fx.threads.deleteThread(USER, 'rated');
    await expect(fx.sentiments.setSentiment(USER, runs[0], false)).rejects.toBeInstanceOf(
      RunNotFoundError,
    );
    await expect(fx.sentiments.summarize(USER)).resolves.toEqual({ up: 0, down: 0, unrated: 1 });
  });
});
