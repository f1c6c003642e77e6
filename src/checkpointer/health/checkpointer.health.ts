import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { errorMessage } from '../checkpointer.errors';
import { ConnectionProvider } from '../connection/connection.provider';
import { PoolManager } from '../connection/pool.manager';
import { CheckpointerFactory } from '../saver/checkpointer.factory';

/** Options of `CheckpointerHealthIndicator.isHealthy()`. */
export interface CheckpointerHealthCheckOptions {
  /** Longest the ping may take, client and server side. Default: `1000`. */
  timeoutMs?: number;
}

/**
 * Terminus readiness indicator: a real round trip to PostgreSQL, bounded on both ends, with the
 * pool counters. The in-memory fallback is reported down: it loses conversations. Never throws
 * (Terminus would turn a thrown error into a 500); every failure is a `down` result.
 *
 * @example
 * \@Get('ready') \@HealthCheck()
 * ready() { return this.health.check([() => this.checkpointer.isHealthy('checkpointer')]); }
 */
@Injectable()
export class CheckpointerHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly pools: PoolManager,
    private readonly factory: CheckpointerFactory,
    private readonly connection: ConnectionProvider,
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
      const latencyMs = await this.pools.ping(timeoutMs);
      return check.up({
        saver: 'postgres',
        latencyMs: Math.round(latencyMs),
        pool: this.pools.stats(),
      });
    } catch (error) {
      return check.down({
        saver: 'postgres',
        message: this.connection.redact(errorMessage(error)),
        pool: this.pools.stats(),
      });
    }
  }
}
