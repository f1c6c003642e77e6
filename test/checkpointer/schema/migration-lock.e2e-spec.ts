/**
 * The wait for the migration lock is bounded by `migrationLockTimeoutMs`: while another session
 * holds it, the boot logs at WARN who holds it, and fails past the timeout with a message naming
 * the lock and how to find its holder (the pool ended once); it proceeds as soon as the holder
 * lets go within the timeout.
 */
import pg from 'pg';
import {
  CHECKPOINTER_LOG_CONTEXT,
  MigrationLockTimeoutError,
  SchemaService,
} from '../../../src/checkpointer';
import { ManagedPool } from '../../../src/checkpointer/connection/managed-pool';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import { LogCapture } from '../../support/log-capture';
import { describeOnRealPostgres } from '../../support/real-postgres';

describeOnRealPostgres('the migration lock', () => {
  const fixture = useCheckpointerDatabase('migration_lock');
  let holder: pg.Client;
  let logs: LogCapture;

  /** Another session (a replica mid-migration, or a stuck one) takes the lock of `schema`. */
  async function holdLock(schema: string): Promise<number> {
    holder = new pg.Client({
      connectionString: fixture.database.url,
      application_name: 'stuck-replica',
    });
    await holder.connect();
    await holder.query(
      `SELECT pg_advisory_lock(hashtext('checkpointer_migration'), hashtext($1))`,
      [schema],
    );
    return (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  }

  beforeEach(() => {
    logs = new LogCapture();
  });

  afterEach(async () => {
    await holder.end();
    jest.restoreAllMocks();
  });

  const warnings = () =>
    logs
      .of(CHECKPOINTER_LOG_CONTEXT)
      .filter((l) => l.level === 'warn')
      .map((l) => l.message);

  it('fails past migrationLockTimeoutMs, naming the holder and how to find it; the pool ended once', async () => {
    const pid = await holdLock('held');
    const ended = jest.spyOn(ManagedPool.prototype, 'end');
    const started = performance.now();
    const error = await fixture
      .boot({ schema: 'held', migrationLockTimeoutMs: 1_500, logger: true }, { logger: logs })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const elapsed = performance.now() - started;

    expect(error).toBeInstanceOf(MigrationLockTimeoutError);
    const { rows } = await fixture.database.query<{ classid: string; objid: string }>(
      `SELECT hashtext('checkpointer_migration')::oid::text AS classid, hashtext('held')::oid::text AS objid`,
    );
    const { classid, objid } = rows[0];
    expect((error as Error).message).toBe(
      `schema "held": the migration lock was not acquired within 1500 ms (migrationLockTimeoutMs): ` +
        `it is held by pid ${pid} (application_name "stuck-replica", state "idle"). ` +
        `Find its holder with: SELECT pid, application_name, state, query FROM pg_locks JOIN pg_stat_activity USING (pid) ` +
        `WHERE locktype = 'advisory' AND classid = ${classid} AND objid = ${objid} AND objsubid = 2; ` +
        'end that session if it is stuck (SELECT pg_terminate_backend(pid)), or raise migrationLockTimeoutMs.',
    );
    expect(error).toMatchObject({ timeoutMs: 1_500, holderPid: pid });
    expect(elapsed).toBeGreaterThanOrEqual(1_500);
    expect(elapsed).toBeLessThan(5_000);
    expect(warnings()).toEqual([
      `schema "held": waiting for the migration lock held by pid ${pid} ` +
        `(application_name "stuck-replica", state "idle") for 1 s; giving up after 1500 ms (migrationLockTimeoutMs)`,
    ]);
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it('proceeds as soon as the holder lets go within the timeout', async () => {
    const pid = await holdLock('released');
    setTimeout(() => {
      void holder.query(
        `SELECT pg_advisory_unlock(hashtext('checkpointer_migration'), hashtext('released'))`,
      );
    }, 1_300);
    const app = await fixture.boot(
      { schema: 'released', migrationLockTimeoutMs: 10_000, logger: true },
      { logger: logs },
    );
    expect((await app.get(SchemaService).status()).upToDate).toBe(true);
    expect(warnings()).toEqual([
      expect.stringMatching(
        new RegExp(`^schema "released": waiting for the migration lock held by pid ${pid} `),
      ),
    ]);
  });
});
