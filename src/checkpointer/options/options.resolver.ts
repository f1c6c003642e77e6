import { CheckpointerConfigError } from '../common/checkpointer.errors';
import { OptionChecker } from './option-checker';
import {
  CHECKPOINTER_DEFAULTS as D,
  type CheckpointerModuleOptions,
  type ResolvedCheckpointerOptions,
  type ResolvedTarget,
} from './checkpointer.options';

const TOP_LEVEL_KEYS: ReadonlySet<string> = new Set<keyof CheckpointerModuleOptions>([
  'connectionString',
  'host',
  'port',
  'user',
  'password',
  'database',
  'ssl',
  'schema',
  'pool',
  'connection',
  'migrations',
  'migrationConnectionString',
  'retryAttempts',
  'retryDelayMs',
  'fallback',
  'logger',
  'serde',
  'retry',
  'isTransient',
  'threads',
]);
const POOL_KEYS = new Set([
  'max',
  'min',
  'idleTimeoutMs',
  'maxLifetimeSeconds',
  'acquireTimeoutMs',
]);
const CONNECTION_KEYS = new Set([
  'connectTimeoutMs',
  'keepAlive',
  'keepAliveInitialDelayMs',
  'statementTimeoutMs',
  'idleInTransactionSessionTimeoutMs',
  'applicationName',
]);
const RETRY_KEYS = new Set(['maxAttempts', 'baseDelayMs', 'maxDelayMs', 'budgetMs']);
const THREADS_KEYS = new Set(['maxPromptLength']);

/**
 * Validates module options and applies every default. Collects all problems and throws ONE
 * `CheckpointerConfigError` listing them, e.g.
 * `port must be an integer 1-65535, got "abc"; pool.max must be an integer >= 1, got 0`.
 * Secrets (password, connection string) are never echoed back.
 */
export function resolveCheckpointerOptions(input: unknown): ResolvedCheckpointerOptions {
  const problems: string[] = [];
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new CheckpointerConfigError(['options must be an object']);
  }
  const o = input as Record<string, unknown>;
  const check = new OptionChecker(problems);
  check.unknownKeys('', o, TOP_LEVEL_KEYS);

  const target = resolveTarget(o, check);
  const pool = check.section('pool', o.pool, POOL_KEYS);
  const connection = check.section('connection', o.connection, CONNECTION_KEYS);
  const retry = check.section('retry', o.retry, RETRY_KEYS);
  const threads = check.section('threads', o.threads, THREADS_KEYS);

  const resolved: ResolvedCheckpointerOptions = {
    target,
    schema: check.identifier('schema', o.schema, D.schema),
    pool: {
      max: check.integer('pool.max', pool.max, D.pool.max, 1),
      min: check.integer('pool.min', pool.min, D.pool.min, 0),
      idleTimeoutMs: check.integer(
        'pool.idleTimeoutMs',
        pool.idleTimeoutMs,
        D.pool.idleTimeoutMs,
        0,
      ),
      maxLifetimeSeconds: check.integer(
        'pool.maxLifetimeSeconds',
        pool.maxLifetimeSeconds,
        D.pool.maxLifetimeSeconds,
        0,
      ),
      acquireTimeoutMs: check.integer(
        'pool.acquireTimeoutMs',
        pool.acquireTimeoutMs,
        D.pool.acquireTimeoutMs,
        1,
      ),
    },
    connection: {
      connectTimeoutMs: check.integer(
        'connection.connectTimeoutMs',
        connection.connectTimeoutMs,
        D.connection.connectTimeoutMs,
        1,
      ),
      keepAlive: check.boolean(
        'connection.keepAlive',
        connection.keepAlive,
        D.connection.keepAlive,
      ),
      keepAliveInitialDelayMs: check.integer(
        'connection.keepAliveInitialDelayMs',
        connection.keepAliveInitialDelayMs,
        D.connection.keepAliveInitialDelayMs,
        0,
      ),
      statementTimeoutMs: check.optionalInteger(
        'connection.statementTimeoutMs',
        connection.statementTimeoutMs,
        0,
      ),
      idleInTransactionSessionTimeoutMs: check.optionalInteger(
        'connection.idleInTransactionSessionTimeoutMs',
        connection.idleInTransactionSessionTimeoutMs,
        0,
      ),
      applicationName: check.applicationName(connection.applicationName),
    },
    migrations: check.oneOf('migrations', o.migrations, ['run', 'verify', 'skip'], D.migrations),
    migrationConnectionString: check.optionalUrl(
      'migrationConnectionString',
      o.migrationConnectionString,
    ),
    retryAttempts: check.integer('retryAttempts', o.retryAttempts, D.retryAttempts, 0),
    retryDelayMs: check.integer('retryDelayMs', o.retryDelayMs, D.retryDelayMs, 0),
    fallback: check.oneOf('fallback', o.fallback, ['none', 'memory'], D.fallback),
    logger: check.boolean('logger', o.logger, D.logger),
    serde: check.serde(o.serde),
    retry: {
      maxAttempts: check.integer('retry.maxAttempts', retry.maxAttempts, D.retry.maxAttempts, 1),
      baseDelayMs: check.integer('retry.baseDelayMs', retry.baseDelayMs, D.retry.baseDelayMs, 0),
      maxDelayMs: check.integer('retry.maxDelayMs', retry.maxDelayMs, D.retry.maxDelayMs, 0),
      budgetMs: check.integer('retry.budgetMs', retry.budgetMs, D.retry.budgetMs, 0),
    },
    isTransient: check.optionalFunction('isTransient', o.isTransient) as
      ((error: unknown) => boolean) | undefined,
    threads: {
      maxPromptLength: check.integer(
        'threads.maxPromptLength',
        threads.maxPromptLength,
        D.threads.maxPromptLength,
        1,
      ),
    },
  };
  if (resolved.pool.min > resolved.pool.max) {
    problems.push(`pool.min must be <= pool.max (${resolved.pool.max}), got ${resolved.pool.min}`);
  }
  if (problems.length > 0) throw new CheckpointerConfigError(problems);
  return resolved;
}

function resolveTarget(o: Record<string, unknown>, check: OptionChecker): ResolvedTarget {
  const discrete = ['host', 'port', 'user', 'password', 'database'].filter(
    (k) => o[k] !== undefined,
  );
  const connectionString = check.optionalUrl('connectionString', o.connectionString);
  if (o.connectionString !== undefined && discrete.length > 0) {
    check.problem(
      `give either connectionString or discrete fields, not both (also got: ${discrete.join(', ')})`,
    );
  }
  if (o.connectionString === undefined && o.host === undefined) {
    check.problem('a target is required: set connectionString, or host (with user and database)');
  }
  const password = o.password;
  if (password !== undefined && typeof password !== 'string' && typeof password !== 'function') {
    check.problem('password must be a string or a function returning one');
  }
  return {
    connectionString,
    host: check.optionalString('host', o.host),
    port: o.host !== undefined || o.port !== undefined ? check.port('port', o.port) : undefined,
    user: check.optionalString('user', o.user),
    password: password as ResolvedTarget['password'],
    database: check.optionalString('database', o.database),
    ssl: check.ssl(o.ssl),
  };
}
