/**
 * `RetentionService.sweep` and its schedule: checkpoints past `checkpointMaxAgeDays`, threads past
 * `threadInactiveDays` (ours through `deleteThread`'s deletion, bare ones as a reset), expired
 * deletion markers and turn leases; dry runs that change nothing; one sweeper across replicas;
 * shutdown mid-sweep. Time is moved by writing old timestamps (a checkpoint's `ts`, a thread's
 * `last_run_at`), never by sleeping.
 */
import type { LoggerService } from '@nestjs/common';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import {
  CheckpointerConfigError,
  CheckpointerModule,
  type CheckpointerModuleOptions,
  RetentionService,
  type SweepResult,
  ThreadDeletedError,
  ThreadService,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import { eventually } from '../../support/eventually';
import { threeStepGraph } from '../../support/graphs';
import { describeOnRealPostgres } from '../../support/real-postgres';
import { threadRows } from '../../support/retention-graphs';
import { snapshotModuleTables } from '../../support/table-snapshot';

const SCHEMA = 'agents';
const ALICE = 'alice@example.com';
const fixture = useCheckpointerDatabase('retention_sweep', { schema: SCHEMA });

async function boot(retention: CheckpointerModuleOptions['retention'], logger?: LoggerService) {
  const app = await fixture.boot(
    {
      retention: { intervalMs: 0, ...retention },
      logger: logger !== undefined,
    },
    logger === undefined ? {} : { logger },
  );
  return {
    app,
    retention: app.get(RetentionService),
    threads: app.get(ThreadService),
    saver: app.get<BaseCheckpointSaver>(getCheckpointerToken()),
  };
}

/** Writes `turns` turns of a three-step conversation on `threadId`. */
async function converse(saver: BaseCheckpointSaver, threadId: string, turns: number) {
  const graph = threeStepGraph(saver);
  for (let turn = 0; turn < turns; turn += 1) {
    await graph.invoke({ messages: [`turn ${turn}`] }, { configurable: { thread_id: threadId } });
  }
}

/** Makes the thread's checkpoints `days` old, as if written then (their `ts`). */
async function ageCheckpoints(threadId: string, days: number) {
  await fixture.database.query(
    `UPDATE ${SCHEMA}.checkpoints SET checkpoint = jsonb_set(checkpoint, '{ts}', to_jsonb(
       to_char((now() - make_interval(days => $2)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
     WHERE thread_id = $1`,
    [threadId, days],
  );
}

/** Makes the thread's last run `days` old. */
async function ageThread(threadId: string, days: number) {
  await fixture.database.query(
    `UPDATE ${SCHEMA}.users_threads SET last_run_at = now() - make_interval(days => $2)
     WHERE thread_id = $1`,
    [threadId, days],
  );
}

async function count(sql: string, values: unknown[] = []): Promise<number> {
  const { rows } = await fixture.database.query<{ n: number }>(sql, values);
  return rows[0].n;
}

const checkpointsOf = (threadId: string) =>
  count(`SELECT count(*)::int AS n FROM ${SCHEMA}.checkpoints WHERE thread_id = $1`, [threadId]);

/** Empties the module's tables between tests (one database for the file). */
async function truncate() {
  await fixture.database.query(
    `TRUNCATE ${SCHEMA}.checkpoints, ${SCHEMA}.checkpoint_blobs, ${SCHEMA}.checkpoint_writes,
       ${SCHEMA}.users_threads, ${SCHEMA}.users_threads_runs, ${SCHEMA}.users_thread_counts,
       ${SCHEMA}.users_threads_deleted, ${SCHEMA}.users_thread_turns, ${SCHEMA}.checkpointer_leases`,
  );
}

beforeAll(async () => {
  // Migrates the file's database once; every test boots the module with its own options.
  await fixture.close(await fixture.boot());
});
beforeEach(truncate);

describe('RetentionService.sweep', () => {
  it('checkpointMaxAgeDays: older checkpoints go, the latest of each namespace stays', async () => {
    const { retention, saver } = await boot({ checkpointMaxAgeDays: 30 });
    await converse(saver, 'old', 3);
    await converse(saver, 'recent', 3);
    await ageCheckpoints('old', 40);
    const before = await threadRows(fixture.database, SCHEMA, 'old');
    const state = await threeStepGraph(saver).getState({ configurable: { thread_id: 'old' } });

    const result = await retention.sweep();

    expect(result).toMatchObject({ status: 'completed', dryRun: false, threads: { pruned: 1 } });
    const after = await threadRows(fixture.database, SCHEMA, 'old');
    expect(after.checkpoints).toEqual([before.checkpoints.at(-1)]);
    expect(after.blobs).toEqual(after.referenced);
    expect(result.rows).toMatchObject({
      checkpoints: before.checkpoints.length - 1,
      checkpoint_blobs: before.blobs.length - after.blobs.length,
      checkpoint_writes: before.writes.length - after.writes.length,
    });
    expect(
      (await threeStepGraph(saver).getState({ configurable: { thread_id: 'old' } })).values,
    ).toEqual(state.values);
    expect(await checkpointsOf('recent')).toBe(15); // 5 checkpoints per turn
  });

  it('threadInactiveDays: ours deleted for good (marker), bare ones reset, active ones kept', async () => {
    const { retention, threads, saver } = await boot({ threadInactiveDays: 30 });
    const ids: Record<string, string> = {};
    for (const name of ['stale', 'resumed', 'active']) {
      ids[name] = (await threads.createThread(ALICE)).threadId;
      await threads.recordRun({ userEmail: ALICE, threadId: ids[name], prompt: 'hi' });
      await converse(saver, ids[name], 2);
    }
    await converse(saver, 'bare-stale', 2);
    await converse(saver, 'bare-active', 2);
    await ageThread(ids.stale, 31);
    await ageCheckpoints(ids.stale, 31);
    // No run recorded for 31 days, but a checkpoint written since (a resume): active.
    await ageThread(ids.resumed, 31);
    await ageCheckpoints('bare-stale', 45);

    const result = await retention.sweep();

    expect(result.threads).toEqual({ pruned: 0, expired: 2 });
    expect(result.rows).toMatchObject({ users_threads: 1, users_threads_runs: 1 });
    expect(result.rows.checkpoints).toBe(20); // 5 checkpoints per turn
    for (const gone of [ids.stale, 'bare-stale']) expect(await checkpointsOf(gone)).toBe(0);
    for (const kept of [ids.resumed, ids.active, 'bare-active']) {
      expect(await checkpointsOf(kept)).toBe(10);
    }
    // Ours: deleted as deleteThread deletes, marker and all.
    await expect(
      threads.recordRun({ userEmail: ALICE, threadId: ids.stale, prompt: 'back' }),
    ).rejects.toBeInstanceOf(ThreadDeletedError);
    expect(await threads.countThreads(ALICE)).toBe(2);
    // Bare: reset, the id usable again at once.
    await converse(saver, 'bare-stale', 1);
    expect(await checkpointsOf('bare-stale')).toBe(5);
  });

  it('purges expired deletion markers and turn leases, and only those', async () => {
    const { retention } = await boot({});
    await fixture.database.query(
      `INSERT INTO ${SCHEMA}.users_threads_deleted (thread_id, owner_email, expires_at)
       VALUES ('m-old', $1, now() - interval '1 day'), ('m-live', $1, now() + interval '1 day');
       INSERT INTO ${SCHEMA}.users_thread_turns (thread_id, holder, expires_at)
       VALUES ('t-old', gen_random_uuid(), now() - interval '1 minute'),
              ('t-live', gen_random_uuid(), now() + interval '1 minute')`.replaceAll(
        '$1',
        `'${ALICE}'`,
      ),
    );
    const result = await retention.sweep();
    expect(result.rows).toMatchObject({ users_threads_deleted: 1, users_thread_turns: 1 });
    expect(
      await count(
        `SELECT count(*)::int AS n FROM ${SCHEMA}.users_threads_deleted WHERE thread_id = 'm-live'`,
      ),
    ).toBe(1);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM ${SCHEMA}.users_thread_turns WHERE thread_id = 't-live'`,
      ),
    ).toBe(1);
  });

  it('a dry run changes nothing and counts exactly what the sweep then deletes', async () => {
    const { retention, threads, saver } = await boot({
      keepLatestCheckpoints: 2,
      checkpointMaxAgeDays: 30,
      threadInactiveDays: 60,
      batchSize: 2,
      batchPauseMs: 0,
    });
    const stale = (await threads.createThread(ALICE)).threadId;
    await threads.recordRun({ userEmail: ALICE, threadId: stale, prompt: 'hi' });
    await converse(saver, stale, 3);
    await ageThread(stale, 61);
    await ageCheckpoints(stale, 61);
    for (const id of ['a', 'b', 'c', 'd', 'e']) await converse(saver, id, 2);
    await ageCheckpoints('c', 40);
    await ageCheckpoints('e', 70);
    await fixture.database.query(
      `INSERT INTO ${SCHEMA}.users_threads_deleted (thread_id, owner_email, expires_at)
       VALUES ('m-old', 'x@example.com', now() - interval '1 day')`,
    );
    const snapshot = await snapshotModuleTables(fixture.database, SCHEMA);

    const dry = await retention.sweep({ dryRun: true });
    expect(await snapshotModuleTables(fixture.database, SCHEMA)).toEqual(snapshot);
    expect(dry).toMatchObject({ status: 'completed', dryRun: true });
    const real = await retention.sweep();
    expect(real.rows).toEqual(dry.rows);
    expect(real.threads).toEqual(dry.threads);
    expect(real.threads).toEqual({ pruned: 4, expired: 2 });
    // Nothing is left to do.
    expect((await retention.sweep({ dryRun: true })).rows).toEqual({
      checkpoints: 0,
      checkpoint_blobs: 0,
      checkpoint_writes: 0,
      users_threads: 0,
      users_threads_runs: 0,
      users_threads_deleted: 0,
      users_thread_turns: 0,
    });
  });

  it('logs the sweep at INFO and shows it in metrics()', async () => {
    const lines: string[] = [];
    const logger: LoggerService = {
      log: (message: string) => lines.push(message),
      error: () => undefined,
      warn: () => undefined,
    };
    const { app, retention, saver } = await boot({ keepLatestCheckpoints: 1 }, logger);
    await converse(saver, 'logged', 2);
    const result = await retention.sweep();
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^retention: sweep completed in \\d+ ms, 1 thread\\(s\\) pruned, 0 deleted: deleted checkpoints=${result.rows.checkpoints}, checkpoint_blobs=\\d+, checkpoint_writes=\\d+$`,
        ),
      ),
    );
    const { retention: stats } = app.get(CheckpointerModule).metrics();
    expect(stats).toEqual({
      scheduled: false,
      running: false,
      sweeps: { completed: 1, skipped: 0, stopped: 0, failed: 0 },
      lastRun: result,
      deleted: result.rows,
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('a schedule starts at boot with a timer that never keeps the process alive', async () => {
    const { app, retention } = await boot({ keepLatestCheckpoints: 3, intervalMs: 3_600_000 });
    expect(retention.stats()).toMatchObject({ scheduled: true, running: false, lastRun: null });
    const timer = (retention as unknown as { timer: NodeJS.Timeout | undefined }).timer;
    expect(timer?.hasRef()).toBe(false);
    await fixture.close(app);
    // Without a policy, or with intervalMs 0, nothing is scheduled.
    for (const settings of [{}, { keepLatestCheckpoints: 3, intervalMs: 0 }]) {
      const idle = await boot(settings);
      expect(idle.retention.stats().scheduled).toBe(false);
      expect((idle.retention as unknown as { timer: unknown }).timer).toBeUndefined();
    }
  });

  it('bad retention options fail the boot with one error naming each', async () => {
    const failure = fixture.boot({ retention: { keepLatestCheckpoints: 0, intervalMs: 5 } });
    await expect(failure).rejects.toBeInstanceOf(CheckpointerConfigError);
    await expect(failure).rejects.toThrow(
      'Invalid CheckpointerModule options: retention.keepLatestCheckpoints must be an integer >= 1, got 0; ' +
        'retention.intervalMs must be 0 (no schedule) or >= 1000, got 5',
    );
  });
});

/** Sweeps as `[start, end]` in ms, from each app's log lines (the end, minus the duration). */
function sweepLog(into: [number, number][]): LoggerService {
  return {
    log: (message: string) => {
      const done = /^retention: sweep completed in (\d+) ms/.exec(message);
      if (done !== null) into.push([Date.now() - Number(done[1]), Date.now()]);
    },
    error: () => undefined,
    warn: () => undefined,
  };
}

describeOnRealPostgres('one sweeper for the whole cluster', () => {
  it('two replicas sweeping at once: one sweeps, the other is told it was skipped', async () => {
    const slow = { keepLatestCheckpoints: 1, batchSize: 1, batchPauseMs: 50 };
    const a = await boot(slow);
    const b = await boot(slow);
    for (const id of ['r1', 'r2', 'r3', 'r4']) await converse(a.saver, id, 2);
    const first = a.retention.sweep();
    await eventually(
      'the sweeper lease is held',
      5_000,
      async () =>
        (await count(
          `SELECT count(*)::int AS n FROM ${SCHEMA}.checkpointer_leases WHERE expires_at > now()`,
        )) === 1,
    );
    const second = await b.retention.sweep();
    expect(second).toMatchObject({ status: 'skipped', rows: { checkpoints: 0 } });
    expect((await first).status).toBe('completed');
    // Once it is over, the other replica may sweep (by hand: the schedule would wait its turn).
    expect((await b.retention.sweep()).status).toBe('completed');
    expect(b.app.get(RetentionService).stats().sweeps).toMatchObject({ completed: 1, skipped: 1 });
  });

  it('on a schedule, two replicas sweep one round at a time, about once per interval', async () => {
    const sweeps: [number, number][] = [];
    const options = { keepLatestCheckpoints: 1, intervalMs: 1_000, batchPauseMs: 0 };
    const seed = await boot({});
    for (const id of ['s1', 's2', 's3']) await converse(seed.saver, id, 1);
    await fixture.close(seed.app);
    const started = Date.now();
    const replicas = [await boot(options, sweepLog(sweeps)), await boot(options, sweepLog(sweeps))];
    // Meanwhile, conversations go on (each sweep has something to prune).
    for (let round = 0; round < 8; round += 1) {
      for (const id of ['s1', 's2', 's3']) await converse(replicas[round % 2].saver, id, 1);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    for (const replica of replicas) await fixture.close(replica.app);
    const elapsed = Date.now() - started;

    sweeps.sort((x, y) => x[0] - y[0]);
    expect(sweeps.length).toBeGreaterThanOrEqual(3);
    // At most one round per interval (and one at the start), never two at once.
    expect(sweeps.length).toBeLessThanOrEqual(Math.floor(elapsed / 1_000) + 1);
    for (let i = 1; i < sweeps.length; i += 1) {
      expect(sweeps[i][0]).toBeGreaterThanOrEqual(sweeps[i - 1][1] - 5);
    }
  });

  it('shutdown mid-sweep stops it at once, its work whole, the lease given back', async () => {
    // Batches of 20 checkpoints: the sweep pauses after the first 5 threads (4 deleted each).
    const { app, retention, saver } = await boot({
      keepLatestCheckpoints: 1,
      batchSize: 20,
      batchPauseMs: 30_000,
    });
    const ids = Array.from({ length: 9 }, (_, i) => `x${i + 1}`);
    for (const id of ids) await converse(saver, id, 1);
    let result: SweepResult | undefined;
    const sweeping = retention.sweep().then((r) => (result = r));
    await eventually(
      'the first batch is pruned',
      10_000,
      async () => (await checkpointsOf('x5')) === 1,
    );
    const closing = performance.now();
    await fixture.close(app);
    expect(performance.now() - closing).toBeLessThan(5_000);
    await sweeping;
    expect(result).toMatchObject({ status: 'stopped', threads: { pruned: 5 } });
    expect(await checkpointsOf('x6')).toBe(5);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM ${SCHEMA}.checkpointer_leases WHERE expires_at > now()`,
      ),
    ).toBe(0);
    // Another replica finishes the job at once.
    const next = await boot({ keepLatestCheckpoints: 1 });
    expect((await next.retention.sweep()).threads.pruned).toBe(4);
  });
});
