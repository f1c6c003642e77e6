import { STATUS_CODES } from 'node:http';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import {
  InvalidInputError,
  RunConflictError,
  RunNotFoundError,
  ThreadBusyError,
  ThreadDeletedError,
  ThreadNotFoundError,
  TurnLeaseLostError,
  classifyDatabaseError,
} from '../../checkpointer';

/** `Retry-After` of a 503 that has none yet (readiness down or shutting down, pool exhausted). */
const RETRY_AFTER_SECONDS = 2;
/** `Retry-After` of a turn interrupted by another: that turn is running now. */
const INTERRUPTED_RETRY_AFTER_SECONDS = 1;

/** What the filter needs of Express's response. */
interface HttpResponse {
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): void;
  status(code: number): { json(body: unknown): void };
}

/** An error as the API answers it. */
interface ApiError {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** `Retry-After`, in seconds, when the client should try again. */
  readonly retryAfterSeconds?: number;
}

/**
 * Maps the library's typed errors to HTTP: invalid input 400 (naming the field), not found or not
 * yours 404 (the same answer, so nobody learns about other users' threads), run conflict 409,
 * a thread busy with another turn (or a turn interrupted by one) 409 with `Retry-After`, a
 * thread its owner deleted 410, a transient database error after retries or pool exhaustion 503.
 * Anything unexpected is a 500 whose body carries no stack trace and no SQL; it is logged here.
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
    const answer = this.toApiError(error);
    if (answer.retryAfterSeconds !== undefined) {
      response.setHeader('Retry-After', String(answer.retryAfterSeconds));
    }
    // The RetryInterceptor sets its own, from the retry policy's longest delay.
    if (answer.status === 503 && response.getHeader('Retry-After') === undefined) {
      response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    }
    response.status(answer.status).json(answer.body);
  }

  private toApiError(error: unknown): ApiError {
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const body = error.getResponse();
      const reason = STATUS_CODES[status] ?? 'Error';
      if (typeof body === 'string') {
        return { status, body: { statusCode: status, error: reason, message: body } };
      }
      // Nest leaves `error: undefined` when an exception is built with options but no description.
      const fields = body as Record<string, unknown>;
      return { status, body: { ...fields, error: fields.error ?? reason } };
    }
    // Express's body parser rejects a body too large (413), of an unsupported charset or
    // encoding (415) or cut short (400) with errors that carry their status. Client input is
    // never a 500: a 4xx error the middleware did not mean to explain keeps its status, with the
    // status's own words instead of its message.
    const clientStatus = clientErrorStatus(error);
    if (clientStatus !== undefined) {
      const reason = STATUS_CODES[clientStatus] ?? 'Client Error';
      const exposed = (error as { expose?: unknown }).expose === true;
      return answer(clientStatus, reason, exposed ? (error as Error).message : reason);
    }
    if (error instanceof InvalidInputError) {
      return answer(HttpStatus.BAD_REQUEST, 'Bad Request', [error.message], { field: error.field });
    }
    if (error instanceof ThreadNotFoundError || error instanceof RunNotFoundError) {
      return answer(HttpStatus.NOT_FOUND, 'Not Found', error.message);
    }
    if (error instanceof ThreadDeletedError) {
      return answer(HttpStatus.GONE, 'Gone', error.message);
    }
    if (error instanceof RunConflictError) {
      return answer(HttpStatus.CONFLICT, 'Conflict', error.message);
    }
    if (error instanceof ThreadBusyError) {
      return {
        ...answer(HttpStatus.CONFLICT, 'Conflict', error.message),
        retryAfterSeconds: Math.max(1, Math.ceil(error.retryAfterMs / 1000)),
      };
    }
    if (error instanceof TurnLeaseLostError) {
      return {
        ...answer(HttpStatus.CONFLICT, 'Conflict', error.message),
        retryAfterSeconds: INTERRUPTED_RETRY_AFTER_SECONDS,
      };
    }
    // Retries spent on a transient error, or no connection free: tell the client to come back.
    if (classifyDatabaseError(error).kind !== 'permanent') {
      return answer(
        HttpStatus.SERVICE_UNAVAILABLE,
        'Service Unavailable',
        'The database is temporarily unavailable; retry later.',
      );
    }
    this.logger.error(
      `unhandled ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    return answer(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal Server Error', 'internal error');
  }
}

function answer(
  status: number,
  error: string,
  message: string | string[],
  extra: Record<string, unknown> = {},
): ApiError {
  return { status, body: { statusCode: status, error, message, ...extra } };
}

/**
 * The 4xx status of an `http-errors` error (as Express and its body parsers throw), from its
 * `status` or `statusCode`; `undefined` for anything else.
 */
function clientErrorStatus(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const code = status ?? statusCode;
  return typeof code === 'number' && Number.isInteger(code) && code >= 400 && code < 500
    ? code
    : undefined;
}
