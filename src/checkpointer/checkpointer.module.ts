import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CheckpointerLogger } from './common/checkpointer.logger';
import { ConfigurableCheckpointerModule } from './checkpointer.module-definition';
import { kyselyProvider, resolvedOptionsProvider, saverProvider } from './checkpointer.providers';
import {
  getCheckpointerDbToken,
  getCheckpointerOptionsToken,
  getCheckpointerToken,
} from './common/checkpointer.tokens';
import { ConnectionProvider } from './connection/connection.provider';
import { PoolManager } from './connection/pool.manager';
import { CheckpointerHealthIndicator } from './health/checkpointer.health';
import {
  CheckpointerMetrics,
  type CheckpointerMetricsSnapshot,
} from './health/checkpointer.metrics';
import { SchemaStatusCache } from './health/schema-status.cache';
import { RetryInterceptor } from './resilience/retry.interceptor';
import { RetryPolicy } from './resilience/retry.policy';
import { RetentionService } from './retention/retention.service';
import { CheckpointerFactory } from './saver/checkpointer.factory';
import { SchemaService } from './schema/schema.service';
import { SentimentService } from './threads/sentiment.service';
import { ThreadService } from './threads/thread.service';
import { ThreadTurns } from './threads/thread-turns';

/**
 * LangGraph checkpointing on PostgreSQL for a NestJS application.
 *
 * @example
 * \@Module({
 *   imports: [
 *     CheckpointerModule.forRootAsync({
 *       imports: [ConfigModule],
 *       inject: [ConfigService],
 *       useFactory: (config: ConfigService) => ({ connectionString: config.getOrThrow('DATABASE_URL') }),
 *     }),
 *   ],
 * })
 * export class AppModule {}
 */
@Module({
  imports: [TerminusModule],
  providers: [
    resolvedOptionsProvider,
    CheckpointerLogger,
    ConnectionProvider,
    PoolManager,
    RetryPolicy,
    RetryInterceptor,
    CheckpointerFactory,
    SchemaService,
    SchemaStatusCache,
    saverProvider,
    kyselyProvider,
    CheckpointerHealthIndicator,
    ThreadService,
    ThreadTurns,
    SentimentService,
    RetentionService,
    CheckpointerMetrics,
  ],
  exports: [
    getCheckpointerOptionsToken(),
    getCheckpointerToken(),
    getCheckpointerDbToken(),
    ConnectionProvider,
    PoolManager,
    CheckpointerFactory,
    SchemaService,
    RetryPolicy,
    RetryInterceptor,
    // `@UseInterceptors(RetryInterceptor)` builds the interceptor in the importing module's
    // injector: everything it injects must be visible there. Exported for that only: it is not
    // in index.ts, not part of the public API.
    CheckpointerLogger,
    CheckpointerHealthIndicator,
    ThreadService,
    ThreadTurns,
    SentimentService,
    RetentionService,
    CheckpointerMetrics,
  ],
})
export class CheckpointerModule extends ConfigurableCheckpointerModule {
  constructor(private readonly metricsSource: CheckpointerMetrics) {
    super();
  }

  /**
   * The module's numbers for your monitoring: pool counters, retries, give-ups, pool
   * recreations, saver kind, migration versions and retention's last sweep. Never waits on the
   * database.
   *
   * @example app.get(CheckpointerModule).metrics().pool.waiting
   */
  metrics(): CheckpointerMetricsSnapshot {
    return this.metricsSource.snapshot();
  }
}
