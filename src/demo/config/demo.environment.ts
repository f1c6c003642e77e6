/**
 * The demo's environment, validated once at boot by `ConfigModule` (one error lists every
 * problem). Database variables are checked by the library's `checkpointerOptionsFromEnv()`.
 */
export interface DemoEnvironment {
  /** `development` (default), `production` or `test`. */
  NODE_ENV: 'development' | 'production' | 'test';
  /** HTTP port. Default: `3000`. */
  PORT: number;
  /** Interface to listen on. Default: `127.0.0.1`. */
  HOST: string;
  /** HS256 secret for bearer tokens, at least 32 characters. Required outside development. */
  JWT_SECRET?: string;
  /**
   * Longest lifetime of a bearer token, in seconds (60 to 2,592,000, 30 days): the guard refuses
   * a token whose `exp` lies further ahead, or further from its `iat`, and `npm run token` refuses
   * to mint one. Default: `86400` (24 hours).
   */
  JWT_MAX_TTL_SECONDS: number;
  /**
   * After SIGTERM, how long to keep serving with readiness answering 503 before closing, so load
   * balancers stop sending traffic first. Default: `0`.
   */
  SHUTDOWN_GRACE_MS: number;
  /**
   * Whether the unauthenticated `/health/ready` shows its details (latency, pool counters, schema
   * versions, the database error's text) or its status alone. Status codes are the same either
   * way. `true` or `false`. Default: `false` in production, `true` in development and test.
   */
  HEALTH_DETAILS: boolean;
  /** Schema of the checkpointer tables. Default: `public`. */
  CHECKPOINTER_SCHEMA: string;
  /** Where the embedded database keeps its data when no database is configured. Default: `./.data/pglite`. */
  DEMO_DATA_DIR: string;
  /** Database target: a URL, or the standard PG* variables (validated by the library). */
  DATABASE_URL?: string;
  PGHOST?: string;
  /** A direct URL for migrations when DATABASE_URL points at a transaction pooler. Default: none. */
  MIGRATION_DATABASE_URL?: string;
  /**
   * Longest a turn waits, in milliseconds, for the thread's running turn (one at a time per
   * thread, across replicas) before answering 409 with `Retry-After`; `0` refuses at once.
   * 0 to 600,000. Default: the library's `threads.turnWaitMs`, `30000`.
   */
  TURN_WAIT_MS?: number;
  /**
   * Most turns (runs) a thread may have: the next is refused with 422 naming the limit, nothing
   * of it recorded. 1 to 1,000,000. Default: `1000`.
   */
  THREAD_MAX_TURNS: number;
  /**
   * Largest a thread's checkpointed state may grow, in bytes of its JSON (UTF-8): a turn whose
   * prompt would take it past this is refused with 422 naming the limit, nothing of it recorded.
   * Checked before the turn runs, so the answer may take the state past it by its own size.
   * 1,024 to 1,073,741,824. Default: `1048576` (1 MiB).
   */
  THREAD_MAX_STATE_BYTES: number;
}

const NODE_ENVS = ['development', 'production', 'test'] as const;
const MIN_SECRET_LENGTH = 32;
/** `JWT_MAX_TTL_SECONDS` when unset: 24 hours. */
export const DEFAULT_MAX_TOKEN_TTL_SECONDS = 24 * 3600;
const MAX_TOKEN_TTL_RANGE = { min: 60, max: 30 * 86400 } as const;
/** Longest `TURN_WAIT_MS`: ten minutes, past any HTTP client's patience. */
const MAX_TURN_WAIT_MS = 600_000;
/** `THREAD_MAX_TURNS` when unset, and its range. */
export const DEFAULT_THREAD_MAX_TURNS = 1000;
const THREAD_MAX_TURNS_RANGE = { min: 1, max: 1_000_000 } as const;
/** `THREAD_MAX_STATE_BYTES` when unset (1 MiB), and its range. */
export const DEFAULT_THREAD_MAX_STATE_BYTES = 1_048_576;
const THREAD_MAX_STATE_BYTES_RANGE = { min: 1024, max: 1_073_741_824 } as const;

/**
 * Whether `env` (the process's, before validation) runs the demo in development: `NODE_ENV`
 * unset, blank or `development`. For what must not even be registered elsewhere (`/dev/token`).
 */
export function isDevelopment(env: Record<string, unknown>): boolean {
  const value = env.NODE_ENV;
  return typeof value !== 'string' || value.trim() === '' || value.trim() === 'development';
}

