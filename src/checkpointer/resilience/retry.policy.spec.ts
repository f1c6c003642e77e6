import type { CheckpointerLogger } from '../common/checkpointer.logger';
import type { CheckpointerModuleOptions } from '../options/checkpointer.options';
import { resolveCheckpointerOptions } from '../options/options.resolver';
import { ConnectionProvider } from '../connection/connection.provider';
import type { PoolManager } from '../connection/pool.manager';
import { RetryPolicy } from './retry.policy';
import {
  PoolExhaustedError,
  TransientDatabaseError,
  markFromOurConnection,
  markNeverSent,
} from '../common/database-errors';

/** The decision logic alone: synthetic errors, a pool manager that only counts recreations. */
function policyWith(options: Partial<CheckpointerModuleOptions> = {}) {
  const resolved = resolveCheckpointerOptions({
    connectionString: 'postgres://app:s3cret@db.internal:5432/agents',
    retry: { baseDelayMs: 1, maxDelayMs: 4 },
    ...options,
  });
  const pools = { generation: 0, recreate: jest.fn(() => true) };
  const lines: { level: string; message: string }[] = [];
  const logger = {
    warn: (message: string) => lines.push({ level: 'warn', message }),
    error: (message: string) => lines.push({ level: 'error', message }),
  };
  const policy = new RetryPolicy(
    resolved,
    pools as unknown as PoolManager,
    new ConnectionProvider(resolved),
    logger as unknown as CheckpointerLogger,
  );
  return { policy, pools, lines };
}

const lost = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const serialization = () => Object.assign(new Error('could not serialize'), { code: '40001' });

/** A function failing with `errors` in turn, then resolving `'ok'`. */
function failing(...errors: Error[]) {
  return jest.fn(() => {
    const next = errors.shift();
    return next === undefined ? Promise.resolve('ok') : Promise.reject(next);
  });
}

