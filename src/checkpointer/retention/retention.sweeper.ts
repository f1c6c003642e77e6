import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { ResolvedRetentionOptions } from '../options/checkpointer.options';
import type { RetryPolicy } from '../resilience/retry.policy';
import type { CheckpointerDatabase } from '../schema/database';
import {
  type CheckpointTableCounts,
  NO_ROWS,
  type RetentionCounts,
  addCounts,
} from './retention.models';
import {
  type InactiveCursor,
  checkpointThreads,
  expireThread,
  inactiveThreads,
  pruneThreadStep,
  purgeExpiredMarkers,
  purgeExpiredTurnLeases,
} from './retention.queries';

/**
 * A prune (or a sweep, internally) was stopped between two statements because the application is
 * shutting down or the sweeper lease was lost. What was done stays done: every step is whole.
 */
export class RetentionStopped extends Error {
  override readonly name = 'RetentionStopped';
}

/** What the work of one sweep needs. */
export interface SweepContext {
  readonly db: Kysely<CheckpointerDatabase>;
  readonly schema: string;
  readonly retry: RetryPolicy;
  readonly settings: ResolvedRetentionOptions;
  /** `threads.deletedRetentionDays`: the marker a thread deleted for inactivity leaves. */
  readonly markerDays: number;
}

/** What a sweep did so far: kept up to date as it goes, so a stopped sweep reports its work. */
export interface SweepProgress {
  rows: RetentionCounts;
  pruned: number;
  expired: number;
}

/** A prune policy: checkpoints kept per namespace, and the age past which they go. */
export interface PrunePolicy {
  readonly keep: number | undefined;
  readonly maxAgeDays: number | undefined;
}

/** Waits `ms`, or throws `RetentionStopped` as soon as `signal` aborts. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  stopIfAborted(signal);
  if (ms === 0) return;
  try {
    await sleep(ms, undefined, { signal, ref: false });
  } catch {
    throw new RetentionStopped('stopped');
  }
}

function stopIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new RetentionStopped('stopped');
}

/**
 * Work in bounded batches: `spend(rows)` after each statement, and once a batch's worth
 * (`retention.batchSize` checkpoints or threads) is done, a pause of `retention.batchPauseMs`.
 * The duty cycle is what leaves the database room for the application's own queries.
 */
export class Pacer {
  private spent = 0;

  constructor(
    private readonly batchSize: number,
    private readonly pauseMs: number,
    private readonly signal: AbortSignal,
  ) {}

  async spend(units: number): Promise<void> {
    this.spent += units;
    if (this.spent < this.batchSize) {
      stopIfAborted(this.signal);
      return;
    }
    this.spent = 0;
    await pause(this.pauseMs, this.signal);
  }
}

/**
 * Prunes one thread in steps of at most `batchSize` checkpoints, each step one statement (one
 * transaction, under the thread's EXCLUSIVE lock, deciding again what to keep), paced by `pacer`
 * between steps so a huge history never holds the thread's writers, nor the database, for long
 * (the caller paces after the last step). A dry run is one statement, with no lock and no limit.
 */
export async function pruneThread(
  context: SweepContext,
  threadId: string,
  policy: PrunePolicy,
  {
    dryRun,
    signal,
    pacer,
  }: { readonly dryRun: boolean; readonly signal: AbortSignal; readonly pacer: Pacer },
  onStep: (counts: CheckpointTableCounts) => void = () => undefined,
): Promise<CheckpointTableCounts> {
  const { db, schema, retry, settings } = context;
  let total = { checkpoints: 0, checkpoint_blobs: 0, checkpoint_writes: 0 };
  for (;;) {
    stopIfAborted(signal);
    const step = await retry.idempotent('retention.prune', () =>
      pruneThreadStep(db, schema, threadId, {
        keep: policy.keep,
        maxAgeDays: policy.maxAgeDays,
        limit: dryRun ? undefined : settings.batchSize,
        dryRun,
      }),
    );
    const counts = {
      checkpoints: step.checkpoints,
      checkpoint_blobs: step.checkpoint_blobs,
      checkpoint_writes: step.checkpoint_writes,
    };
    onStep(counts);
    total = {
      checkpoints: total.checkpoints + counts.checkpoints,
      checkpoint_blobs: total.checkpoint_blobs + counts.checkpoint_blobs,
      checkpoint_writes: total.checkpoint_writes + counts.checkpoint_writes,
    };
    // A step that deleted nothing ends it too: a writer may keep the count above the limit.
    if (dryRun || step.remaining === 0 || step.checkpoints === 0) return total;
    await pacer.spend(step.checkpoints);
  }
}

