import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
  ServiceUnavailableException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Observable, catchError, defer, retry, tap, throwError, timer } from 'rxjs';
import { CheckpointerLogger } from '../common/checkpointer.logger';
import type { ResolvedCheckpointerOptions } from '../options/checkpointer.options';
import { getCheckpointerOptionsToken } from '../common/checkpointer.tokens';
import { RetryPolicy } from './retry.policy';
import { classifyDatabaseError } from '../common/database-errors';

/** Options of `@Retryable()`. */
export interface RetryableOptions {
  /**
   * Whether the handler may run again after a transient database error. Default: `true` for the
   * safe and idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE), `false` otherwise: a POST is
   * never re-run unless you say it is idempotent (an idempotency key, an upsert).
   */
  readonly idempotent?: boolean;
  /** Overrides `retry.maxAttempts` for this handler. */
  readonly maxAttempts?: number;
  /** Overrides `retry.budgetMs` for this handler. */
  readonly budgetMs?: number;
  /** `Retry-After` of the 503, in seconds. Default: `retry.maxDelayMs` rounded up, at least `1`. */
  readonly retryAfterSeconds?: number;
}

/**
 * Opts an HTTP handler (or every handler of a controller) in to `RetryInterceptor`: transient
 * database errors re-run the handler within the retry policy's bounds, and a transient error that
 * outlasts them is answered `503 Service Unavailable` with `Retry-After`.
 *
 * @example
 * \@Get(':id') \@Retryable()
 * findOne(\@Param('id') id: string) { return this.threads.get(id); }
 *
 * \@Post() \@Retryable({ idempotent: true }) // safe: the body carries an idempotency key
 * create(\@Body() dto: CreateThreadDto) { return this.threads.create(dto); }
 */
export const Retryable = Reflector.createDecorator<RetryableOptions>();

const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'PUT',
  'DELETE',
]);

interface HttpRequestLike {
  readonly method?: string;
  readonly url?: string;
}

interface HttpResponseLike {
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

/**
 * `RetryPolicy` adapted to HTTP handlers marked `@Retryable()`; others pass through untouched.
 * Guards and pipes are not re-run, only the handler. Register it globally or per controller:
 *
 * @example
 * providers: [{ provide: APP_INTERCEPTOR, useExisting: RetryInterceptor }]
 * // or: \@UseInterceptors(RetryInterceptor) on a controller
 */
@Injectable()
export class RetryInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly policy: RetryPolicy,
    @Inject(getCheckpointerOptionsToken()) private readonly options: ResolvedCheckpointerOptions,
    private readonly logger: CheckpointerLogger,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const marked = this.reflector.getAllAndOverride(Retryable, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (marked === undefined || context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<HttpRequestLike>();
    const method = (request.method ?? 'GET').toUpperCase();
    const operation = `${method} ${request.url ?? ''}`;
    const idempotent = marked.idempotent ?? IDEMPOTENT_METHODS.has(method);
    const toHttp = (error: unknown) =>
      throwError(() => this.toHttpError(error, context, marked, operation));
    if (!idempotent) return next.handle().pipe(catchError(toHttp));

    const attempts = this.policy.begin({
      idempotent,
      operation,
      maxAttempts: marked.maxAttempts,
      budgetMs: marked.budgetMs,
    });
    let emitted = false;
    return defer(() => {
      attempts.starting();
      return next.handle();
    }).pipe(
      tap(() => {
        emitted = true;
      }),
      retry({
        delay: (error: unknown) => {
          // A handler that already sent something cannot be re-run without sending it twice.
          if (emitted) return throwError(() => error);
          const decision = attempts.failed(error);
          return decision.retry ? timer(decision.delayMs) : throwError(() => decision.error);
        },
      }),
      catchError(toHttp),
    );
  }

  /** A transient database error becomes a 503 with `Retry-After`; anything else passes unchanged. */
  private toHttpError(
    error: unknown,
    context: ExecutionContext,
    marked: RetryableOptions,
    operation: string,
  ): unknown {
    if (classifyDatabaseError(error, this.options.isTransient).kind === 'permanent') return error;
    const seconds =
      marked.retryAfterSeconds ?? Math.max(1, Math.ceil(this.options.retry.maxDelayMs / 1000));
    const response = context.switchToHttp().getResponse<HttpResponseLike>();
    if (typeof response.header === 'function') response.header('Retry-After', String(seconds));
    else response.setHeader?.('Retry-After', String(seconds));
    this.logger.warn(`${operation}: answered 503, the database is temporarily unavailable`);
    return new ServiceUnavailableException(
      'The database is temporarily unavailable; retry later.',
      {
        cause: error,
      },
    );
  }
}
