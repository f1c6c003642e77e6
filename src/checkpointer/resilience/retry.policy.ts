import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../common/checkpointer.errors';
import { CheckpointerLogger } from '../common/checkpointer.logger';
import type { ResolvedCheckpointerOptions } from '../options/checkpointer.options';
import { getCheckpointerOptionsToken } from '../common/checkpointer.tokens';
import { ConnectionProvider } from '../connection/connection.provider';
import { PoolManager } from '../connection/pool.manager';
import {
  type ErrorClassification,
  TransientDatabaseError,
  classifyDatabaseError,
} from '../common/database-errors';

/** Options of one `RetryPolicy.run()`. */
export interface RetryRunOptions {
  /**
   * Whether running the work again is harmless even if a failed attempt took effect (upserts,
   * deletes, reads). When `false`, only failures proving nothing reached the server (no connection
   * could be had) are retried. No default: every caller says which it is.
   */
  readonly idempotent: boolean;
  /** Names the work in log lines, e.g. `'threads.recordRun'`. Default: `'database work'`. */
  readonly operation?: string;
  /** Overrides `retry.maxAttempts` for this work. */
  readonly maxAttempts?: number;
  /** Overrides `retry.budgetMs` for this work. */
  readonly budgetMs?: number;
}

/** What to do after a failed attempt. */
export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly error: unknown };

/**
 * Retries transient database errors (see `classifyDatabaseError`): exponential backoff with full
 * jitter, bounded by attempts and by a total time budget, every retry logged. A retry re-runs the
 * whole unit of work passed in, never one statement of it: pass a whole transaction.
 *
 * When a lost connection suggests the pool's other connections are dead too (a failover), it asks
 * `PoolManager` to replace the pool, once for all the failures of one generation.
 *
 * @example
 * await this.retry.run(() => this.db.transaction().execute((trx) => write(trx)), {
 *   idempotent: true,
 *   operation: 'threads.rename',
 * });
 */
@Injectable()
export class RetryPolicy {
  private retried = 0;
  private abandoned = 0;

  constructor(
    @Inject(getCheckpointerOptionsToken()) private readonly options: ResolvedCheckpointerOptions,
    private readonly pools: PoolManager,
    private readonly connection: ConnectionProvider,
    private readonly logger: CheckpointerLogger,
  ) {}

  /** Retries made since boot. */
  get retries(): number {
    return this.retried;
  }

  /** Times work failed on a transient error the policy stopped retrying (budget, attempts, idempotency). */
  get givenUp(): number {
    return this.abandoned;
  }

  /** Runs `fn`, re-running it on transient errors within the bounds. Permanent errors pass through unchanged. */
  async run<T>(fn: () => Promise<T>, options: RetryRunOptions): Promise<T> {
    const attempts = this.begin(options);
    for (;;) {
      attempts.starting();
      try {
        return await fn();
      } catch (error) {
        const decision = attempts.failed(error);
        if (!decision.retry) throw decision.error;
        await sleep(decision.delayMs);
      }
    }
  }

  /**
   * `run(fn, { idempotent: true, operation })`: for work that is harmless to run again even if a
   * failed attempt took effect (reads, upserts, single-statement writes). The common case.
   *
   * @example
   * const row = await this.retry.idempotent('threads.getThread', () => query.executeTakeFirst());
   */
  idempotent<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.run(fn, { idempotent: true, operation });
  }

  /**
   * The attempt bookkeeping of `run()`, for adapters that drive their own loop (the
   * `RetryInterceptor` re-subscribes to an Observable): call `starting()` before every attempt and
   * `failed(error)` after a failure, then wait `delayMs` or throw `error`.
   */
  begin(options: RetryRunOptions): RetryAttempts {
    const startedAt = performance.now();
    let attempt = 0;
    let generation = this.pools.generation;
    return {
      starting: () => {
        attempt += 1;
        generation = this.pools.generation;
      },
      failed: (error) =>
        this.decide(error, attempt, performance.now() - startedAt, generation, options),
    };
  }

  private decide(
    error: unknown,
    attempt: number,
    elapsedMs: number,
    generation: number,
    options: RetryRunOptions,
  ): RetryDecision {
    const verdict = classifyDatabaseError(error, this.options.isTransient);
    if (!verdict.retryable) return { retry: false, error };
    const operation = options.operation ?? 'database work';
    const reason = this.describe(verdict, error);
    // One of our connections lost mid-work suggests its idle siblings are dead too (failover).
    // A socket error of anything else (a model's HTTP call in a @Retryable handler) says nothing
    // about the pool.
    if (verdict.kind === 'connection' && !verdict.neverSent && verdict.fromOurConnection) {
      this.pools.recreate(`${operation}: ${reason}`, generation);
    }
    const maxAttempts = options.maxAttempts ?? this.options.retry.maxAttempts;
    const budgetMs = options.budgetMs ?? this.options.retry.budgetMs;
    const delayMs = this.backoff(attempt);
    const stop =
      !options.idempotent && !verdict.neverSent
        ? 'the work is not idempotent and may have reached the server'
        : attempt >= maxAttempts
          ? `${attempt} attempt(s) made`
          : elapsedMs + delayMs > budgetMs
            ? `retry budget of ${budgetMs} ms spent`
            : undefined;
    if (stop !== undefined) {
      this.abandoned += 1;
      const message = `${operation} failed on a transient database error (${reason}); not retried: ${stop}`;
      this.logger.error(message);
      return {
        retry: false,
        error: new TransientDatabaseError(message, verdict.kind, attempt, { cause: error }),
      };
    }
    this.retried += 1;
    this.logger.warn(
      `${operation}: transient database error (${reason}); retry ${attempt}/${maxAttempts - 1} in ${delayMs} ms`,
    );
    return { retry: true, delayMs };
  }

  /** Full jitter: uniform in [0, min(maxDelay, base × 2^(attempt-1))]. */
  private backoff(attempt: number): number {
    const { baseDelayMs, maxDelayMs } = this.options.retry;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return Math.round(Math.random() * ceiling);
  }

  private describe(verdict: ErrorClassification, error: unknown): string {
    const code = verdict.code === undefined ? '' : ` ${verdict.code}`;
    return `${verdict.kind}${code}: ${this.connection.redact(errorMessage(error))}`;
  }
}

/** One unit of work's attempts, from `RetryPolicy.begin()`. */
export interface RetryAttempts {
  /** Call before each attempt. */
  starting(): void;
  /** Call after a failed attempt: wait `delayMs` and try again, or stop and throw `error`. */
  failed(error: unknown): RetryDecision;
}
