import { type Expression, type RawBuilder, sql } from 'kysely';
import type { ThreadSummary } from './thread.models';

/** The `users_threads` columns a `ThreadSummary` is made of. */
export const THREAD_SUMMARY_COLUMNS = [
  'thread_id',
  'title',
  'first_prompt',
  'created_at',
  'last_run_at',
  'run_count',
] as const;

/** A `users_threads` row with the summary columns. */
export interface ThreadSummaryRow {
  readonly thread_id: string;
  readonly title: string;
  readonly first_prompt: string;
  readonly created_at: Date;
  readonly last_run_at: Date;
  readonly run_count: number;
}

export function toThreadSummary(row: ThreadSummaryRow): ThreadSummary {
  return {
    threadId: row.thread_id,
    title: row.title,
    firstPrompt: row.first_prompt,
    createdAt: row.created_at,
    lastRunAt: row.last_run_at,
    runCount: row.run_count,
  };
}

/** Whether a row of an outer join carries a thread (an empty OFFSET page yields one without). */
export function hasThread<R extends { [K in keyof ThreadSummaryRow]: ThreadSummaryRow[K] | null }>(
  row: R,
): row is R & ThreadSummaryRow {
  return row.thread_id !== null;
}

/**
 * A `timestamptz` as exact ISO-8601 UTC text with microseconds, whatever the session's TimeZone
 * and DateStyle: the form a listing cursor carries (a `Date` would round to milliseconds).
 */
export function utcMicros(value: Expression<unknown>): RawBuilder<string> {
  return sql<string>`to_char(${value} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** A cursor's timestamp text back as a `timestamptz`, exactly. */
export function timestamptz(value: string): RawBuilder<Date> {
  return sql<Date>`${value}::timestamptz`;
}