/**
 * One sweep, in bounded batches with pauses (`Pacer`): expired deletion markers and turn leases; threads of
 * `ThreadService` inactive past `threadInactiveDays`; then every thread of the checkpoint tables,
 * pruned by `keepLatestCheckpoints` / `checkpointMaxAgeDays`, or deleted when it is a bare
 * checkpoint thread inactive past `threadInactiveDays`. Each deletion is its own statement under
 * the thread's lock; `progress` is updated after each, and `signal` is obeyed between them.
 */
export async function sweepOnce(
  context: SweepContext,
  { dryRun, signal }: { readonly dryRun: boolean; readonly signal: AbortSignal },
  progress: SweepProgress,
): Promise<void> {
  const { db, schema, retry, settings } = context;
  const pacer = new Pacer(settings.batchSize, settings.batchPauseMs, signal);
  const add = (counts: Partial<RetentionCounts>) => {
    progress.rows = addCounts(progress.rows, counts);
  };

  for (const [table, purge] of [
    ['users_threads_deleted', purgeExpiredMarkers],
    ['users_thread_turns', purgeExpiredTurnLeases],
  ] as const) {
    for (;;) {
      stopIfAborted(signal);
      const n = await retry.idempotent(`retention.${table}`, () =>
        purge(db, schema, settings.batchSize, dryRun),
      );
      add({ [table]: n });
      await pacer.spend(n);
      if (dryRun || n < settings.batchSize) break;
    }
  }

  // Threads a dry run counted as deleted: the checkpoint pass must not count them again.
  const expired = new Set<string>();
  /** Deletes the thread if it is still inactive (decided under its lock); whether it did. */
  const expire = async (threadId: string, days: number): Promise<boolean> => {
    stopIfAborted(signal);
    const counts = await retry.idempotent('retention.expire', () =>
      expireThread(db, schema, threadId, { days, markerDays: context.markerDays, dryRun }),
    );
    if ((counts.checkpoints ?? 0) + (counts.users_threads ?? 0) === 0) return false;
    add(counts);
    await pacer.spend(Math.max(1, counts.checkpoints ?? 0));
    progress.expired += 1;
    if (dryRun) expired.add(threadId);
    return true;
  };

  const inactiveDays = settings.threadInactiveDays;
  if (inactiveDays !== undefined) {
    let after: InactiveCursor | undefined;
    for (;;) {
      stopIfAborted(signal);
      const page = await retry.idempotent('retention.inactiveThreads', () =>
        inactiveThreads(db, { after, limit: settings.batchSize }, inactiveDays).execute(),
      );
      for (const thread of page) await expire(thread.thread_id, inactiveDays);
      await pacer.spend(page.length);
      const last = page.at(-1);
      if (last === undefined || page.length < settings.batchSize) break;
      after = { lastRunAt: last.last_run_at, threadId: last.thread_id };
    }
  }

  const policy: PrunePolicy = {
    keep: settings.keepLatestCheckpoints,
    maxAgeDays: settings.checkpointMaxAgeDays,
  };
  if (policy.keep === undefined && policy.maxAgeDays === undefined && inactiveDays === undefined) {
    return;
  }
  let after: string | undefined;
  for (;;) {
    stopIfAborted(signal);
    const page = await retry.idempotent('retention.checkpointThreads', () =>
      checkpointThreads(
        db,
        schema,
        { after, limit: settings.batchSize },
        { ...policy, inactiveDays },
      ),
    );
    for (const thread of page) {
      if (expired.has(thread.thread_id)) continue;
      const bareAndInactive = !thread.known && thread.inactive && inactiveDays !== undefined;
      if (bareAndInactive && (await expire(thread.thread_id, inactiveDays))) continue;
      if (!thread.prunable) continue;
      const counts = await pruneThread(
        context,
        thread.thread_id,
        policy,
        { dryRun, signal, pacer },
        add,
      );
      if (counts.checkpoints > 0) progress.pruned += 1;
      await pacer.spend(counts.checkpoints);
    }
    await pacer.spend(page.length);
    const last = page.at(-1);
    if (last === undefined || page.length < settings.batchSize) break;
    after = last.thread_id;
  }
}

/** A fresh progress record. */
export function noProgress(): SweepProgress {
  return { rows: NO_ROWS, pruned: 0, expired: 0 };
}
