import { randomBytes } from 'node:crypto';
import type { SerializerProtocol } from '@langchain/langgraph-checkpoint';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type {
  CheckpointerConnectionSettings,
  CheckpointerModuleOptions,
  CheckpointerPoolOptions,
  CheckpointerRetentionOptions,
  CheckpointerRetryOptions,
  CheckpointerThreadsOptions,
} from './checkpointer.options';
import {
  type RulesOf,
  boolean,
  generatedString,
  identifier,
  integer,
  oneOf,
  optionalString,
  optionalValue,
  port,
  postgresUrl,
  section,
} from './option-rules';

/**
 * Every option of `CheckpointerModule`, one table per section: its check, its conversion and its
 * default, in one place. The known keys, the checks and `CHECKPOINTER_DEFAULTS` all come from
 * here; `satisfies RulesOf<...>` makes a missing or misspelled key a compile error. The order of
 * the rows is the order problems are reported in.
 */

/** PostgreSQL truncates longer `application_name` values, in bytes (NAMEDATALEN - 1). */
const MAX_APPLICATION_NAME = 63;

const POOL = {
  max: integer({ default: 10, min: 1 }),
  min: integer({ default: 0, min: 0 }),
  idleTimeoutMs: integer({ default: 10_000, min: 0 }),
  maxLifetimeSeconds: integer({ default: 1800, min: 0 }),
  acquireTimeoutMs: integer({ default: 10_000, min: 1 }),
} satisfies RulesOf<CheckpointerPoolOptions>;

const CONNECTION = {
  connectTimeoutMs: integer({ default: 10_000, min: 1 }),
  keepAlive: boolean({ default: true }),
  keepAliveInitialDelayMs: integer({ default: 10_000, min: 0 }),
  statementTimeoutMs: integer({ min: 0 }),
  idleInTransactionSessionTimeoutMs: integer({ min: 0 }),
  applicationName: generatedString({
    maxBytes: MAX_APPLICATION_NAME,
    generate: defaultApplicationName,
  }),
} satisfies RulesOf<CheckpointerConnectionSettings>;

const RETRY = {
  maxAttempts: integer({ default: 4, min: 1 }),
  baseDelayMs: integer({ default: 50, min: 0 }),
  maxDelayMs: integer({ default: 2_000, min: 0 }),
  budgetMs: integer({ default: 10_000, min: 0 }),
} satisfies RulesOf<CheckpointerRetryOptions>;

const THREADS = {
  maxPromptLength: integer({ default: 100_000, min: 1 }),
  createOnFirstRun: boolean({ default: false }),
  deletedRetentionDays: integer({ default: 30, min: 1, max: 36_500 }),
  turnLeaseMs: integer({ default: 15_000, min: 1_000 }),
  turnWaitMs: integer({ default: 30_000, min: 0 }),
  maxTurnWaiters: integer({ default: 16, min: 0 }),
} satisfies RulesOf<CheckpointerThreadsOptions>;

/** Days: at most a century, so `now() - days` stays a valid timestamp. */
const MAX_DAYS = 36_500;

const RETENTION = {
  keepLatestCheckpoints: integer({ min: 1 }),
  checkpointMaxAgeDays: integer({ min: 1, max: MAX_DAYS }),
  threadInactiveDays: integer({ min: 1, max: MAX_DAYS }),
  intervalMs: integer({ default: 3_600_000, min: 0 }),
  batchSize: integer({ default: 500, min: 1, max: 10_000 }),
  batchPauseMs: integer({ default: 100, min: 0, max: 60_000 }),
  leaseMs: integer({ default: 60_000, min: 1_000 }),
} satisfies RulesOf<CheckpointerRetentionOptions>;

/** All options; `resolveCheckpointerOptions` adds the checks that span several of them. */
export const CHECKPOINTER_OPTIONS = section({
  connectionString: postgresUrl(),
  host: optionalString(),
  port: port(),
  user: optionalString(),
  password: optionalValue(
    (v): v is string | (() => string | Promise<string>) =>
      typeof v === 'string' || typeof v === 'function',
    'a string or a function returning one',
    { echo: false },
  ),
  database: optionalString(),
  ssl: optionalValue(
    (v): v is boolean | TlsOptions =>
      typeof v === 'boolean' || (v !== null && typeof v === 'object'),
    'true, false or an object of tls options',
  ),
  schema: identifier({ default: 'public' }),
  pool: section(POOL),
  connection: section(CONNECTION),
  migrations: oneOf(['run', 'verify', 'skip'], { default: 'run' }),
  migrationConnectionString: postgresUrl(),
  migrationLockTimeoutMs: integer({ default: 60_000, min: 1 }),
  preparedStatements: oneOf(['auto', 'on', 'off'], { default: 'auto' }),
  retryAttempts: integer({ default: 5, min: 0 }),
  retryDelayMs: integer({ default: 2_000, min: 0 }),
  fallback: oneOf(['none', 'memory'], { default: 'none' }),
  logger: boolean({ default: true }),
  serde: optionalValue(isSerializer, 'an object implementing dumpsTyped() and loadsTyped()', {
    echo: false,
  }),
  retry: section(RETRY),
  isTransient: optionalValue(
    (v): v is (error: unknown) => boolean => typeof v === 'function',
    'a function',
  ),
  threads: section(THREADS),
  retention: section(RETENTION),
} satisfies RulesOf<CheckpointerModuleOptions>);

/**
 * Every documented default, from the table above (the options' JSDoc quotes these values). A
 * `connection.applicationName` is generated per module instance: `checkpointer-<pid>-<6 hex>`.
 */
export const CHECKPOINTER_DEFAULTS = CHECKPOINTER_OPTIONS.default;

function isSerializer(value: unknown): value is SerializerProtocol {
  const s = value as Partial<Record<string, unknown>> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.dumpsTyped === 'function' &&
    typeof s.loadsTyped === 'function'
  );
}

/** Unique per module instance, so one process's backends can be told apart in pg_stat_activity. */
function defaultApplicationName(): string {
  return `checkpointer-${process.pid}-${randomBytes(3).toString('hex')}`;
}
