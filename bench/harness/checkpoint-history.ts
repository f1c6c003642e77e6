import type { BenchDatabase } from './database';
import type { Queryable } from './thread-history';

/** The checkpoint tables' sizes, per table, in bytes (`pg_total_relation_size`: with indexes and TOAST). */
export interface TableBytes {
  readonly checkpoints: number;
  readonly checkpoint_blobs: number;
  readonly checkpoint_writes: number;
}

export const CHECKPOINT_TABLES = ['checkpoints', 'checkpoint_blobs', 'checkpoint_writes'] as const;

export async function tableBytes(database: BenchDatabase, schema: string): Promise<TableBytes> {
  const { rows } = await database.query<Record<string, string>>(
    `SELECT ${CHECKPOINT_TABLES.map((t) => `pg_total_relation_size('${schema}.${t}') AS ${t}`).join(
      ', ',
    )}`,
  );
  return {
    checkpoints: Number(rows[0].checkpoints),
    checkpoint_blobs: Number(rows[0].checkpoint_blobs),
    checkpoint_writes: Number(rows[0].checkpoint_writes),
  };
}

/** How many rows a seeded history holds. */
export interface HistorySize {
  readonly threads: number;
  readonly checkpointsPerThread: number;
}

/**
 * A history of `threads` bare threads of `checkpointsPerThread` checkpoints each, in upstream's
 * format, written with set-based SQL (not through a saver): every checkpoint the child of the
 * previous one, with new versions of its 3 channels (so each checkpoint has 3 blobs only it
 * references: small ones, the row counts are what matter) and 2 pending writes. Threads are
 * `history-000001`...; `chunk` threads per statement, so progress shows and memory stays bounded.
 */
export async function seedCheckpointHistory(
  database: Queryable,
  schema: string,
  size: HistorySize,
  progress: (line: string) => void,
  chunk = 1_000,
): Promise<void> {
  const id = `lpad(g::text, 12, '0')`;
  const thread = `'history-' || lpad(t::text, 6, '0')`;
  for (let first = 1; first <= size.threads; first += chunk) {
    const last = Math.min(size.threads, first + chunk - 1);
    progress(`seeding ${schema}: threads ${first}-${last} of ${size.threads}`);
    const values = [first, last, size.checkpointsPerThread];
    await database.query(
      `INSERT INTO ${schema}.checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
       SELECT ${thread}, '', ${id}, CASE WHEN g > 1 THEN lpad((g - 1)::text, 12, '0') END,
              jsonb_build_object('v', 4, 'id', ${id}, 'ts', '2025-01-01T00:00:00.000Z',
                'versions_seen', '{}'::jsonb,
                'channel_versions', jsonb_build_object('messages', g, 'summary', g, 'step', g)),
              jsonb_build_object('source', 'loop', 'step', g, 'parents', '{}'::jsonb)
         FROM generate_series($1::int, $2::int) t, generate_series(1, $3::int) g`,
      values,
    );
    await database.query(
      `INSERT INTO ${schema}.checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
       SELECT ${thread}, '', c, g::text, 'json', convert_to(repeat('b', 100), 'UTF8')
         FROM generate_series($1::int, $2::int) t, generate_series(1, $3::int) g,
              unnest(ARRAY['messages', 'summary', 'step']) c`,
      values,
    );
    await database.query(
      `INSERT INTO ${schema}.checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob)
       SELECT ${thread}, '', ${id}, 'task-' || g, i, 'messages', 'json', convert_to(repeat('w', 60), 'UTF8')
         FROM generate_series($1::int, $2::int) t, generate_series(1, $3::int) g,
              generate_series(0, 1) i`,
      values,
    );
  }
  progress(`vacuuming ${schema}`);
  await database.query(
    `VACUUM ANALYZE ${schema}.checkpoints, ${schema}.checkpoint_blobs, ${schema}.checkpoint_writes`,
  );
}

/**
 * The baseline of a sweep: what an operator writes by hand to keep the latest `keep` checkpoints
 * of every thread and namespace, set-based in one transaction, with no per-thread lock (a graph
 * writing meanwhile may lose blobs) and no care for DeltaChannels or pre-v4 pending sends.
 */
export async function naivePrune(database: Queryable, schema: string, keep: number): Promise<void> {
  await database.query(`BEGIN;
CREATE TEMP TABLE doomed ON COMMIT DROP AS
  SELECT thread_id, checkpoint_ns, checkpoint_id FROM (
    SELECT thread_id, checkpoint_ns, checkpoint_id, row_number() OVER (
      PARTITION BY thread_id, checkpoint_ns ORDER BY checkpoint_id DESC) AS rank
    FROM ${schema}.checkpoints) ranked
  WHERE rank > ${keep};
DELETE FROM ${schema}.checkpoint_writes w USING doomed d
  WHERE w.thread_id = d.thread_id AND w.checkpoint_ns = d.checkpoint_ns AND w.checkpoint_id = d.checkpoint_id;
DELETE FROM ${schema}.checkpoints c USING doomed d
  WHERE c.thread_id = d.thread_id AND c.checkpoint_ns = d.checkpoint_ns AND c.checkpoint_id = d.checkpoint_id;
DELETE FROM ${schema}.checkpoint_blobs b WHERE NOT EXISTS (
  SELECT FROM ${schema}.checkpoints c, jsonb_each_text(c.checkpoint -> 'channel_versions') v
  WHERE c.thread_id = b.thread_id AND c.checkpoint_ns = b.checkpoint_ns
    AND v.key = b.channel AND v.value = b.version);
COMMIT;`);
}

/** Rows of the three checkpoint tables in `schema`. */
export async function checkpointRowCount(database: BenchDatabase, schema: string): Promise<number> {
  const { rows } = await database.query<{ n: string }>(
    `SELECT (SELECT count(*) FROM ${schema}.checkpoints) + (SELECT count(*) FROM ${schema}.checkpoint_blobs)
          + (SELECT count(*) FROM ${schema}.checkpoint_writes) AS n`,
  );
  return Number(rows[0].n);
}
