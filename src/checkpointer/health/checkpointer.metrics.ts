import { Inject, Injectable } from '@nestjs/common';
import { errorMessage } from '../common/checkpointer.errors';
import { CheckpointerLogger } from '../common/checkpointer.logger';
import type { ResolvedCheckpointerOptions } from '../options/checkpointer.options';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { getCheckpointerOptionsToken, getCheckpointerToken } from '../common/checkpointer.tokens';
import { ConnectionProvider } from '../connection/connection.provider';
import { PoolManager } from '../connection/pool.manager';
import type { PreparedStatementsState } from '../connection/prepared-statements';
import { RetryPolicy } from '../resilience/retry.policy';
import { CheckpointerFactory, type SaverKind } from '../saver/checkpointer.factory';
import { PostgresCheckpointer } from '../saver/postgres-checkpointer';
import { ThreadTurns, type ThreadTurnStats } from '../threads/thread-turns';
import type { RetentionStats } from '../retention/retention.models';
import { RetentionService } from '../retention/retention.service';
import { SchemaStatusCache } from './schema-status.cache';

/** What `CheckpointerMetrics.snapshot()` returns. Counters count since boot. */
export interface CheckpointerMetricsSnapshot {
  /** The saver in use; `'none'` before the module finished booting. */
  readonly saver: SaverKind | 'none';
  readonly pool: {
    /** Connections open (idle or checked out). */
    readonly total: number;
    readonly idle: number;
    /** Callers waiting for a connection: a queue here means `pool.max` is too small. */
    readonly waiting: number;
    /** `pool.max`. */
    readonly max: number;
    /** Times the pool was replaced because its connections were dead (failover). */
    readonly recreations: number;
    /** Checkouts that failed with `PoolExhaustedError`. */
    readonly acquireTimeouts: number;
  };
  readonly retry: {
    /** Retries made after transient errors. */
    readonly retries: number;
    /** Units of work that failed on a transient error after the policy stopped retrying. */
    readonly givenUp: number;
  };
  /** One turn per thread (`ThreadTurns`): turns waiting and running now, refusals, lost leases. */
  readonly turns: ThreadTurnStats;
  /** Saver writes refused because their thread had been deleted (`ThreadDeletedError`). */
  readonly deletedThreadWrites: number;
  /** Whether the module's hot statements run prepared (`preparedStatements`), and why. */
  readonly preparedStatements: PreparedStatementsState;
  /**
   * Checkpoints refused because they built on state pruned or reset after their graph read it
   * (`StaleCheckpointError`).
   */
  readonly staleCheckpointWrites: number;
  /**
   * Retention (`RetentionService`): whether it sweeps on a schedule, the last sweep of this
   * process (status, start, duration, rows deleted per table), sweeps by outcome and rows deleted
   * per table since boot.
   */
  readonly retention: RetentionStats;
  /**
   * Migration versions as last read (at most 10 s old while someone asks), or `null` before the
   * first read completes.
   */
  readonly schema: {
    readonly current: boolean;
    /** Upstream checkpoint tables: version applied and latest known. */
    readonly checkpointsVersion: number | null;
    readonly checkpointsLatest: number | null;
    /** Our own migrations applied and pending. */
    readonly appliedMigrations: readonly string[];
    readonly pendingMigrations: readonly string[];
    /** When it was read (ms since the epoch). */
    readonly readAt: number;
  } | null;
}

/**
 * The module's numbers, for your monitoring. `snapshot()` never waits on the database: counters
 * are in memory and the schema versions are the last read (a stale one is refreshed in the
 * background when the pool has room), so a scrape stays fast during an outage.
 *
 * @example Exporting to Prometheus with prom-client (your dependency, not ours):
 * const metrics = app.get(CheckpointerMetrics);
 * new Gauge({
 *   name: 'checkpointer_pool_connections', help: 'Pool connections by state', labelNames: ['state'],
 *   collect() {
 *     const { pool } = metrics.snapshot();
 *     this.set({ state: 'idle' }, pool.idle);
 *     this.set({ state: 'busy' }, pool.total - pool.idle);
 *     this.set({ state: 'waiting' }, pool.waiting);
 *   },
 * });
 * new Gauge({
 *   name: 'checkpointer_retries_total', help: 'Retries after transient database errors',
 *   collect() { this.set(metrics.snapshot().retry.retries); },
 * });
 */
@Injectable()
export class CheckpointerMetrics {
  constructor(
    @Inject(getCheckpointerOptionsToken()) private readonly options: ResolvedCheckpointerOptions,
    private readonly pools: PoolManager,
    private readonly retry: RetryPolicy,
    private readonly factory: CheckpointerFactory,
    private readonly schemaStatus: SchemaStatusCache,
    private readonly connection: ConnectionProvider,
    private readonly logger: CheckpointerLogger,
    private readonly turns: ThreadTurns,
    private readonly retention: RetentionService,
    @Inject(getCheckpointerToken()) private readonly saver: BaseCheckpointSaver,
  ) {}

  snapshot(): CheckpointerMetricsSnapshot {
    const latest = this.schemaStatus.latest;
    const snapshot: CheckpointerMetricsSnapshot = {
      saver: this.factory.kind ?? 'none',
      pool: {
        ...this.pools.stats(),
        max: this.options.pool.max,
        recreations: this.pools.generation,
        acquireTimeouts: this.pools.acquireTimeouts,
      },
      retry: { retries: this.retry.retries, givenUp: this.retry.givenUp },
      turns: this.turns.stats(),
      deletedThreadWrites:
        this.saver instanceof PostgresCheckpointer ? this.saver.refusedWrites : 0,
      staleCheckpointWrites:
        this.saver instanceof PostgresCheckpointer ? this.saver.staleWrites : 0,
      retention: this.retention.stats(),
      preparedStatements: this.pools.preparedStatements.state,
      schema:
        latest === undefined
          ? null
          : {
              current: latest.status.upToDate,
              checkpointsVersion: latest.status.checkpoints.version,
              checkpointsLatest: latest.status.checkpoints.latest,
              appliedMigrations: latest.status.app.applied,
              pendingMigrations: latest.status.app.pending,
              readAt: latest.readAt,
            },
    };
    // After reading the counters, so the refresh's own checkout is not in them.
    this.refreshSchemaInBackground();
    return snapshot;
  }

  /** Never adds a query to a saturated pool: a scrape must not compete with real work. */
  private refreshSchemaInBackground(): void {
    const { total, idle, waiting } = this.pools.stats();
    const saturated = waiting > 0 || (idle === 0 && total >= this.options.pool.max);
    if (this.factory.kind !== 'postgres' || this.pools.isEnded || saturated) return;
    if (!this.schemaStatus.isStale()) return;
    // The health indicator reports an unreachable database; here a failed read only stays stale.
    this.schemaStatus.get().catch((error: unknown) => {
      this.logger.warn(
        `metrics: schema status not refreshed: ${this.connection.redact(errorMessage(error))}`,
      );
    });
  }
}
