import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { RETRY_AFTER_SECONDS, toApiError } from './api-error';

/** What the filter needs of Express's response. */
interface HttpResponse {
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): void;
  status(code: number): { json(body: unknown): void };
}

/**
 * Answers every error as `toApiError` maps it (the library's typed errors to 400, 404, 409, 410,
 * 422, 503; anything unexpected a 500 without stack trace or SQL, logged here).
 *
 * Every 503 (the `RetryInterceptor`'s, readiness down or shutting down, ours) carries
 * `Retry-After`, and every error body has `statusCode`, `error` and `message` (Terminus's health
 * bodies keep their own shape).
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<HttpResponse>();
    const answer = toApiError(error, (unexpected) => this.logUnexpected(unexpected));
    // The RetryInterceptor sets its own 503's, from the retry policy's longest delay.
    const retryAfter = response.getHeader('Retry-After');
    if (answer.retryAfterSeconds !== undefined && !(answer.status === 503 && retryAfter)) {
      response.setHeader('Retry-After', String(answer.retryAfterSeconds));
    }
    if (answer.status === 503 && response.getHeader('Retry-After') === undefined) {
      response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    }
    response.status(answer.status).json(answer.body);
  }

  /** Logs what `toApiError` could not map (it answers it as a bare 500). */
  logUnexpected(error: unknown): void {
    this.logger.error(
      `unhandled ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }
}
