/**
 * Errors the module raises about its own configuration and startup. Each carries a message a
 * newcomer can act on, and none ever contains a password.
 */

/** The options passed to `CheckpointerModule` (or read from the environment) are invalid. */
export class CheckpointerConfigError extends Error {
  override readonly name = 'CheckpointerConfigError';

  /** @param problems every problem found, so one boot tells the whole story. */
  constructor(
    readonly problems: readonly string[],
    subject = 'CheckpointerModule options',
  ) {
    super(`Invalid ${subject}: ${problems.join('; ')}`);
  }
}

/**
 * PostgreSQL could not be used at boot: unreachable within the configured startup retries, or
 * refusing the connection for good (`permanent`: wrong password, no pg_hba.conf entry, no such
 * database, no CONNECT privilege), which is not retried. The driver's error is the `cause`.
 */
export class CheckpointerConnectionError extends Error {
  override readonly name = 'CheckpointerConnectionError';
  /** SQLSTATE or errno of the last failure (`28P01`, `3D000`, `ECONNREFUSED`, ...), if it had one. */
  readonly code: string | undefined;
  /** The server refused for a reason retrying cannot fix; the boot stopped at the first refusal. */
  readonly permanent: boolean;

  constructor(
    message: string,
    /** How many connection attempts were made before giving up. */
    readonly attempts: number,
    options: ErrorOptions & { readonly code?: string; readonly permanent?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.permanent = options.permanent ?? false;
  }
}

/** `migrations: 'verify'` found the schema behind this version of the module. */
export class SchemaNotCurrentError extends Error {
  override readonly name = 'SchemaNotCurrentError';
}

/**
 * Another session held the migration lock for longer than `migrationLockTimeoutMs`: a replica
 * still migrating, or one stuck while holding it. The message names the holder (when it could be
 * seen) and the query that finds it.
 */
export class MigrationLockTimeoutError extends Error {
  override readonly name = 'MigrationLockTimeoutError';

  constructor(
    message: string,
    /** The timeout that expired, in milliseconds. */
    readonly timeoutMs: number,
    /** The backend holding the lock when the wait gave up, if it could be seen. */
    readonly holderPid: number | undefined,
  ) {
    super(message);
  }
}

/** The message of anything thrown, for logs; pass it through `ConnectionProvider.redact()`. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
