import type { BenchDatabase } from './database';
import { queriesSentBy } from './statement-counter';

/** A statement an operation sent, with its plan as PostgreSQL ran it. */
export interface ExplainedStatement {
  readonly text: string;
  /** `EXPLAIN (ANALYZE, BUFFERS)` output, one line per row. */
  readonly plan: string;
}

/**
 * Runs `fn` once, capturing the statements it sends, then runs each again (same text, same
 * parameters) under `EXPLAIN (ANALYZE, BUFFERS)` on `database`: the plans of exactly what the
 * code under test sends, not of a hand-copied query. Read-only statements only: ANALYZE executes.
 */
export async function explainWhatRuns(
  database: BenchDatabase,
  fn: () => Promise<unknown>,
): Promise<ExplainedStatement[]> {
  const sent = await queriesSentBy(fn);
  const explained: ExplainedStatement[] = [];
  for (const query of sent) {
    const { rows } = await database.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) ${query.text}`,
      [...query.values],
    );
    explained.push({ text: query.text, plan: rows.map((r) => r['QUERY PLAN']).join('\n') });
  }
  return explained;
}
