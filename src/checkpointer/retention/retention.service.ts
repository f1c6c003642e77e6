import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Kysely } from 'kysely';
import { errorMessage } from '../common/checkpointer.errors';
import { CheckpointerLogger } from '../common/checkpointer.logger';
import { getCheckpointerDbToken, getCheckpointerOptionsToken } from '../common/checkpointer.tokens';
import { ConnectionProvider } from '../connection/connection.provider';
import type { ResolvedCheckpointerOptions } from '../options/checkpointer.options';
import { RetryPolicy } from '../resilience/retry.policy';
import { CheckpointerFactory } from '../saver/checkpointer.factory';
import type { CheckpointerDatabase } from '../schema/database';
import { InvalidInputError } from '../threads/thread.errors';
import { parseIntegerInRange, parseThreadId } from '../threads/thread-input';
import {
  type CheckpointTableCounts,
  NO_ROWS,
  type PruneOptions,
  type RetentionCounts,
  type RetentionStats,
  type SweepOptions,
  type SweepResult,
  type SweepStatus,
  addCounts,
} from './retention.models';
import {
  Pacer,
  RetentionStopped,
  type SweepContext,
  noProgress,
  pruneThread,
  sweepOnce,
} from './retention.sweeper';
import { SweepLease } from './sweep-lease';

/** The longest pause between two ticks of the schedule: a due sweep starts within a minute. */
const MAX_TICK_MS = 60_000;

