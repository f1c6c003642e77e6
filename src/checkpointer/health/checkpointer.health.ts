import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { errorMessage } from '../common/checkpointer.errors';
import { withDeadline } from '../common/deadline';
import { ConnectionProvider } from '../connection/connection.provider';
import { PoolManager } from '../connection/pool.manager';
import { CheckpointerFactory } from '../saver/checkpointer.factory';
import type { SchemaStatus } from '../schema/schema.service';
import { SchemaStatusCache } from './schema-status.cache';

/** Options of `CheckpointerHealthIndicator.isHealthy()`. */
export interface CheckpointerHealthCheckOptions {
  /**
   * Longest the ping may take, enforced by the server (`statement_timeout`) and by the client;
   * the (cached) schema read gets the same bound. Default: `1000`.
   */
  timeoutMs?: number;
}

/**
 * Terminus readiness indicator that tells the truth: a real round trip to PostgreSQL bounded on
 * both ends (a timed-out ping never keeps a pooled connection), pool counters, whether the schema
 * is current (read at most every 10 s), and the saver kind. The in-memory fallback is reported
 * down: it loses conversations. Built on `HealthIndicatorService`, so it works with Terminus 11
 * and 12. Never throws (Terminus would turn a thrown error into a 500): every failure is `down`.
 *
 * Use it for readiness only; a liveness probe that pings the database restarts healthy pods
 * during a database outage.
 *
 * @example
 * \@Get('ready') \@HealthCheck()
 * ready() {
 *   return this.health.check([() => this.checkpointer.isHealthy('checkpointer', { timeoutMs: 1000 })]);
 * }
 */
@Injectable()
export class CheckpointerHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly pools: PoolManager,
    private readonly factory: CheckpointerFactory,
    private readonly connection: ConnectionProvider,
    private readonly schemaStatus: SchemaStatusCache,
  ) {}

  async isHealthy<const Key extends string>(
    key: Key,
    options: CheckpointerHealthCheckOptions = {},
  ) {
    const check = this.health.check(key);
    const timeoutMs = options.timeoutMs ?? 1000;
    if (this.factory.kind !== 'postgres') {
      return check.down({
        saver: this.factory.kind ?? 'none',
        message: 'running on the in-memory fallback: checkpoints are not persisted',
      });
    }
    try {
      const latencyMs = Math.round(await this.pools.ping(timeoutMs));
      // The cached read's late result is still useful (it fills the cache), so it is not discarded.
      const timed = await withDeadline(
        this.schemaStatus.get(),
        timeoutMs,
        () => new Error(`schema status not read within ${timeoutMs} ms`),
      );
      const schema = describeSchema(timed.status);
      const details = { saver: 'postgres', latencyMs, pool: this.pools.stats(), schema };
      if (!schema.current) {
        return check.down({ ...details, message: `schema "${schema.name}" is not current` });
      }
      return check.up(details);
    } catch (error) {
      return check.down({
        saver: 'postgres',
        message: this.connection.redact(errorMessage(error)),
        pool: this.pools.stats(),
      });
    }
  }
}

function describeSchema(status: SchemaStatus) {
  return {
    name: status.schema,
    current: status.upToDate,
    checkpointsVersion: status.checkpoints.version,
    checkpointsLatest: status.checkpoints.latest,
    pendingMigrations: status.app.pending,
  };
}
