/**
 * Which database errors are worth retrying, decided by SQLSTATE and errno, never by message text
 * (the one exception: pg's `Connection terminated unexpectedly`, which carries no code). The
 * original matched substrings such as `"does not exist"`, which also matched every missing table.
 */

/** Why an error is (or is not) worth another attempt. */
export type DatabaseErrorKind =
  /** The connection failed or was lost: class 08, 57P01-57P03, ECONNRESET, EPIPE, ... */
  | 'connection'
  /** The server has no connection slot left (53300). */
  | 'too-many-connections'
  /** The server aborted the transaction to keep it serializable or break a deadlock (40001, 40P01). */
  | 'serialization'
  /**
   * A named statement could not run: a pooler gave the transaction a backend that lacks, or
   * already has, it (26000, 42P05), or its cached plan went stale after a schema change (0A000 on
   * a statement this module had prepared, see `markStalePreparedPlan`). The connection is discarded.
   */
  | 'prepared-statement'
  /** No pooled connection became free within `pool.acquireTimeoutMs` (`PoolExhaustedError`). */
  | 'pool-exhausted'
  /** Permanent by the table, transient by the application's `isTransient` classifier. */
  | 'application'
  /** Anything else: retrying cannot help (bad SQL, constraint violation, permission, ...). */
  | 'permanent';

/** The verdict on one error. */
export interface ErrorClassification {
  readonly kind: DatabaseErrorKind;
  /**
   * The retry policy retries it: every kind but `permanent` and `pool-exhausted`, and never a
   * `TransientDatabaseError` (a policy already spent its attempts on it).
   */
  readonly retryable: boolean;
  /**
   * The error proves the failed work never reached the server (no connection could be had or
   * opened), so even non-idempotent work may run again.
   */
  readonly neverSent: boolean;
  /** The SQLSTATE or errno that decided it, for logs (e.g. `57P01`, `ECONNRESET`). */
  readonly code: string | undefined;
  /**
   * The error came through one of this module's pooled connections (marked where it arose, see
   * `markFromOurConnection`), so it says something about the pool. An `ECONNRESET` from any other
   * socket (a model's HTTP call inside a `@Retryable()` handler) is classified the same, but only
   * ours may make the policy replace the pool.
   */
  readonly fromOurConnection: boolean;
}

/**
 * No pooled connection became free within `pool.acquireTimeoutMs`. Not retried by default:
 * retrying adds load to a saturated pool. Raise `pool.max`, or find the slow work holding
 * connections (`pool.waiting` in the metrics shows the queue).
 */
export class PoolExhaustedError extends Error {
  override readonly name = 'PoolExhaustedError';

  constructor(
    /** The acquire timeout that expired, in milliseconds. */
    readonly acquireTimeoutMs: number,
    /** The pool's size limit. */
    readonly max: number,
    options?: ErrorOptions,
  ) {
    super(
      `no pooled connection became free within ${acquireTimeoutMs} ms (all ${max} in use): ` +
        'raise pool.max or find the slow work holding connections',
      options,
    );
  }
}

/**
 * A transient database error the retry policy stopped on: its attempts or time budget were spent,
 * or the work was not idempotent and might have reached the server. The original error is the
 * `cause`. The HTTP layer maps it to `503 Service Unavailable` with `Retry-After`.
 */
export class TransientDatabaseError extends Error {
  override readonly name = 'TransientDatabaseError';

  constructor(
    message: string,
    /** How the last error was classified. */
    readonly kind: DatabaseErrorKind,
    /** Attempts made, the first included. */
    readonly attempts: number,
    options: ErrorOptions,
  ) {
    super(message, options);
  }
}

const CONNECTION_ERRNOS: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** Errnos that only occur while opening a connection, before anything was sent. */
const CONNECT_ONLY_ERRNOS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** admin_shutdown, crash_shutdown, cannot_connect_now. */
const SHUTDOWN_STATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03']);
/** SQLSTATEs the server only sends while a connection is being established. */
const CONNECT_ONLY_STATES: ReadonlySet<string> = new Set(['08001', '08004', '53300', '57P03']);
const SERIALIZATION_STATES: ReadonlySet<string> = new Set(['40001', '40P01']);
const PREPARED_STATEMENT_STATES: ReadonlySet<string> = new Set(['26000', '42P05']);
/** pg's error for a connection that ended under it; it has no code. */
const PG_CONNECTION_TERMINATED = 'Connection terminated unexpectedly';

const NEVER_SENT = Symbol('checkpointer.neverSent');
const STALE_PREPARED_PLAN = Symbol('checkpointer.stalePreparedPlan');
const FROM_OUR_CONNECTION = Symbol('checkpointer.fromOurConnection');
const MAX_CAUSE_DEPTH = 5;

/**
 * Marks an error raised while acquiring or opening a connection, before any statement of the work
 * was sent. `PoolManager`'s pool marks every error of `connect()`; the retry policy then knows
 * non-idempotent work may run again.
 */
export function markNeverSent<E>(error: E): E {
  return mark(error, NEVER_SENT);
}

