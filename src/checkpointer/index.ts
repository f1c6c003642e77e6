// The public surface of the library: everything a user imports, and nothing else.
export { CheckpointerModule } from './checkpointer.module';
export type {
  CheckpointerModuleAsyncOptions,
  CheckpointerModuleExtras,
  CheckpointerModuleForRootOptions,
} from './checkpointer.module-definition';
// Not exported: CHECKPOINTER_MODULE_OPTIONS (the raw, unvalidated options, which may carry the
// password or its function): inject the validated ones with getCheckpointerOptionsToken(). Nor
// CheckpointerLogger, which the module exports only so that RetryInterceptor can be built in an
// importing module's injector: log with your own `new Logger(...)`.
export { CHECKPOINTER_DEFAULTS } from './options/options.table';
export {
  type CheckpointerConnectionSettings,
  type CheckpointerModuleOptions,
  type CheckpointerPoolOptions,
  type CheckpointerRetentionOptions,
  type CheckpointerRetryOptions,
  type CheckpointerThreadsOptions,
  type FallbackMode,
  type MigrationsMode,
  type PreparedStatementsMode,
  type ResolvedCheckpointerOptions,
  type ResolvedRetentionOptions,
} from './options/checkpointer.options';
export { resolveCheckpointerOptions } from './options/options.resolver';
export { checkpointerOptionsFromEnv } from './options/options-from-env';
export {
  CheckpointerConfigError,
  CheckpointerConnectionError,
  MigrationLockTimeoutError,
  SchemaNotCurrentError,
} from './common/checkpointer.errors';
export {
  getCheckpointerDbToken,
  getCheckpointerOptionsToken,
  getCheckpointerToken,
} from './common/checkpointer.tokens';
export { InjectCheckpointer, InjectCheckpointerDb } from './common/checkpointer.decorators';
export { CHECKPOINTER_LOG_CONTEXT } from './common/checkpointer.logger';
export { ConnectionProvider, type ConnectionTarget } from './connection/connection.provider';
export { PoolManager, type PoolStats } from './connection/pool.manager';
export type { PreparedStatementsState } from './connection/prepared-statements';
export { SchemaService, type SchemaStatus } from './schema/schema.service';
export type { CheckpointerDatabase } from './schema/database';
export { CheckpointerFactory, type SaverKind } from './saver/checkpointer.factory';
export { PostgresCheckpointer } from './saver/postgres-checkpointer';
export {
  CheckpointValueError,
  type CheckedSaverOperation,
  type UnstorableTextProblem,
} from './saver/unstorable-text';
export {
  CheckpointerHealthIndicator,
  type CheckpointerHealthCheckOptions,
} from './health/checkpointer.health';
export { ThreadService } from './threads/thread.service';
export {
  ThreadTurns,
  type RunTurnOptions,
  type ThreadTurn,
  type ThreadTurnStats,
} from './threads/thread-turns';
export { ThreadDeletedError } from './saver/thread-deleted.error';
export { StaleCheckpointError } from './saver/stale-checkpoint.error';
export { SentimentService } from './threads/sentiment.service';
export {
  InvalidInputError,
  RunConflictError,
  RunNotFoundError,
  ThreadBusyError,
  ThreadNotFoundError,
  TurnLeaseLostError,
} from './threads/thread.errors';
export { UNTITLED_THREAD, titleFromPrompt } from './threads/thread-title';
export { THREAD_INPUT_LIMITS } from './threads/thread-input';
export type {
  CopyThreadOptions,
  CreateThreadOptions,
  ListThreadsOptions,
  ListThreadsPageOptions,
  RatedRun,
  RecordRunInput,
  RecordedRun,
  SentimentSummary,
  ThreadDeletionCounts,
  ThreadDetail,
  ThreadListPage,
  ThreadOffsetPage,
  ThreadRun,
  ThreadSummary,
} from './threads/thread.models';
export { RetentionService } from './retention/retention.service';
export { RetentionStopped } from './retention/retention.sweeper';
export type {
  CheckpointTableCounts,
  PruneOptions,
  RetentionCounts,
  RetentionStats,
  SweepOptions,
  SweepResult,
  SweepStatus,
} from './retention/retention.models';
export {
  CheckpointerMetrics,
  type CheckpointerMetricsSnapshot,
} from './health/checkpointer.metrics';
export {
  PoolExhaustedError,
  TransientDatabaseError,
  classifyDatabaseError,
  type DatabaseErrorKind,
  type ErrorClassification,
} from './common/database-errors';
export {
  RetryPolicy,
  type RetryAttempts,
  type RetryDecision,
  type RetryRunOptions,
} from './resilience/retry.policy';
export { RetryInterceptor, Retryable, type RetryableOptions } from './resilience/retry.interceptor';
