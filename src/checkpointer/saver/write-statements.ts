import { quoteIdentifier } from '../common/sql-identifier';

/** One SQL statement with its `$n` parameters, ready for `pool.query(text, values)`. */
export interface Statement {
  readonly text: string;
  readonly values: unknown[];
}

/** A `checkpoint_blobs` row exactly as upstream `_dumpBlobs` produces it. */
export type BlobRow = readonly [
  threadId: unknown,
  checkpointNs: unknown,
  channel: string,
  version: string,
  type: string,
  blob: Uint8Array | undefined,
];

/** A `checkpoint_writes` row exactly as upstream `_dumpWrites` produces it. */
export type WriteRow = readonly [
  threadId: unknown,
  checkpointNs: unknown,
  checkpointId: unknown,
  taskId: unknown,
  idx: number,
  channel: string,
  type: string,
  blob: Uint8Array,
];

/** The `checkpoints` row upstream's `UPSERT_CHECKPOINTS_SQL` writes. */
export interface CheckpointRow {
  readonly threadId: unknown;
  readonly checkpointNs: unknown;
  readonly checkpointId: unknown;
  readonly parentCheckpointId: unknown;
  /** The checkpoint without `channel_values` (upstream `_dumpCheckpoint`). */
  readonly checkpoint: unknown;
  /** The metadata as JSON (upstream `_dumpMetadata`). */
  readonly metadata: unknown;
}

/**
 * Above this many rows, `bytea` values travel as one array literal instead of one parameter
 * each, to stay far below the protocol's 65,535-parameter limit. Below it, each blob is its own
 * parameter because pg sends Buffers in binary, while an array literal hex-encodes them: twice
 * the bytes, and about 4x slower for 200 kB blobs on loopback.
 */
export const MAX_BINARY_BLOB_PARAMETERS = 1000;

/**
 * With `guarded`, a statement starts with a `guard` CTE and ends by selecting its `status`: its
 * rows are written only when the status is `'writable'`, decided inside the statement by a
 * function of the schema that first takes the thread's SHARED advisory lock (so it serializes
 * against `ThreadService.deleteThread` and the retention prunes, which take it EXCLUSIVE) and
 * then reads on a fresh snapshot. `'deleted'`: the thread has a deletion marker
 * (`schema/thread-lifecycle.migration.ts`). `'gone'` (checkpoints only): the checkpoint builds on
 * a parent and channel values that no longer exist (`schema/retention.functions.ts`). Either way
 * nothing was stored.
 */
function writesGuard(s: string): string {
  return `guard AS (SELECT CASE WHEN ${s}.checkpointer_thread_writable($1::text) THEN 'writable' ELSE 'deleted' END AS status)`;
}

/** `guard` of a checkpoint: `written` is the `text[]` of the channels whose blobs it writes. */
function checkpointGuard(s: string, written: string): string {
  return `guard AS (SELECT ${s}.checkpointer_checkpoint_writable($1::text, $2::text, $4::text, $5::jsonb, ${written}) AS status)`;
}

const WRITABLE = "(SELECT status FROM guard) = 'writable'";

/**
 * Upstream `put` as one statement: the blob inserts (`ON CONFLICT DO NOTHING`) in a
 * data-modifying CTE over `unnest`, and the checkpoint upsert (`DO UPDATE SET checkpoint,
 * metadata`). Same tables, columns and conflict handling as upstream's N+1 statements inside
 * BEGIN/COMMIT; a single statement is atomic by itself. `guarded`: see `checkpointGuard`.
 */
export function putCheckpointStatement(
  schema: string,
  row: CheckpointRow,
  blobs: readonly BlobRow[],
  guarded = false,
): Statement {
  const s = quoteIdentifier(schema);
  const values: unknown[] = [
    row.threadId,
    row.checkpointNs,
    row.checkpointId,
    row.parentCheckpointId,
    row.checkpoint,
    row.metadata,
  ];
  const row6 = '$1::text, $2::text, $3::text, $4::text, $5::jsonb, $6::jsonb';
  const checkpointRow = guarded ? `SELECT ${row6}\nWHERE ${WRITABLE}` : `VALUES (${row6})`;
  const upsertCheckpoint = `INSERT INTO ${s}.checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
${checkpointRow}
ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id)
DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata`;
  const channels =
    blobs.length > 0
      ? param(
          values,
          blobs.map((b) => b[2]),
        )
      : undefined;
  const ctes: string[] = guarded
    ? [checkpointGuard(s, channels === undefined ? "'{}'::text[]" : `${channels}::text[]`)]
    : [];
  if (channels !== undefined) {
    const versions = param(
      values,
      blobs.map((b) => b[3]),
    );
    const types = param(
      values,
      blobs.map((b) => b[4]),
    );
    const payloads = byteaArray(
      values,
      blobs.map((b) => b[5]),
    );
    ctes.push(`blobs AS (
  INSERT INTO ${s}.checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
  SELECT $1::text, $2::text, b.channel, b.version, b.type, b.blob
  FROM unnest(${channels}::text[], ${versions}::text[], ${types}::text[], ${payloads}) AS b(channel, version, type, blob)${guarded ? `\n  WHERE ${WRITABLE}` : ''}
  ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING
)`);
  }
  if (!guarded) {
    return {
      text: ctes.length === 0 ? upsertCheckpoint : `WITH ${ctes.join(', ')}\n${upsertCheckpoint}`,
      values,
    };
  }
  ctes.push(`checkpoint AS (\n${upsertCheckpoint}\n)`);
  return { text: `WITH ${ctes.join(', ')}\nSELECT status FROM guard`, values };
}