/**
 * Marks an error raised by one of this module's pooled connections (a failed query, a failed
 * checkout). `PoolManager`'s pool and its guarded clients mark every error they raise.
 */
export function markFromOurConnection<E>(error: E): E {
  return mark(error, FROM_OUR_CONNECTION);
}

/**
 * Marks a `0A000` raised by a statement the connection had already prepared and run: its cached
 * plan no longer fits the schema ("cached plan must not change result type" after an `ALTER
 * TABLE`). `0A000` alone means "feature not supported" and is permanent; on a statement that ran
 * before on the same connection, it can only be the stale plan, and a fresh connection fixes it.
 * Decided by the code and where it arose, never by the message.
 */
export function markStalePreparedPlan<E>(error: E): E {
  return mark(error, STALE_PREPARED_PLAN);
}

function mark<E>(error: E, symbol: symbol): E {
  if (typeof error === 'object' && error !== null && !Object.isFrozen(error)) {
    if (!Object.hasOwn(error, symbol)) {
      Object.defineProperty(error, symbol, { value: true, enumerable: false });
    }
  }
  return error;
}

/**
 * Classifies an error by the table above, looking through `cause` and `AggregateError.errors`
 * (a `ROLLBACK` on a dead connection fails with the loss as its cause). `isTransient`, the
 * application's classifier, may turn a permanent or pool-exhausted verdict into a retryable one.
 *
 * @example
 * classifyDatabaseError(err).retryable // true for 40001, 57P01, ECONNRESET, ...
 */
export function classifyDatabaseError(
  error: unknown,
  isTransient?: (error: unknown) => boolean,
): ErrorClassification {
  const found = classifyChain(error, 0);
  const neverSent = found.neverSent || hasMark(error, NEVER_SENT, 0);
  const fromOurConnection = hasMark(error, FROM_OUR_CONNECTION, 0);
  const appliesToApp = !found.retryable && !(error instanceof TransientDatabaseError);
  if (appliesToApp && isTransient?.(error) === true) {
    return {
      ...found,
      kind: found.kind === 'permanent' ? 'application' : found.kind,
      retryable: true,
      neverSent,
      fromOurConnection,
    };
  }
  return { ...found, neverSent, fromOurConnection };
}

/**
 * A prepared-statement conflict (26000, 42P05) or a stale prepared plan: the connection must be
 * discarded, not reused.
 */
export function isPreparedStatementConflict(error: unknown): boolean {
  return classifyChain(error, 0).kind === 'prepared-statement';
}

function classifyChain(error: unknown, depth: number): ErrorClassification {
  const own = classifyOne(error);
  if (own.kind !== 'permanent' || depth >= MAX_CAUSE_DEPTH || !isObject(error)) return own;
  const nested = [
    ...('cause' in error ? [error.cause] : []),
    ...('errors' in error && Array.isArray(error.errors) ? (error.errors as unknown[]) : []),
  ];
  for (const inner of nested) {
    const verdict = classifyChain(inner, depth + 1);
    if (verdict.kind !== 'permanent') return verdict;
  }
  return own;
}

function classifyOne(error: unknown): ErrorClassification {
  if (error instanceof PoolExhaustedError) return verdict('pool-exhausted', false, true, undefined);
  // A policy already spent its attempts on this one; retrying it again would multiply them.
  if (error instanceof TransientDatabaseError) return verdict(error.kind, false, false, undefined);
  if (!isObject(error)) return PERMANENT;
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code !== undefined) {
    if (CONNECTION_ERRNOS.has(code)) {
      return verdict('connection', true, CONNECT_ONLY_ERRNOS.has(code), code);
    }
    if (/^08[0-9A-Z]{3}$/.test(code) || SHUTDOWN_STATES.has(code)) {
      return verdict('connection', true, CONNECT_ONLY_STATES.has(code), code);
    }
    if (code === '53300') return verdict('too-many-connections', true, true, code);
    if (SERIALIZATION_STATES.has(code)) return verdict('serialization', true, false, code);
    if (
      PREPARED_STATEMENT_STATES.has(code) ||
      (error as Record<symbol, unknown>)[STALE_PREPARED_PLAN] === true
    ) {
      return verdict('prepared-statement', true, false, code);
    }
    return { ...PERMANENT, code };
  }
  if (error instanceof Error && error.message === PG_CONNECTION_TERMINATED) {
    return verdict('connection', true, false, undefined);
  }
  return PERMANENT;
}

const PERMANENT: ErrorClassification = verdict('permanent', false, false, undefined);

function verdict(
  kind: DatabaseErrorKind,
  retryable: boolean,
  neverSent: boolean,
  code: string | undefined,
): ErrorClassification {
  return { kind, retryable, neverSent, code, fromOurConnection: false };
}

function hasMark(error: unknown, symbol: symbol, depth: number): boolean {
  if (!isObject(error)) return false;
  if ((error as Record<symbol, unknown>)[symbol] === true) return true;
  return depth < MAX_CAUSE_DEPTH && 'cause' in error && hasMark(error.cause, symbol, depth + 1);
}

function isObject(value: unknown): value is Record<PropertyKey, unknown> {
  return typeof value === 'object' && value !== null;
}
