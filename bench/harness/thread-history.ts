/** Something that runs SQL: a `pg.Client`, a `pg.Pool`, a `BenchDatabase`. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/** The users, threads and runs of a seeded history. */
export interface HistoryShape {
  /** Threads in all. */
  readonly threads: number;
  /** Runs of every thread. */
  readonly runsPerThread: number;
  /** Users in all: the heavy one, the light one and the ordinary ones sharing the rest. */
  readonly users: number;
  /** Threads of `HEAVY_USER`. */
  readonly heavyThreads: number;
  /** Threads of `LIGHT_USER`. */
  readonly lightThreads: number;
}

/** The user with a long history. */
export const HEAVY_USER = 'heavy@example.com';
/** A user with a short history, among everyone else's. */
export const LIGHT_USER = 'light@example.com';

/**
 * Thread `t` of the history (`$1` threads, `$2` heavy, `$3` light, `$4` users, `$5` runs per
 * thread, `$6` and `$7` the heavy and light users): a UUID-like id, its owner, its first prompt, when its first run was and the time
 * between its runs (3 to 59 minutes). Latest runs are 5 minutes apart in a shuffled order (`t`
 * times a prime modulo the number of threads), so every user's threads are spread over the whole
 * period among everyone else's, and no two threads tie on latest activity: the original's query,
 * which has no tie-breaker, then lists them in one order only, which ours is checked against.
 * Deterministic, so that ours and the original's tables hold the same history.
 */
const THREADS = `SELECT t, thread_id, owner_email, first_prompt, gap,
       last_run_at - gap * ($5::int - 1) AS started_at
  FROM (
    SELECT t,
           md5('thread-' || t)::uuid::text AS thread_id,
           CASE WHEN t < $2::int THEN $6::text
                WHEN t < $2::int + $3::int THEN $7::text
                ELSE 'user-' || lpad(((t - $2::int - $3::int) % ($4::int - 2))::text, 4, '0')
                     || '@example.com'
           END AS owner_email,
           'Question ' || t || ': which regions grew fastest last year, and why?' AS first_prompt,
           make_interval(mins => 3 + t % 57) AS gap,
           timestamptz '2025-01-01 00:00:00+00'
             + make_interval(secs => (t::bigint * 7919 % $1::int) * 300) AS last_run_at
      FROM generate_series(0, $1::int - 1) t
  ) threads`;

/**
 * Seeds `schema` (our tables, as the migrations created them) with `shape`'s history, in
 * set-based statements, rows in the order a live system would have appended them. The counter
 * holds each user's number of threads, as `recordRun` would have kept it.
 */
export async function seedOurHistory(
  database: Queryable,
  schema: string,
  shape: HistoryShape,
): Promise<void> {
  const { threads, heavyThreads, lightThreads, users, runsPerThread } = shape;
  const values = [
    threads,
    heavyThreads,
    lightThreads,
    users,
    runsPerThread,
    HEAVY_USER,
    LIGHT_USER,
  ];
  await database.query(
    `INSERT INTO ${schema}.users_threads
       (thread_id, owner_email, title, first_prompt, created_at, last_run_at, run_count)
     SELECT thread_id, owner_email, 'Question ' || t, first_prompt,
            started_at, started_at + gap * ($5::int - 1), $5::int
       FROM (${THREADS}) threads
      ORDER BY started_at`,
    values,
  );
  // Every fourth run rated up and every fourth down, the rest not rated.
  await database.query(
    `INSERT INTO ${schema}.users_threads_runs
       (run_id, thread_id, prompt, created_at, sentiment, sentiment_at)
     SELECT md5(thread_id || '/' || k)::uuid, thread_id,
            CASE WHEN k = 0 THEN first_prompt
                 ELSE 'Follow-up ' || k || ': and how does that compare with the year before?' END,
            started_at + gap * k,
            CASE k % 4 WHEN 1 THEN true WHEN 2 THEN false END,
            CASE WHEN k % 4 IN (1, 2) THEN started_at + gap * k + interval '1 minute' END
       FROM (${THREADS}) threads, generate_series(0, $5::int - 1) k
      ORDER BY started_at + gap * k`,
    values,
  );
  await database.query(
    `INSERT INTO ${schema}.users_thread_counts (owner_email, thread_count)
     SELECT owner_email, count(*) FROM ${schema}.users_threads GROUP BY owner_email`,
  );
}

/**
 * The original's table (`reference/original.md` section 3: one row per run, its three indexes) in
 * `originalSchema`, holding the same runs as our tables in `ourSchema`, appended in time order.
 * Indexes are built after the rows, which leaves the same indexes as building them first.
 */
export async function buildOriginalTable(
  database: Queryable,
  ourSchema: string,
  originalSchema: string,
): Promise<void> {
  const table = `${originalSchema}.users_threads_runs`;
  await database.query(`CREATE SCHEMA ${originalSchema}`);
  await database.query(`CREATE TABLE ${table} (
    id SERIAL PRIMARY KEY,
    email VARCHAR(255) NOT NULL,
    thread_id VARCHAR(255) NOT NULL,
    run_id VARCHAR(255) UNIQUE NOT NULL,
    prompt TEXT,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    sentiment BOOLEAN DEFAULT NULL
  )`);
  await database.query(
    `INSERT INTO ${table} (email, thread_id, run_id, prompt, timestamp, sentiment)
     SELECT t.owner_email, r.thread_id, r.run_id::text, r.prompt,
            r.created_at AT TIME ZONE 'UTC', r.sentiment
       FROM ${ourSchema}.users_threads_runs r
       JOIN ${ourSchema}.users_threads t USING (thread_id)
      ORDER BY r.created_at`,
  );
  await database.query(`CREATE INDEX idx_users_threads_runs_email ON ${table}(email)`);
  await database.query(`CREATE INDEX idx_users_threads_runs_thread_id ON ${table}(thread_id)`);
  await database.query(
    `CREATE INDEX idx_users_threads_runs_email_thread ON ${table}(email, thread_id)`,
  );
}

/** The original's `get_user_chat_threads` with a limit (section 4), on `schema`'s table. */
export function originalListingQuery(schema: string): string {
  return `SELECT
    thread_id,
    MAX(timestamp) as latest_timestamp,
    COUNT(*) as run_count,
    (SELECT prompt FROM ${schema}.users_threads_runs utr2
     WHERE utr2.email = $1 AND utr2.thread_id = utr.thread_id
     ORDER BY timestamp ASC LIMIT 1) as first_prompt
FROM ${schema}.users_threads_runs utr
WHERE email = $2
GROUP BY thread_id
ORDER BY latest_timestamp DESC LIMIT $3 OFFSET $4`;
}

/** The original's `get_user_chat_threads_count` (section 4), on `schema`'s table. */
export function originalCountQuery(schema: string): string {
  return `SELECT COUNT(DISTINCT thread_id) as total_threads FROM ${schema}.users_threads_runs WHERE email = $1`;
}