/**
 * Keeps checkpoint storage bounded: prunes old checkpoints, deletes inactive threads and purges
 * expired deletion markers and turn leases, on a schedule (`retention` options, off by default)
 * and by hand (`sweep()`, `prune()`).
 *
 * Safe while graphs write: every deletion of a thread's rows is one statement that takes the
 * thread's EXCLUSIVE lock (the lock every saver write and `recordRun` takes SHARED) and then
 * decides what to delete on a fresh snapshot, so it sees every write that committed before and
 * holds later ones off until it commits; a write that built on what it deleted is refused
 * (`StaleCheckpointError`). One replica sweeps at a time (a lease row), in bounded batches with
 * pauses; shutdown stops a sweep between two statements.
 *
 * @example
 * const { checkpoints } = await retention.prune(threadId, { keepLatest: 5 });
 * const { rows } = await retention.sweep({ dryRun: true }); // what the policies would delete now
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly settings: ResolvedCheckpointerOptions['retention'];
  private readonly context: SweepContext;
  private readonly lease: SweepLease;
  /** Runs of this process in flight, each with the controller that stops it. */
  private readonly running = new Map<Promise<unknown>, AbortController>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private counters = { completed: 0, skipped: 0, stopped: 0, failed: 0 };
  private deleted: RetentionCounts = NO_ROWS;
  private lastRun: SweepResult | null = null;

  constructor(
    @Inject(getCheckpointerDbToken()) db: Kysely<CheckpointerDatabase>,
    @Inject(getCheckpointerOptionsToken()) options: ResolvedCheckpointerOptions,
    retry: RetryPolicy,
    private readonly logger: CheckpointerLogger,
    private readonly connection: ConnectionProvider,
    private readonly factory: CheckpointerFactory,
  ) {
    this.settings = options.retention;
    this.context = {
      db,
      schema: options.schema,
      retry,
      settings: options.retention,
      markerDays: options.threads.deletedRetentionDays,
    };
    this.lease = new SweepLease(db, options.retention.leaseMs);
  }

  /** Whether the policies run on a schedule: one is set and `retention.intervalMs` is not 0. */
  get scheduled(): boolean {
    const { keepLatestCheckpoints, checkpointMaxAgeDays, threadInactiveDays, intervalMs } =
      this.settings;
    const policy =
      keepLatestCheckpoints !== undefined ||
      checkpointMaxAgeDays !== undefined ||
      threadInactiveDays !== undefined;
    return policy && intervalMs > 0;
  }

  /** The numbers of retention, for `metrics()`. Never waits on the database. */
  stats(): RetentionStats {
    return {
      scheduled: this.scheduled,
      running: this.running.size > 0,
      sweeps: { ...this.counters },
      lastRun: this.lastRun,
      deleted: this.deleted,
    };
  }

  /**
   * Prunes one thread now: keeps the latest `keepLatest` checkpoints of each of its namespaces
   * (subgraphs included) and deletes the older ones with their writes and exactly the blobs no
   * kept checkpoint references. The thread resumes as before (latest state, pending writes, open
   * interrupts); a pruned checkpoint reads as not found. A checkpoint whose DeltaChannels replay
   * older ones keeps those too. Works in steps of `retention.batchSize` checkpoints, each under
   * the thread's lock. Any thread of the checkpoint tables, whoever owns it (an operator's tool:
   * check ownership before you expose it).
   *
   * @returns the rows deleted per table (with `dryRun`, the rows that would be).
   * @throws InvalidInputError a bad `threadId`, or no `keepLatest` here nor in the options.
   */
  async prune(threadId: string, options: PruneOptions = {}): Promise<CheckpointTableCounts> {
    const id = parseThreadId(threadId);
    const keep =
      options.keepLatest === undefined
        ? this.settings.keepLatestCheckpoints
        : parseIntegerInRange('keepLatest', options.keepLatest, {
            min: 1,
            max: 2 ** 31 - 1,
            fallback: 1,
          });
    if (keep === undefined) {
      throw new InvalidInputError(
        'keepLatest',
        'is required when retention.keepLatestCheckpoints is not set',
      );
    }
    const dryRun = options.dryRun === true;
    const { batchSize, batchPauseMs } = this.settings;
    const counts = await this.track(({ signal }) =>
      pruneThread(
        this.context,
        id,
        { keep, maxAgeDays: undefined },
        { dryRun, signal, pacer: new Pacer(batchSize, batchPauseMs, signal) },
      ),
    );
    if (!dryRun) this.deleted = addCounts(this.deleted, counts);
    this.logger.log(
      `retention: ${dryRun ? 'dry run of a prune' : 'pruned'} thread ${JSON.stringify(id)} ` +
        `(keep ${keep}): ${describeCounts(counts, dryRun)}`,
    );
    return counts;
  }

  /**
   * Runs the configured policies once, now, in bounded batches: purges expired deletion markers
   * and turn leases, deletes threads inactive past `threadInactiveDays`, prunes every thread by
   * `keepLatestCheckpoints` and `checkpointMaxAgeDays`. Takes the cluster's sweeper lease first:
   * while another sweep (of any replica) runs, it does nothing and returns `'skipped'`. A dry run
   * takes no lease and no lock and changes nothing.
   */
  sweep(options: SweepOptions = {}): Promise<SweepResult> {
    return this.runSweep(options.dryRun === true, false);
  }

  onApplicationBootstrap(): void {
    if (!this.scheduled) return;
    if (this.factory.kind !== 'postgres') {
      this.logger.warn('retention: not scheduled, the module runs on the in-memory fallback');
      return;
    }
    this.logger.log(
      `retention: sweeping every ${this.settings.intervalMs} ms (keep latest ` +
        `${this.settings.keepLatestCheckpoints ?? 'all'}, checkpoints max age ` +
        `${this.settings.checkpointMaxAgeDays ?? '-'} d, threads inactive ` +
        `${this.settings.threadInactiveDays ?? '-'} d)`,
    );
    // The first tick comes at a random point of the first period, so replicas booted together
    // do not all ask for the lease at once.
    this.schedule(Math.random() * this.tickMs());
  }

  /** Stops the schedule and any sweep or prune in flight (at its next statement), and waits. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const controller of this.running.values()) controller.abort();
    await Promise.allSettled([...this.running.keys()]);
  }

  private tickMs(): number {
    return Math.min(this.settings.intervalMs, MAX_TICK_MS);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    // The schedule must never keep the process alive.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      if (this.running.size === 0 && !this.stopped) await this.runSweep(false, true);
    } catch (error) {
      // Counted and logged by runSweep; the next tick tries again.
      void error;
    } finally {
      this.schedule(this.tickMs());
    }
  }

  /** Runs `work` with a stop signal that shutdown aborts, registered while it runs. */
  private async track<T>(work: (controller: AbortController) => Promise<T>): Promise<T> {
    if (this.stopped) throw new RetentionStopped('the application is shutting down');
    const controller = new AbortController();
    const run = work(controller);
    this.running.set(run, controller);
    try {
      return await run;
    } finally {
      this.running.delete(run);
    }
  }

  /** A sweep, registered whole (lease given back included) so that shutdown waits for it. */
  private runSweep(dryRun: boolean, scheduled: boolean): Promise<SweepResult> {
    return this.track((controller) => this.sweepUnderLease(dryRun, scheduled, controller));
  }

  private async sweepUnderLease(
    dryRun: boolean,
    scheduled: boolean,
    controller: AbortController,
  ): Promise<SweepResult> {
    const startedAt = new Date();
    const started = performance.now();
    const holder = randomUUID();
    const progress = noProgress();
    const finish = (status: SweepStatus): SweepResult => ({
      status,
      dryRun,
      startedAt,
      durationMs: Math.round(performance.now() - started),
      rows: progress.rows,
      threads: { pruned: progress.pruned, expired: progress.expired },
    });
    try {
      if (
        !dryRun &&
        !(await this.context.retry.idempotent('retention.lease', () =>
          this.lease.acquire(holder, scheduled),
        ))
      ) {
        const result = finish('skipped');
        if (!scheduled) this.record(result);
        this.logger.debug('retention: sweep skipped, another one holds the sweeper lease');
        return result;
      }
      const renewal = dryRun ? undefined : this.keepLease(holder, controller);
      let status: SweepStatus = 'completed';
      try {
        await sweepOnce(this.context, { dryRun, signal: controller.signal }, progress);
      } catch (error) {
        if (!(error instanceof RetentionStopped)) throw error;
        status = 'stopped';
      } finally {
        clearInterval(renewal);
        if (!dryRun) await this.giveLeaseBack(holder, status);
      }
      const result = finish(status);
      this.record(result);
      this.logger.log(
        `retention: sweep ${status}${dryRun ? ' (dry run)' : ''} in ${result.durationMs} ms, ` +
          `${progress.pruned} thread(s) pruned, ${progress.expired} deleted: ` +
          describeCounts(progress.rows, dryRun),
      );
      return result;
    } catch (error) {
      if (!dryRun) {
        this.counters.failed += 1;
        this.deleted = addCounts(this.deleted, progress.rows);
      }
      this.logger.warn(
        `retention: sweep failed after ${Math.round(performance.now() - started)} ms ` +
          `(${describeCounts(progress.rows, dryRun)} so far): ` +
          this.connection.redact(errorMessage(error)),
      );
      throw error;
    }
  }

  /** Renews the lease every third of it; a lost lease stops the sweep at its next statement. */
  private keepLease(holder: string, controller: AbortController): NodeJS.Timeout {
    const renewal = setInterval(
      () => {
        this.lease.renew(holder).then(
          (held) => {
            if (!held && !controller.signal.aborted) {
              this.logger.warn('retention: the sweeper lease was lost; stopping this sweep');
              controller.abort();
            }
          },
          // A failed renewal is retried at the next tick; the lease outlives two missed ones.
          (error: unknown) =>
            this.logger.warn(
              `retention: sweeper lease not renewed: ${this.connection.redact(errorMessage(error))}`,
            ),
        );
      },
      Math.max(1, Math.floor(this.settings.leaseMs / 3)),
    );
    renewal.unref();
    return renewal;
  }

  private async giveLeaseBack(holder: string, status: SweepStatus): Promise<void> {
    const nextDue = status === 'completed' ? this.settings.intervalMs : undefined;
    await this.context.retry
      .idempotent('retention.lease', () => this.lease.release(holder, nextDue))
      .catch((error: unknown) =>
        // Not fatal: the lease runs out by itself within retention.leaseMs.
        this.logger.warn(
          `retention: sweeper lease not given back (it expires on its own): ${this.connection.redact(errorMessage(error))}`,
        ),
      );
  }

  private record(result: SweepResult): void {
    if (result.dryRun) return;
    this.counters[result.status] += 1;
    this.lastRun = result;
    this.deleted = addCounts(this.deleted, result.rows);
  }
}

/** `checkpoints=3, checkpoint_blobs=9, ...`: the tables with rows, for a log line. */
function describeCounts(counts: Partial<RetentionCounts>, dryRun: boolean): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n !== undefined && n > 0)
    .map(([table, n]) => `${table}=${n}`);
  const verb = dryRun ? 'would delete' : 'deleted';
  return parts.length === 0 ? `${verb} nothing` : `${verb} ${parts.join(', ')}`;
}