/**
 * Upstream `putWrites` as one statement. `upsert` is upstream's choice (every channel in
 * `WRITES_IDX_MAP`): `DO UPDATE SET channel, type, blob`; otherwise `DO NOTHING`. `guarded`: see
 * `writesGuard`.
 *
 * Upstream runs one INSERT per write, in order, so among writes sharing a key (only special
 * channels can: they share their `WRITES_IDX_MAP` index) the last one wins an upsert and the
 * first one wins a DO NOTHING insert. One statement may not touch a row twice, so those
 * duplicates are resolved here, to the same outcome.
 *
 * Returns `undefined` for no writes: upstream then runs an empty transaction.
 */
export function putWritesStatement(
  schema: string,
  writes: readonly WriteRow[],
  upsert: boolean,
  guarded = false,
): Statement | undefined {
  const rows = distinctByIdx(writes, upsert ? 'last' : 'first');
  if (rows.length === 0) return undefined;
  const s = quoteIdentifier(schema);
  const [threadId, checkpointNs, checkpointId, taskId] = rows[0];
  const values: unknown[] = [threadId, checkpointNs, checkpointId, taskId];
  const idx = param(
    values,
    rows.map((w) => w[4]),
  );
  const channels = param(
    values,
    rows.map((w) => w[5]),
  );
  const types = param(
    values,
    rows.map((w) => w[6]),
  );
  const payloads = byteaArray(
    values,
    rows.map((w) => w[7]),
  );
  const onConflict = upsert
    ? 'DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob'
    : 'DO NOTHING';
  const insert = `INSERT INTO ${s}.checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob)
SELECT $1::text, $2::text, $3::text, $4::text, w.idx, w.channel, w.type, w.blob
FROM unnest(${idx}::int4[], ${channels}::text[], ${types}::text[], ${payloads}) AS w(idx, channel, type, blob)${guarded ? `\nWHERE ${WRITABLE}` : ''}
ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) ${onConflict}`;
  if (!guarded) return { text: insert, values };
  return {
    text: `WITH ${writesGuard(s)}, written AS (\n${insert}\n)\nSELECT status FROM guard`,
    values,
  };
}

/**
 * Upstream `deleteThread` as one statement: its three DELETEs (blobs, checkpoints, writes of the
 * thread, every namespace) as data-modifying CTEs. One statement is atomic by itself, so it needs
 * none of upstream's checkout, BEGIN and COMMIT: one round trip instead of five. Each DELETE
 * keeps upstream's `thread_id = $1`, the leading column of every table's primary key.
 *
 * `guarded`: the same deletion by `checkpointer_reset_thread` of the schema, still one statement,
 * which first takes the thread's EXCLUSIVE lock and deletes on a fresh snapshot, so a write in
 * flight can neither survive half-deleted nor build on what was deleted (see `checkpointGuard`).
 */
export function deleteThreadStatement(
  schema: string,
  threadId: unknown,
  guarded = false,
): Statement {
  const s = quoteIdentifier(schema);
  if (guarded) {
    return { text: `SELECT * FROM ${s}.checkpointer_reset_thread($1::text)`, values: [threadId] };
  }
  const text = `WITH blobs AS (
  DELETE FROM ${s}.checkpoint_blobs WHERE thread_id = $1::text
), writes AS (
  DELETE FROM ${s}.checkpoint_writes WHERE thread_id = $1::text
)
DELETE FROM ${s}.checkpoints WHERE thread_id = $1::text`;
  return { text, values: [threadId] };
}

/**
 * One row per `idx`, keeping the first or the last occurrence, in first-seen order. The other
 * key columns (thread, namespace, checkpoint, task) are the same for every row of one call.
 */
export function distinctByIdx(rows: readonly WriteRow[], keep: 'first' | 'last'): WriteRow[] {
  const byIdx = new Map<number, WriteRow>();
  for (const row of rows) {
    if (keep === 'last' || !byIdx.has(row[4])) byIdx.set(row[4], row);
  }
  return byIdx.size === rows.length ? [...rows] : [...byIdx.values()];
}

/** Appends `value` as the next parameter and returns its placeholder. */
function param(values: unknown[], value: unknown): string {
  values.push(value);
  return `$${values.length}`;
}

/** A `bytea[]` expression for `unnest`: binary parameters, or one array past the limit. */
function byteaArray(values: unknown[], blobs: readonly (Uint8Array | undefined)[]): string {
  if (blobs.length > MAX_BINARY_BLOB_PARAMETERS) return `${param(values, blobs)}::bytea[]`;
  return `ARRAY[${blobs.map((blob) => `${param(values, blob)}::bytea`).join(', ')}]::bytea[]`;
}
