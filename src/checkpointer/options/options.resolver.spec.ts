import { CheckpointerConfigError } from '../common/checkpointer.errors';
import { CHECKPOINTER_DEFAULTS } from './options.table';
import { resolveCheckpointerOptions } from './options.resolver';

const URL = 'postgres://app:s3cret-pw@db.internal:5433/agents';

function problemsOf(options: unknown): readonly string[] {
  try {
    resolveCheckpointerOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointerConfigError);
    return (error as CheckpointerConfigError).problems;
  }
  throw new Error('expected the options to be rejected');
}

describe('resolveCheckpointerOptions', () => {
  it('applies every documented default', () => {
    const resolved = resolveCheckpointerOptions({ connectionString: URL });
    expect(resolved.schema).toBe('public');
    expect(resolved.pool).toEqual(CHECKPOINTER_DEFAULTS.pool);
    expect(resolved.pool.acquireTimeoutMs).toBe(10_000); // finite: never pg's wait-forever
    expect(resolved.connection).toMatchObject(CHECKPOINTER_DEFAULTS.connection);
    expect(resolved.connection.statementTimeoutMs).toBeUndefined();
    expect(resolved.connection.applicationName).toMatch(
      new RegExp(`^checkpointer-${process.pid}-[0-9a-f]{6}$`),
    );
    expect(resolved.migrations).toBe('run');
    expect(resolved.fallback).toBe('none');
    expect(resolved.logger).toBe(true);
    expect(resolved.retryAttempts).toBe(5);
    expect(resolved.retry).toEqual(CHECKPOINTER_DEFAULTS.retry);
    expect(resolved.threads.maxPromptLength).toBe(100_000);
  });

  it('retention is off by default: no policy, the schedule and batches documented', () => {
    const { retention } = resolveCheckpointerOptions({ connectionString: URL });
    expect(retention).toEqual({
      keepLatestCheckpoints: undefined,
      checkpointMaxAgeDays: undefined,
      threadInactiveDays: undefined,
      ...CHECKPOINTER_DEFAULTS.retention,
    });
    expect(CHECKPOINTER_DEFAULTS.retention).toEqual({
      intervalMs: 3_600_000,
      batchSize: 500,
      batchPauseMs: 100,
      leaseMs: 60_000,
    });
  });

  it('rejects bad retention options with one error naming each', () => {
    expect(
      problemsOf({
        connectionString: URL,
        retention: {
          keepLatestCheckpoints: 0,
          checkpointMaxAgeDays: 'a week',
          threadInactiveDays: 40_000,
          intervalMs: 10,
          batchSize: 0,
          batchPauseMs: -5,
          leaseMs: 999,
          keepLatest: 3,
        },
      }),
    ).toEqual([
      'unknown option "retention.keepLatest"',
      'retention.keepLatestCheckpoints must be an integer >= 1, got 0',
      'retention.checkpointMaxAgeDays must be an integer 1-36500, got "a week"',
      'retention.threadInactiveDays must be an integer 1-36500, got 40000',
      'retention.batchSize must be an integer 1-10000, got 0',
      'retention.batchPauseMs must be an integer 0-60000, got -5',
      'retention.leaseMs must be an integer >= 1000, got 999',
      'retention.intervalMs must be 0 (no schedule) or >= 1000, got 10',
    ]);
    expect(() =>
      resolveCheckpointerOptions({
        connectionString: URL,
        retention: { keepLatestCheckpoints: 0 },
      }),
    ).toThrow(
      'Invalid CheckpointerModule options: retention.keepLatestCheckpoints must be an integer >= 1, got 0',
    );
  });

  it('gives each module instance its own application_name', () => {
    const a = resolveCheckpointerOptions({ connectionString: URL }).connection.applicationName;
    const b = resolveCheckpointerOptions({ connectionString: URL }).connection.applicationName;
    expect(a).not.toBe(b);
  });

  it('accepts discrete fields, with numeric strings as configuration sources deliver them', () => {
    const resolved = resolveCheckpointerOptions({
      host: 'db',
      port: '6543',
      user: 'app',
      password: 'x',
      database: 'agents',
      pool: { max: '4' },
    });
    expect(resolved.target).toMatchObject({
      host: 'db',
      port: 6543,
      user: 'app',
      database: 'agents',
    });
    expect(resolved.pool.max).toBe(4);
  });

  it('reports every problem at once, in one error', () => {
    const problems = problemsOf({
      host: 'db',
      port: 'abc',
      schema: 'drop"table',
      pool: { max: 0, acquireTimeoutMs: 0, idleTimeoutMs: -1 },
      connection: { connectTimeoutMs: 1.5, keepAlive: 'yes', applicationName: 'x'.repeat(64) },
      migrations: 'sometimes',
      preparedStatements: true,
      fallback: 'sqlite',
      retryAttempts: -1,
      logger: 'loud',
      retry: { maxAttempts: 0 },
      threads: { maxPromptLength: 0 },
    });
    expect(problems).toEqual([
      'port must be an integer 1-65535, got "abc"',
      'schema must be a PostgreSQL identifier: 1-63 bytes, no NUL character, no double quote (upstream PostgresSaver does not escape it), got "drop\\"table"',
      'pool.max must be an integer >= 1, got 0',
      'pool.idleTimeoutMs must be an integer >= 0, got -1',
      'pool.acquireTimeoutMs must be an integer >= 1, got 0',
      'connection.connectTimeoutMs must be an integer >= 1, got 1.5',
      'connection.keepAlive must be true or false, got "yes"',
      `connection.applicationName must be a string of 1-63 bytes (UTF-8), got "${'x'.repeat(40)}…"`,
      "migrations must be one of 'run', 'verify', 'skip', got \"sometimes\"",
      "preparedStatements must be one of 'auto', 'on', 'off', got true",
      'retryAttempts must be an integer >= 0, got -1',
      "fallback must be one of 'none', 'memory', got \"sqlite\"",
      'logger must be true or false, got "loud"',
      'retry.maxAttempts must be an integer >= 1, got 0',
      'threads.maxPromptLength must be an integer >= 1, got 0',
    ]);
    expect(() => resolveCheckpointerOptions({ host: 'db', port: 'abc', pool: { max: 0 } })).toThrow(
      'Invalid CheckpointerModule options: port must be an integer 1-65535, got "abc"; pool.max must be an integer >= 1, got 0',
    );
  });

  it('requires a target, and only one kind of target', () => {
    expect(problemsOf({})).toEqual([
      'a target is required: set connectionString, or host (with user and database)',
    ]);
    expect(problemsOf({ connectionString: URL, host: 'db', password: 'pw' })).toEqual([
      'give either connectionString or discrete fields, not both (also got: host, password)',
    ]);
  });

  it('never echoes a password or a connection string', () => {
    const problems = problemsOf({ connectionString: 'mysql://app:s3cret-pw@db/x' });
    expect(problems).toEqual(['connectionString must be a postgres:// or postgresql:// URL']);
    const badPort = problemsOf({ connectionString: 'postgres://app:s3cret-pw@db:99999/x' });
    expect(badPort.join()).not.toContain('s3cret-pw');
    expect(problemsOf({ host: 'db', password: 42 }).join()).not.toContain('42');
  });

  it('rejects unknown options, so a typo is not silently ignored', () => {
    expect(problemsOf({ connectionString: URL, shema: 'x', pool: { maxx: 3 } })).toEqual([
      'unknown option "shema"',
      'unknown option "pool.maxx"',
    ]);
  });

  it('counts application_name in bytes, as PostgreSQL truncates it', () => {
    // 32 two-byte letters: 32 characters, 64 bytes; the server would keep 63 of them.
    expect(
      problemsOf({ connectionString: URL, connection: { applicationName: 'é'.repeat(32) } }),
    ).toEqual([
      `connection.applicationName must be a string of 1-63 bytes (UTF-8), got "${'é'.repeat(32)}"`,
    ]);
    const fits = resolveCheckpointerOptions({
      connectionString: URL,
      connection: { applicationName: 'é'.repeat(31) },
    });
    expect(fits.connection.applicationName).toBe('é'.repeat(31));
  });

  it('checks pool.min against pool.max', () => {
    expect(problemsOf({ connectionString: URL, pool: { min: 5, max: 2 } })).toEqual([
      'pool.min must be <= pool.max (2), got 5',
    ]);
  });

  it('rejects what is not an options object', () => {
    expect(problemsOf(null)).toEqual(['options must be an object']);
    expect(problemsOf({ connectionString: URL, pool: [] })).toEqual([
      'pool must be an object, got an array',
    ]);
  });
});