describe('RetryPolicy.run', () => {
  it('re-runs the whole work on transient errors until it succeeds', async () => {
    const { policy, lines } = policyWith();
    const work = failing(lost(), serialization());
    await expect(policy.run(work, { idempotent: true, operation: 'test.op' })).resolves.toBe('ok');
    expect(work).toHaveBeenCalledTimes(3);
    expect(policy.retries).toBe(2);
    expect(policy.givenUp).toBe(0);
    expect(lines.map((l) => l.level)).toEqual(['warn', 'warn']);
    expect(lines[0].message).toMatch(/^test\.op: transient database error \(connection ECONNRESET/);
    expect(lines[0].message).toMatch(/retry 1\/3 in \d+ ms/);
  });

  it('idempotent(operation, fn) is run(fn, { idempotent: true, operation })', async () => {
    const { policy, lines } = policyWith();
    const mayHaveCommitted = failing(lost());
    await expect(policy.idempotent('test.read', mayHaveCommitted)).resolves.toBe('ok');
    expect(mayHaveCommitted).toHaveBeenCalledTimes(2);
    expect(lines[0].message).toMatch(/^test\.read: transient database error/);
  });

  it('lets a permanent error through unchanged, at once', async () => {
    const { policy } = policyWith();
    const permanent = Object.assign(new Error('duplicate key'), { code: '23505' });
    const work = failing(permanent);
    await expect(policy.run(work, { idempotent: true })).rejects.toBe(permanent);
    expect(work).toHaveBeenCalledTimes(1);
    expect(policy.retries).toBe(0);
  });

  it('stops after maxAttempts with a TransientDatabaseError carrying the last error', async () => {
    const { policy, lines } = policyWith({ retry: { maxAttempts: 3, baseDelayMs: 1 } });
    const last = lost();
    const work = failing(lost(), lost(), last, lost());
    const error = (await policy
      .run(work, { idempotent: true, operation: 'op' })
      .catch((e: unknown) => e)) as TransientDatabaseError;
    expect(error).toBeInstanceOf(TransientDatabaseError);
    expect(error).toMatchObject({ kind: 'connection', attempts: 3, cause: last });
    expect(error.message).toMatch(/not retried: 3 attempt\(s\) made/);
    expect(work).toHaveBeenCalledTimes(3);
    expect(policy.givenUp).toBe(1);
    expect(lines[lines.length - 1].level).toBe('error');
  });

  it('stops when the next delay would overrun the time budget', async () => {
    const { policy } = policyWith({ retry: { maxAttempts: 100, budgetMs: 0, baseDelayMs: 10 } });
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      const error = await policy.run(failing(lost()), { idempotent: true }).catch((e: Error) => e);
      expect((error as Error).message).toMatch(/retry budget of 0 ms spent/);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('non-idempotent work is retried only when the error proves nothing was sent', async () => {
    const { policy } = policyWith();
    await expect(policy.run(failing(refused()), { idempotent: false })).resolves.toBe('ok');
    await expect(
      policy.run(failing(markNeverSent(new Error('Connection terminated unexpectedly'))), {
        idempotent: false,
      }),
    ).resolves.toBe('ok');

    const mayHaveCommitted = failing(lost());
    const error = await policy
      .run(mayHaveCommitted, { idempotent: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDatabaseError);
    expect((error as Error).message).toMatch(/not idempotent and may have reached the server/);
    expect(mayHaveCommitted).toHaveBeenCalledTimes(1);
  });

  it('PoolExhaustedError passes through unretried, unless the application opts it in', async () => {
    const exhausted = new PoolExhaustedError(100, 2);
    const strict = policyWith().policy;
    await expect(strict.run(failing(exhausted), { idempotent: true })).rejects.toBe(exhausted);
    expect(strict.retries).toBe(0);

    const lenient = policyWith({ isTransient: (e) => e instanceof PoolExhaustedError }).policy;
    await expect(
      lenient.run(failing(new PoolExhaustedError(100, 2)), { idempotent: true }),
    ).resolves.toBe('ok');
    expect(lenient.retries).toBe(1);
  });

  it('asks for a new pool when a connection is lost mid-work, not when none could be opened', async () => {
    const { policy, pools } = policyWith();
    await policy.run(failing(markFromOurConnection(lost())), { idempotent: true, operation: 'op' });
    expect(pools.recreate).toHaveBeenCalledTimes(1);
    expect(pools.recreate).toHaveBeenCalledWith(expect.stringMatching(/^op: connection/), 0);

    await policy.run(failing(refused(), serialization()), { idempotent: true });
    expect(pools.recreate).toHaveBeenCalledTimes(1);
  });

  it('never touches the pool for a socket error that did not come from its connections', async () => {
    const { policy, pools } = policyWith();
    // e.g. a model's HTTP call failing inside a @Retryable() handler
    const elsewhere = lost();
    await expect(policy.run(failing(elsewhere), { idempotent: true })).resolves.toBe('ok');
    expect(pools.recreate).not.toHaveBeenCalled();
    // Ours, wrapped as a cause (a ROLLBACK failing on the dead connection), still counts.
    const wrapped = new Error('ROLLBACK failed', { cause: markFromOurConnection(lost()) });
    await policy.run(failing(wrapped), { idempotent: true });
    expect(pools.recreate).toHaveBeenCalledTimes(1);
  });

  it('never logs the password', async () => {
    const { policy, lines } = policyWith();
    const leaky = Object.assign(
      new Error('connect to postgres://app:s3cret@db.internal:5432/agents failed'),
      { code: 'ECONNRESET' },
    );
    await policy.run(failing(leaky), { idempotent: true });
    expect(lines[0].message).toContain('postgres://app:***@db.internal');
    expect(lines.some((l) => l.message.includes('s3cret'))).toBe(false);
  });
});

describe('RetryPolicy backoff: full jitter, capped', () => {
  it.each([
    [1, 1, 50],
    [2, 1, 100],
    [3, 1, 200],
    [7, 1, 2000],
    [3, 0, 0],
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    const { policy } = policyWith({ retry: { maxAttempts: 100, budgetMs: 60_000 } });
    jest.spyOn(Math, 'random').mockReturnValue(random);
    try {
      const attempts = policy.begin({ idempotent: true });
      const decisions = Array.from({ length: attempt }, () => {
        attempts.starting();
        return attempts.failed(lost());
      });
      expect(decisions[attempt - 1]).toEqual({ retry: true, delayMs: expected });
    } finally {
      jest.restoreAllMocks();
    }
  });
});
