import { CheckpointerConfigError } from '../common/checkpointer.errors';
import type { ResolvedCheckpointerOptions } from './checkpointer.options';
import type { Problems } from './option-rules';
import { CHECKPOINTER_OPTIONS } from './options.table';

/** Shortest retention schedule: each tick costs every replica a statement. */
const MIN_RETENTION_INTERVAL_MS = 1_000;

/** The fields that name the target one by one, instead of `connectionString`. */
const DISCRETE_TARGET = ['host', 'port', 'user', 'password', 'database'] as const;

/**
 * Validates module options and applies every default (`options.table.ts`). Collects all
 * problems and throws ONE `CheckpointerConfigError` listing them, e.g.
 * `port must be an integer 1-65535, got "abc"; pool.max must be an integer >= 1, got 0`.
 * Secrets (password, connection string) are never echoed back.
 */
export function resolveCheckpointerOptions(input: unknown): ResolvedCheckpointerOptions {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new CheckpointerConfigError(['options must be an object']);
  }
  const given = input as Record<string, unknown>;
  const problems: Problems = [];
  const { connectionString, host, port, user, password, database, ssl, ...rest } =
    CHECKPOINTER_OPTIONS.resolve('', given, problems);

  // Checks that span several options.
  const discrete = DISCRETE_TARGET.filter((key) => given[key] !== undefined);
  if (given.connectionString !== undefined && discrete.length > 0) {
    problems.push(
      `give either connectionString or discrete fields, not both (also got: ${discrete.join(', ')})`,
    );
  }
  if (given.connectionString === undefined && given.host === undefined) {
    problems.push('a target is required: set connectionString, or host (with user and database)');
  }
  if (rest.pool.min > rest.pool.max) {
    problems.push(`pool.min must be <= pool.max (${rest.pool.max}), got ${rest.pool.min}`);
  }
  const { intervalMs } = rest.retention;
  if (intervalMs > 0 && intervalMs < MIN_RETENTION_INTERVAL_MS) {
    problems.push(
      `retention.intervalMs must be 0 (no schedule) or >= ${MIN_RETENTION_INTERVAL_MS}, got ${intervalMs}`,
    );
  }
  if (problems.length > 0) throw new CheckpointerConfigError(problems);

  return {
    ...rest,
    target: {
      connectionString,
      host,
      // The default port only means something for a discrete target.
      port: given.host !== undefined || given.port !== undefined ? port : undefined,
      user,
      password,
      database,
      ssl,
    },
  };
}
