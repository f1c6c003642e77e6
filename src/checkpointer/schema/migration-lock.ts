import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { MigrationLockTimeoutError } from '../common/checkpointer.errors';
import { MIGRATION_TABLE } from './migrations';

/** How the wait for the migration lock is bounded and reported. */
export interface MigrationLockWait {
  readonly schema: string;
  readonly timeoutMs: number;
  readonly warn: (message: string) => void;
}

/** First WARN after this long, then one every `WARN_EVERY_MS`. */
const FIRST_WARN_MS = 1_000;
const WARN_EVERY_MS = 10_000;
/** Polls start fast (a replica's migration often takes less than a second) and level off. */
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 250;

/**
 * The session advisory lock every replica's migration of `schema` takes, as pg_locks shows it:
 * `pg_advisory_lock(int4, int4)` puts the keys in `classid` and `objid` (as oids), `objsubid` 2.
 */
const LOCK_KEYS = 'hashtext($1), hashtext($2)';

/**
 * Takes the migration lock on `client`, waiting at most `timeoutMs` for another session to let
 * go of it. Polls `pg_try_advisory_lock` rather than blocking in `pg_advisory_lock`: the wait
 * stays bounded whatever the connection's `statement_timeout`, and between polls the holder can
 * be looked up and logged. (`SET lock_timeout` would bound a blocking wait too, since advisory
 * locks honour it, but would log nothing meanwhile.)
 */
export async function acquireMigrationLock(
  client: pg.Client,
  { schema, timeoutMs, warn }: MigrationLockWait,
): Promise<void> {
  const keys = [MIGRATION_TABLE, schema];
  const started = performance.now();
  let nextWarnMs = FIRST_WARN_MS;
  for (let poll = 0; ; poll += 1) {
    const { rows } = await client.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock(${LOCK_KEYS}) AS locked`,
      keys,
    );
    if (rows[0].locked) return;
    const waitedMs = performance.now() - started;
    if (waitedMs >= timeoutMs) {
      const holder = await findHolder(client, keys);
      throw new MigrationLockTimeoutError(
        `schema "${schema}": the migration lock was not acquired within ${timeoutMs} ms ` +
          `(migrationLockTimeoutMs): it is held by ${describeHolder(holder)}. ` +
          `Find its holder with: ${holderQuery(holder.classid, holder.objid)}; ` +
          'end that session if it is stuck (SELECT pg_terminate_backend(pid)), or raise migrationLockTimeoutMs.',
        timeoutMs,
        holder.pid,
      );
    }
    if (waitedMs >= nextWarnMs) {
      const holder = await findHolder(client, keys);
      warn(
        `schema "${schema}": waiting for the migration lock held by ${describeHolder(holder)} ` +
          `for ${Math.floor(waitedMs / 1000)} s; giving up after ${timeoutMs} ms (migrationLockTimeoutMs)`,
      );
      nextWarnMs += WARN_EVERY_MS;
    }
    const pause = Math.min(FIRST_POLL_MS * 2 ** poll, MAX_POLL_MS);
    await sleep(Math.max(1, Math.min(pause, timeoutMs - waitedMs, nextWarnMs - waitedMs)));
  }
}

/** Releases the lock `acquireMigrationLock` took on `client`. */
export async function releaseMigrationLock(client: pg.Client, schema: string): Promise<void> {
  await client.query(`SELECT pg_advisory_unlock(${LOCK_KEYS})`, [MIGRATION_TABLE, schema]);
}

interface LockHolder {
  readonly classid: string;
  readonly objid: string;
  readonly pid: number | undefined;
  readonly applicationName: string | null;
  readonly state: string | null;
}

/** The lock's keys, and the session holding it (none if it let go meanwhile, or is not visible). */
async function findHolder(client: pg.Client, keys: readonly string[]): Promise<LockHolder> {
  const { rows } = await client.query<{
    classid: string;
    objid: string;
    pid: number | null;
    application_name: string | null;
    state: string | null;
  }>(
    `SELECT k.classid::text, k.objid::text, h.pid, h.application_name, h.state
     FROM (SELECT hashtext($1)::oid AS classid, hashtext($2)::oid AS objid) k
     LEFT JOIN LATERAL (
       SELECT l.pid, a.application_name, a.state
       FROM pg_locks l JOIN pg_stat_activity a USING (pid)
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
         AND l.classid = k.classid AND l.objid = k.objid
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       LIMIT 1
     ) h ON true`,
    [...keys],
  );
  const row = rows[0];
  return {
    classid: row.classid,
    objid: row.objid,
    pid: row.pid ?? undefined,
    applicationName: row.application_name,
    state: row.state,
  };
}

function describeHolder(holder: LockHolder): string {
  if (holder.pid === undefined) return 'another session';
  // state is NULL for another role's backend unless we may read all stats.
  return (
    `pid ${holder.pid} (application_name "${holder.applicationName ?? ''}", ` +
    `state "${holder.state ?? 'not visible to this role'}")`
  );
}

function holderQuery(classid: string, objid: string): string {
  return (
    'SELECT pid, application_name, state, query FROM pg_locks JOIN pg_stat_activity USING (pid) ' +
    `WHERE locktype = 'advisory' AND classid = ${classid} AND objid = ${objid} AND objsubid = 2`
  );
}
