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

/** PostgreSQL could not be reached at boot within the configured startup retries. */
export class CheckpointerConnectionError extends Error {
  override readonly name = 'CheckpointerConnectionError';

  constructor(
    message: string,
    /** How many connection attempts were made before giving up. */
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** `migrations: 'verify'` found the schema behind this version of the module. */
export class SchemaNotCurrentError extends Error {
  override readonly name = 'SchemaNotCurrentError';
}

/** The message of anything thrown, for logs; pass it through `ConnectionProvider.redact()`. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
