/**
 * The SQL functions of migration 0003 (`retention.migration.ts`). Part of a released migration:
 * never edit one, add a migration that replaces it.
 *
 * Every function pins `search_path` and qualifies every name with the schema `s` (quoted), so no
 * caller's `search_path` can redirect it. Checkpoint timestamps are the `ts` LangGraph writes into
 * each checkpoint (ISO 8601 in UTC), compared as text in the "C" collation against a cutoff in the
 * same form: exact for LangGraph JS's `toISOString()`, and a checkpoint without one is never old.
 */

import { dollarQuote } from '../common/sql-identifier';

/** One function: its DROP signature and its CREATE statement. */
export interface SqlFunction {
  readonly signature: string;
  readonly create: string;
}

const LOCKED = 'SET search_path = pg_catalog, pg_temp';

/** `ts` text of a `timestamptz` cutoff, in the form LangGraph JS writes checkpoints' `ts`. */
function tsText(value: string): string {
  return `to_char(${value} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** `jsonb_each_text` of a checkpoint's channel versions; anything but an object reads as none. */
function versionsOf(checkpoint: string): string {
  return `jsonb_each_text(CASE WHEN jsonb_typeof(${checkpoint} -> 'channel_versions') = 'object'
    THEN ${checkpoint} -> 'channel_versions' ELSE '{}'::jsonb END)`;
}

/**
 * Whether a checkpoint is older than format v4: upstream then reads its pending sends from its
 * PARENT's `__pregel_tasks` writes (`SELECT_PENDING_SENDS_SQL`, any namespace of the thread).
 */
function isLegacy(checkpoint: string): string {
  return `(jsonb_typeof(${checkpoint} -> 'v') = 'number' AND (${checkpoint} -> 'v')::numeric < 4)`;
}

export function retentionFunctions(s: string, lockName: string): SqlFunction[] {
  const exclusive = (thread: string) =>
    `pg_advisory_xact_lock(hashtext('${lockName}'), hashtext(${thread}))`;
  const shared = (thread: string) =>
    `pg_advisory_xact_lock_shared(hashtext('${lockName}'), hashtext(${thread}))`;

  return [
    {
      signature: `${s}.checkpointer_checkpoint_writable(text, text, text, jsonb, text[])`,
      // The guard of the saver's `put`: 'writable', 'deleted' (a live deletion marker) or 'gone'.
      // 'gone': the checkpoint continues from a parent that no longer exists AND reuses a channel
      // value (a version it does not write itself) that no longer exists either: its base was
      // pruned, or its thread deleted, after the writer read it. Storing it would leave a
      // checkpoint that reads with values missing. Decided after the SHARED lock, on a fresh
      // snapshot, so a prune or deletion that committed while the write waited is seen.
      create: `CREATE FUNCTION ${s}.checkpointer_checkpoint_writable(
  p_thread_id text, p_checkpoint_ns text, p_parent_id text, p_checkpoint jsonb, p_written text[]
) RETURNS text
LANGUAGE plpgsql VOLATILE
${LOCKED}
AS ${dollarQuote(`
BEGIN
  -- PL/pgSQL, not SQL: its statements are planned once per connection, not at every put.
  PERFORM ${shared('p_thread_id')};
  IF EXISTS (
    SELECT FROM ${s}.users_threads_deleted d
    WHERE d.thread_id = p_thread_id AND d.expires_at > now()
  ) THEN
    RETURN 'deleted';
  END IF;
  -- The usual case, a parent that exists, costs one primary-key probe; the blobs are read only
  -- when the parent is gone.
  IF p_parent_id IS NOT NULL AND NOT EXISTS (
    SELECT FROM ${s}.checkpoints c
    WHERE c.thread_id = p_thread_id AND c.checkpoint_ns = p_checkpoint_ns
      AND c.checkpoint_id = p_parent_id
  ) THEN
    IF EXISTS (
      SELECT FROM ${versionsOf('p_checkpoint')} v
      WHERE NOT (v.key = ANY (p_written))
        AND NOT EXISTS (
          SELECT FROM ${s}.checkpoint_blobs b
          WHERE b.thread_id = p_thread_id AND b.checkpoint_ns = p_checkpoint_ns
            AND b.channel = v.key AND b.version = v.value
        )
    ) THEN
      RETURN 'gone';
    END IF;
  END IF;
  RETURN 'writable';
END
`)}`,
    },
    {
      signature: `${s}.checkpointer_retained_checkpoints(text, integer, timestamptz)`,
      // The checkpoints of a thread a prune keeps (every namespace): the latest of each namespace
      // always; the latest p_keep (NULL: all) that are not older than p_before (NULL: no age
      // limit); and, for a DeltaChannel a kept checkpoint does not store, its ancestors back to
      // the nearest one that does (LangGraph rebuilds the channel by replaying their writes from
      // that seed: getDeltaChannelHistory). DeltaChannels are the keys of
      // `metadata.counters_since_delta_snapshot` anywhere in the namespace.
      create: `CREATE FUNCTION ${s}.checkpointer_retained_checkpoints(
  p_thread_id text, p_keep integer, p_before timestamptz
) RETURNS TABLE (checkpoint_ns text, checkpoint_id text)
LANGUAGE plpgsql STABLE
${LOCKED}
AS ${dollarQuote(`
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH RECURSIVE cps AS (
    SELECT c.checkpoint_ns AS ns, c.checkpoint_id AS id, c.parent_checkpoint_id AS parent_id,
           c.checkpoint -> 'channel_versions' AS versions,
           row_number() OVER (PARTITION BY c.checkpoint_ns ORDER BY c.checkpoint_id DESC) AS rank,
           (c.checkpoint ->> 'ts') COLLATE "C" < ${tsText('p_before')} AS old
    FROM ${s}.checkpoints c
    WHERE c.thread_id = p_thread_id
  ), kept AS (
    SELECT ns, id, parent_id, versions FROM cps
    WHERE rank = 1 OR ((p_keep IS NULL OR rank <= p_keep) AND old IS NOT TRUE)
  ), delta AS (
    SELECT DISTINCT c.checkpoint_ns AS ns, k.channel
    FROM ${s}.checkpoints c,
         jsonb_object_keys(CASE WHEN jsonb_typeof(c.metadata -> 'counters_since_delta_snapshot') = 'object'
           THEN c.metadata -> 'counters_since_delta_snapshot' ELSE '{}'::jsonb END) AS k(channel)
    WHERE c.thread_id = p_thread_id AND c.metadata ? 'counters_since_delta_snapshot'
  ), walk (ns, id, channel) AS (
    SELECT k.ns, k.parent_id, d.channel
    FROM kept k JOIN delta d ON d.ns = k.ns
    WHERE k.parent_id IS NOT NULL AND NOT EXISTS (
      SELECT FROM ${s}.checkpoint_blobs b
      WHERE b.thread_id = p_thread_id AND b.checkpoint_ns = k.ns AND b.channel = d.channel
        AND b.version = k.versions ->> d.channel AND b.type <> 'empty'
    )
    UNION
    SELECT w.ns, c.parent_id, w.channel
    FROM walk w JOIN cps c ON c.ns = w.ns AND c.id = w.id
    WHERE c.parent_id IS NOT NULL AND NOT EXISTS (
      SELECT FROM ${s}.checkpoint_blobs b
      WHERE b.thread_id = p_thread_id AND b.checkpoint_ns = c.ns AND b.channel = w.channel
        AND b.version = c.versions ->> w.channel AND b.type <> 'empty'
    )
  )
  SELECT kept.ns, kept.id FROM kept
  UNION
  SELECT c.ns, c.id FROM walk w JOIN cps c ON c.ns = w.ns AND c.id = w.id;
END
`)}`,
    },
    {
      signature: `${s}.checkpointer_prune_thread(text, integer, timestamptz, integer, boolean)`,
      // One prune step of one thread, under its EXCLUSIVE lock (none for a dry run, which
      // changes nothing): deletes the oldest p_limit (NULL: all) checkpoints that
      // checkpointer_retained_checkpoints does not keep, their writes (and late writes of
      // checkpoints pruned before), and every blob of the thread that no remaining checkpoint
      // references through its channel_versions. It keeps the __pregel_tasks writes of the
      // parent of a remaining pre-v4 checkpoint (upstream reads them as that checkpoint's
      // pending sends). `remaining`: prunable checkpoints left for a next step.
      create: `CREATE FUNCTION ${s}.checkpointer_prune_thread(
  p_thread_id text, p_keep integer, p_before timestamptz, p_limit integer, p_dry_run boolean
) RETURNS TABLE (
  checkpoints integer, checkpoint_blobs integer, checkpoint_writes integer, remaining integer
)
LANGUAGE plpgsql VOLATILE
${LOCKED}
AS ${dollarQuote(`
#variable_conflict use_column
BEGIN
  IF NOT p_dry_run THEN
    PERFORM ${exclusive('p_thread_id')};
  END IF;
  -- A fresh snapshot, taken after the lock was granted: every write committed before is seen.
  RETURN QUERY
  WITH retained AS (
    SELECT * FROM ${s}.checkpointer_retained_checkpoints(p_thread_id, p_keep, p_before)
  ), candidates AS (
    SELECT c.checkpoint_ns, c.checkpoint_id FROM ${s}.checkpoints c
    WHERE c.thread_id = p_thread_id AND NOT EXISTS (
      SELECT FROM retained r
      WHERE r.checkpoint_ns = c.checkpoint_ns AND r.checkpoint_id = c.checkpoint_id
    )
  ), doomed AS (
    SELECT * FROM candidates ORDER BY checkpoint_id, checkpoint_ns LIMIT p_limit
  ), survivors AS (
    SELECT c.checkpoint_ns, c.parent_checkpoint_id, c.checkpoint FROM ${s}.checkpoints c
    WHERE c.thread_id = p_thread_id AND NOT EXISTS (
      SELECT FROM doomed d
      WHERE d.checkpoint_ns = c.checkpoint_ns AND d.checkpoint_id = c.checkpoint_id
    )
  ), referenced AS (
    SELECT DISTINCT sv.checkpoint_ns, v.key AS channel, v.value AS version
    FROM survivors sv, ${versionsOf('sv.checkpoint')} v
  ), legacy_parents AS (
    SELECT DISTINCT sv.parent_checkpoint_id AS checkpoint_id FROM survivors sv
    WHERE sv.parent_checkpoint_id IS NOT NULL AND ${isLegacy('sv.checkpoint')}
  ), doomed_blobs AS (
    SELECT b.checkpoint_ns, b.channel, b.version FROM ${s}.checkpoint_blobs b
    WHERE b.thread_id = p_thread_id AND NOT EXISTS (
      SELECT FROM referenced r
      WHERE r.checkpoint_ns = b.checkpoint_ns AND r.channel = b.channel AND r.version = b.version
    )
  ), latest AS (
    SELECT c.checkpoint_ns, max(c.checkpoint_id) AS checkpoint_id FROM ${s}.checkpoints c
    WHERE c.thread_id = p_thread_id GROUP BY c.checkpoint_ns
  ), doomed_writes AS (
    SELECT w.checkpoint_ns, w.checkpoint_id, w.task_id, w.idx
    FROM ${s}.checkpoint_writes w
    WHERE w.thread_id = p_thread_id
      AND (
        EXISTS (
          SELECT FROM doomed d
          WHERE d.checkpoint_ns = w.checkpoint_ns AND d.checkpoint_id = w.checkpoint_id
        )
        -- A late write of a checkpoint already pruned (LangGraph may still be sending a step's
        -- writes when the next checkpoint is stored): older than its namespace's latest
        -- checkpoint, it can never be read. Writes of a checkpoint not stored YET are newer.
        OR (
          NOT EXISTS (
            SELECT FROM ${s}.checkpoints c
            WHERE c.thread_id = p_thread_id AND c.checkpoint_ns = w.checkpoint_ns
              AND c.checkpoint_id = w.checkpoint_id
          )
          AND w.checkpoint_id < (
            SELECT l.checkpoint_id FROM latest l WHERE l.checkpoint_ns = w.checkpoint_ns
          )
        )
      )
      AND NOT (w.channel = '__pregel_tasks'
               AND w.checkpoint_id IN (SELECT lp.checkpoint_id FROM legacy_parents lp))
  ), deleted_checkpoints AS (
    DELETE FROM ${s}.checkpoints c USING doomed d
    WHERE NOT p_dry_run AND c.thread_id = p_thread_id
      AND c.checkpoint_ns = d.checkpoint_ns AND c.checkpoint_id = d.checkpoint_id
    RETURNING 1
  ), deleted_blobs AS (
    DELETE FROM ${s}.checkpoint_blobs b USING doomed_blobs d
    WHERE NOT p_dry_run AND b.thread_id = p_thread_id AND b.checkpoint_ns = d.checkpoint_ns
      AND b.channel = d.channel AND b.version = d.version
    RETURNING 1
  ), deleted_writes AS (
    DELETE FROM ${s}.checkpoint_writes w USING doomed_writes d
    WHERE NOT p_dry_run AND w.thread_id = p_thread_id AND w.checkpoint_ns = d.checkpoint_ns
      AND w.checkpoint_id = d.checkpoint_id AND w.task_id = d.task_id AND w.idx = d.idx
    RETURNING 1
  )
  SELECT
    (CASE WHEN p_dry_run THEN (SELECT count(*) FROM doomed)
          ELSE (SELECT count(*) FROM deleted_checkpoints) END)::int,
    (CASE WHEN p_dry_run THEN (SELECT count(*) FROM doomed_blobs)
          ELSE (SELECT count(*) FROM deleted_blobs) END)::int,
    (CASE WHEN p_dry_run THEN (SELECT count(*) FROM doomed_writes)
          ELSE (SELECT count(*) FROM deleted_writes) END)::int,
    ((SELECT count(*) FROM candidates) - (SELECT count(*) FROM doomed))::int;
END
`)}`,
    },
    {
      signature: `${s}.checkpointer_reset_thread(text)`,
      // Upstream's deleteThread (blobs, checkpoints and writes of every namespace, no marker: the
      // id can be used again at once) under the thread's EXCLUSIVE lock: a write in flight either
      // committed before (and is deleted) or waits and then sees its base gone.
      create: `CREATE FUNCTION ${s}.checkpointer_reset_thread(p_thread_id text)
RETURNS TABLE (checkpoints integer, checkpoint_blobs integer, checkpoint_writes integer)
LANGUAGE plpgsql VOLATILE
${LOCKED}
AS ${dollarQuote(`
DECLARE
  v_checkpoints integer;
  v_blobs integer;
  v_writes integer;
BEGIN
  -- PL/pgSQL, not SQL: planned once per connection, and the counts come from ROW_COUNT instead
  -- of RETURNING every deleted row (which cost 1.4x upstream's deletion of a 10,000-checkpoint
  -- thread). Each DELETE below runs on a snapshot taken after the lock, as in a SQL function.
  PERFORM ${exclusive('p_thread_id')};
  DELETE FROM ${s}.checkpoint_blobs b WHERE b.thread_id = p_thread_id;
  GET DIAGNOSTICS v_blobs = ROW_COUNT;
  DELETE FROM ${s}.checkpoint_writes w WHERE w.thread_id = p_thread_id;
  GET DIAGNOSTICS v_writes = ROW_COUNT;
  DELETE FROM ${s}.checkpoints c WHERE c.thread_id = p_thread_id;
  GET DIAGNOSTICS v_checkpoints = ROW_COUNT;
  RETURN QUERY SELECT v_checkpoints, v_blobs, v_writes;
END
`)}`,
    },
    {
      signature: `${s}.checkpointer_expire_thread(text, timestamptz, integer, boolean)`,
      // Deletes a thread inactive since p_before, deciding under its EXCLUSIVE lock (none for a
      // dry run, which changes nothing and counts what would go). Active means a run recorded
      // (users_threads.last_run_at) or a checkpoint written (its ts, or no ts at all) since
      // p_before. A thread of users_threads goes through checkpointer_delete_thread (its runs,
      // its marker for p_marker_days, its owner's counter); a bare checkpoint thread (the saver
      // used without ThreadService) goes as checkpointer_reset_thread deletes it: no marker.
      create: `CREATE FUNCTION ${s}.checkpointer_expire_thread(
  p_thread_id text, p_before timestamptz, p_marker_days integer, p_dry_run boolean
) RETURNS TABLE (
  users_threads integer, users_threads_runs integer, checkpoints integer,
  checkpoint_blobs integer, checkpoint_writes integer
)
LANGUAGE plpgsql VOLATILE
${LOCKED}
AS ${dollarQuote(`
#variable_conflict use_column
DECLARE
  v_before_ts text := ${tsText('p_before')};
  v_owner text;
  v_last_run timestamptz;
BEGIN
  IF NOT p_dry_run THEN
    PERFORM ${exclusive('p_thread_id')};
  END IF;
  -- Each statement below reads a fresh snapshot, taken after the lock was granted.
  SELECT t.owner_email, t.last_run_at INTO v_owner, v_last_run
  FROM ${s}.users_threads t WHERE t.thread_id = p_thread_id;
  IF v_last_run >= p_before THEN
    RETURN;
  END IF;
  IF EXISTS (
    SELECT FROM ${s}.checkpoints c
    WHERE c.thread_id = p_thread_id
      AND coalesce(c.checkpoint ->> 'ts', '~') COLLATE "C" >= v_before_ts
  ) THEN
    RETURN;
  END IF;
  IF v_owner IS NULL AND NOT EXISTS (
    SELECT FROM ${s}.checkpoints c WHERE c.thread_id = p_thread_id
  ) THEN
    RETURN;
  END IF;
  IF p_dry_run THEN
    RETURN QUERY SELECT
      (v_owner IS NOT NULL)::int,
      (SELECT count(*)::int FROM ${s}.users_threads_runs r
        WHERE r.thread_id = p_thread_id AND v_owner IS NOT NULL),
      (SELECT count(*)::int FROM ${s}.checkpoints c WHERE c.thread_id = p_thread_id),
      (SELECT count(*)::int FROM ${s}.checkpoint_blobs b WHERE b.thread_id = p_thread_id),
      (SELECT count(*)::int FROM ${s}.checkpoint_writes w WHERE w.thread_id = p_thread_id);
  ELSIF v_owner IS NOT NULL THEN
    RETURN QUERY SELECT * FROM ${s}.checkpointer_delete_thread(p_thread_id, v_owner, p_marker_days);
  ELSE
    RETURN QUERY SELECT 0, 0, r.checkpoints, r.checkpoint_blobs, r.checkpoint_writes
      FROM ${s}.checkpointer_reset_thread(p_thread_id) r;
  END IF;
END
`)}`,
    },
    {
      signature: `${s}.checkpointer_copy_thread(text, text, text, text)`,
      // ThreadService.copyThread: a new thread p_target owned by p_owner with the latest state of
      // p_owner's thread p_source (what a prune keeping 1 would keep: every namespace's latest
      // checkpoint, with the ancestors its DeltaChannels replay), their blobs and writes, all under
      // the new id. Under p_source's SHARED lock, so it sees every write committed before it, and
      // neither a deletion nor a prune of p_source runs meanwhile. Run again with the same
      // p_target (a retry after a lost reply), it copies nothing more and returns the copy.
      // outcome: 'copied', 'deleted' (the owner deleted p_source) or 'not_found'.
      create: `CREATE FUNCTION ${s}.checkpointer_copy_thread(
  p_source text, p_target text, p_owner text, p_title text
) RETURNS TABLE (
  outcome text, thread_id text, title text, first_prompt text, created_at timestamptz,
  last_run_at timestamptz, run_count integer
)
LANGUAGE sql VOLATILE
${LOCKED}
AS ${dollarQuote(`
  SELECT ${shared('p_source')};
  WITH source AS (
    SELECT t.title, t.first_prompt FROM ${s}.users_threads t
    WHERE t.thread_id = p_source AND t.owner_email = p_owner
  ), copy AS (
    INSERT INTO ${s}.users_threads (thread_id, owner_email, title, first_prompt, run_count, auto_title)
    SELECT p_target, p_owner, coalesce(p_title, source.title), source.first_prompt, 0, false
    FROM source
    ON CONFLICT (thread_id) DO NOTHING
    RETURNING thread_id, title, first_prompt, created_at, last_run_at, run_count
  ), counted AS (
    INSERT INTO ${s}.users_thread_counts AS counts (owner_email, thread_count)
    SELECT p_owner, 1 FROM copy
    ON CONFLICT (owner_email) DO UPDATE SET thread_count = counts.thread_count + 1
  ), cps AS (
    SELECT c.* FROM ${s}.checkpoints c
    JOIN ${s}.checkpointer_retained_checkpoints(p_source, 1, NULL) r
      ON r.checkpoint_ns = c.checkpoint_ns AND r.checkpoint_id = c.checkpoint_id
    WHERE c.thread_id = p_source AND EXISTS (SELECT FROM copy)
  ), copied_checkpoints AS (
    INSERT INTO ${s}.checkpoints
      (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata)
    SELECT p_target, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.type,
           c.checkpoint, c.metadata
    FROM cps c
  ), copied_blobs AS (
    INSERT INTO ${s}.checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
    SELECT p_target, b.checkpoint_ns, b.channel, b.version, b.type, b.blob
    FROM ${s}.checkpoint_blobs b
    WHERE b.thread_id = p_source AND EXISTS (
      SELECT FROM cps c, ${versionsOf('c.checkpoint')} v
      WHERE c.checkpoint_ns = b.checkpoint_ns AND v.key = b.channel AND v.value = b.version
    )
  ), copied_writes AS (
    INSERT INTO ${s}.checkpoint_writes
      (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob)
    SELECT p_target, w.checkpoint_ns, w.checkpoint_id, w.task_id, w.idx, w.channel, w.type, w.blob
    FROM ${s}.checkpoint_writes w
    WHERE w.thread_id = p_source AND (
      EXISTS (
        SELECT FROM cps c
        WHERE c.checkpoint_ns = w.checkpoint_ns AND c.checkpoint_id = w.checkpoint_id
      )
      OR (w.channel = '__pregel_tasks' AND w.checkpoint_id IN (
        SELECT c.parent_checkpoint_id FROM cps c WHERE ${isLegacy('c.checkpoint')}
      ))
    )
  ), result AS (
    SELECT * FROM copy
    UNION ALL
    SELECT t.thread_id, t.title, t.first_prompt, t.created_at, t.last_run_at, t.run_count
    FROM ${s}.users_threads t
    WHERE t.thread_id = p_target AND t.owner_email = p_owner AND NOT EXISTS (SELECT FROM copy)
  )
  SELECT 'copied', r.thread_id, r.title, r.first_prompt, r.created_at, r.last_run_at, r.run_count
  FROM result r
  UNION ALL
  SELECT CASE WHEN EXISTS (
           SELECT FROM ${s}.users_threads_deleted d
           WHERE d.thread_id = p_source AND d.owner_email = p_owner AND d.expires_at > now()
         ) THEN 'deleted' ELSE 'not_found' END,
         NULL, NULL, NULL, NULL, NULL, NULL
  WHERE NOT EXISTS (SELECT FROM result);
`)}`,
    },
  ];
}