/** `ConfigModule.forRoot({ validate })`: returns the typed environment or throws listing every problem. */
export function validateDemoEnvironment(raw: Record<string, unknown>): DemoEnvironment {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = raw[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };

  const nodeEnv = text('NODE_ENV') ?? 'development';
  if (!(NODE_ENVS as readonly string[]).includes(nodeEnv)) {
    problems.push(
      `NODE_ENV must be one of ${NODE_ENVS.join(', ')}, got ${JSON.stringify(nodeEnv)}`,
    );
  }
  const port = text('PORT') ?? '3000';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    problems.push(`PORT must be an integer 1-65535, got ${JSON.stringify(port)}`);
  }
  const grace = text('SHUTDOWN_GRACE_MS') ?? '0';
  if (!/^\d{1,7}$/.test(grace)) {
    problems.push(
      `SHUTDOWN_GRACE_MS must be an integer of milliseconds, got ${JSON.stringify(grace)}`,
    );
  }
  const maxTtl = text('JWT_MAX_TTL_SECONDS') ?? String(DEFAULT_MAX_TOKEN_TTL_SECONDS);
  if (
    !/^\d{1,7}$/.test(maxTtl) ||
    Number(maxTtl) < MAX_TOKEN_TTL_RANGE.min ||
    Number(maxTtl) > MAX_TOKEN_TTL_RANGE.max
  ) {
    problems.push(
      `JWT_MAX_TTL_SECONDS must be an integer of seconds from ${MAX_TOKEN_TTL_RANGE.min} to ` +
        `${MAX_TOKEN_TTL_RANGE.max}, got ${JSON.stringify(maxTtl)}`,
    );
  }
  const secret = text('JWT_SECRET');
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    problems.push(`JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (secret === undefined && nodeEnv !== 'development') {
    problems.push(`JWT_SECRET is required when NODE_ENV is ${nodeEnv}`);
  }
  const healthDetails = text('HEALTH_DETAILS') ?? String(nodeEnv !== 'production');
  if (healthDetails !== 'true' && healthDetails !== 'false') {
    problems.push(`HEALTH_DETAILS must be true or false, got ${JSON.stringify(healthDetails)}`);
  }
  const turnWait = text('TURN_WAIT_MS');
  if (
    turnWait !== undefined &&
    (!/^\d{1,6}$/.test(turnWait) || Number(turnWait) > MAX_TURN_WAIT_MS)
  ) {
    problems.push(
      `TURN_WAIT_MS must be an integer of milliseconds from 0 to ${MAX_TURN_WAIT_MS}, got ` +
        JSON.stringify(turnWait),
    );
  }
  const integerIn = (name: string, fallback: number, range: { min: number; max: number }) => {
    const value = text(name) ?? String(fallback);
    if (!/^\d{1,10}$/.test(value) || Number(value) < range.min || Number(value) > range.max) {
      problems.push(
        `${name} must be an integer from ${range.min} to ${range.max}, got ${JSON.stringify(value)}`,
      );
    }
    return Number(value);
  };
  const maxTurns = integerIn('THREAD_MAX_TURNS', DEFAULT_THREAD_MAX_TURNS, THREAD_MAX_TURNS_RANGE);
  const maxStateBytes = integerIn(
    'THREAD_MAX_STATE_BYTES',
    DEFAULT_THREAD_MAX_STATE_BYTES,
    THREAD_MAX_STATE_BYTES_RANGE,
  );
  if (problems.length > 0) throw new Error(`Invalid environment: ${problems.join('; ')}`);

  return {
    NODE_ENV: nodeEnv as DemoEnvironment['NODE_ENV'],
    PORT: Number(port),
    HOST: text('HOST') ?? '127.0.0.1',
    SHUTDOWN_GRACE_MS: Number(grace),
    HEALTH_DETAILS: healthDetails === 'true',
    JWT_SECRET: secret,
    JWT_MAX_TTL_SECONDS: Number(maxTtl),
    CHECKPOINTER_SCHEMA: text('CHECKPOINTER_SCHEMA') ?? 'public',
    DEMO_DATA_DIR: text('DEMO_DATA_DIR') ?? './.data/pglite',
    DATABASE_URL: text('DATABASE_URL'),
    PGHOST: text('PGHOST'),
    MIGRATION_DATABASE_URL: text('MIGRATION_DATABASE_URL'),
    TURN_WAIT_MS: turnWait === undefined ? undefined : Number(turnWait),
    THREAD_MAX_TURNS: maxTurns,
    THREAD_MAX_STATE_BYTES: maxStateBytes,
  };
}
