import { randomBytes } from 'node:crypto';
import { parse as parseConnectionString } from 'pg-connection-string';
import { CheckpointerConfigError } from './checkpointer.errors';
import {
  CHECKPOINTER_DEFAULTS as D,
  type CheckpointerModuleOptions,
  type ResolvedCheckpointerOptions,
  type ResolvedTarget,
} from './checkpointer.options';
import { isSqlIdentifier } from './schema/sql-identifier';

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
const URL_SCHEMES = /^(postgres|postgresql|socket):/i;
/** PostgreSQL truncates longer `application_name` values (NAMEDATALEN - 1). */
const MAX_APPLICATION_NAME = 63;

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
  const check = new Checker(problems);
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

function resolveTarget(o: Record<string, unknown>, check: Checker): ResolvedTarget {
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

/** Collects problems; every method returns a usable value so checking can go on. */
class Checker {
  constructor(private readonly problems: string[]) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  unknownKeys(prefix: string, value: Record<string, unknown>, known: ReadonlySet<string>): void {
    for (const key of Object.keys(value)) {
      if (!known.has(key) && value[key] !== undefined)
        this.problem(`unknown option "${prefix}${key}"`);
    }
  }

  section(name: string, value: unknown, known: ReadonlySet<string>): Record<string, unknown> {
    if (value === undefined) return {};
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.problem(`${name} must be an object, got ${describe(value)}`);
      return {};
    }
    const section = value as Record<string, unknown>;
    this.unknownKeys(`${name}.`, section, known);
    return section;
  }

  integer(
    path: string,
    value: unknown,
    fallback: number,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number {
    if (value === undefined) return fallback;
    const n = toInteger(value);
    if (n === undefined || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}-${max}`;
      this.problem(`${path} must be an integer ${range}, got ${describe(value)}`);
      return fallback;
    }
    return n;
  }

  optionalInteger(path: string, value: unknown, min: number): number | undefined {
    return value === undefined ? undefined : this.integer(path, value, 0, min);
  }

  port(path: string, value: unknown): number {
    if (value === undefined) return D.port;
    const n = toInteger(value);
    if (n === undefined || n < 1 || n > 65535) {
      this.problem(`${path} must be an integer 1-65535, got ${describe(value)}`);
      return D.port;
    }
    return n;
  }

  boolean(path: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.problem(`${path} must be true or false, got ${describe(value)}`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      this.problem(
        `${path} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
      );
      return fallback;
    }
    return value as T;
  }

  optionalString(path: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      this.problem(`${path} must be a non-empty string, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  identifier(path: string, value: unknown, fallback: string): string {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !isSqlIdentifier(value)) {
      this.problem(
        `${path} must be a SQL identifier (a letter or _, then up to 62 letters, digits or _), got ${describe(value)}`,
      );
      return fallback;
    }
    return value;
  }

  /** Validates a URL without ever echoing it: it may carry a password. */
  optionalUrl(path: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !URL_SCHEMES.test(value.trim())) {
      this.problem(`${path} must be a postgres:// or postgresql:// URL`);
      return undefined;
    }
    try {
      const parsed = parseConnectionString(value.trim());
      if (parsed.port != null && parsed.port !== '') {
        const port = toInteger(parsed.port);
        if (port === undefined || port < 1 || port > 65535) {
          this.problem(`${path} has an invalid port, got ${describe(parsed.port)}`);
        }
      }
    } catch {
      this.problem(`${path} could not be parsed as a postgres:// URL`);
      return undefined;
    }
    return value.trim();
  }

  ssl(value: unknown): boolean | object | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'boolean' || (value !== null && typeof value === 'object')) return value;
    this.problem(`ssl must be true, false or an object of tls options, got ${describe(value)}`);
    return undefined;
  }

  applicationName(value: unknown): string {
    if (value === undefined) return defaultApplicationName();
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_APPLICATION_NAME) {
      this.problem(
        `connection.applicationName must be a string of 1-${MAX_APPLICATION_NAME} characters, got ${describe(value)}`,
      );
      return defaultApplicationName();
    }
    return value;
  }

  serde(value: unknown): ResolvedCheckpointerOptions['serde'] {
    if (value === undefined) return undefined;
    const s = value as Record<string, unknown>;
    if (
      typeof s !== 'object' ||
      typeof s.dumpsTyped !== 'function' ||
      typeof s.loadsTyped !== 'function'
    ) {
      this.problem('serde must implement dumpsTyped() and loadsTyped()');
      return undefined;
    }
    return value as ResolvedCheckpointerOptions['serde'];
  }

  optionalFunction(path: string, value: unknown): unknown {
    if (value === undefined || typeof value === 'function') return value;
    this.problem(`${path} must be a function, got ${describe(value)}`);
    return undefined;
  }
}

/** Integers, or strings of digits as configuration sources (env, ConfigService) deliver them. */
function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'function':
      return 'a function';
    case 'object':
      return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object';
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      return typeof value;
  }
}

/** Unique per module instance, so one process's backends can be told apart in pg_stat_activity. */
function defaultApplicationName(): string {
  return `checkpointer-${process.pid}-${randomBytes(3).toString('hex')}`;
}
