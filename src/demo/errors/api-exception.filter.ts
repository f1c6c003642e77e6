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
  ThreadNotFoundError,
  classifyDatabaseError,
} from '../../checkpointer';

/** `Retry-After` when the database is temporarily unavailable. */
const RETRY_AFTER_SECONDS = 2;

/** What the filter needs of Express's response. */
interface HttpResponse {
  setHeader(name: string, value: string): void;
  status(code: number): { json(body: unknown): void };
}

/** An error as the API answers it. */
interface ApiError {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** Seconds, for a `Retry-After` header. */
  readonly retryAfterSeconds?: number;
}

/**
 * Maps the library's typed errors to HTTP: invalid input 400 (naming the field), not found or not
 * yours 404 (the same answer, so nobody learns about other users' threads), run conflict 409,
 * a transient database error after retries or pool exhaustion 503 with `Retry-After`.
 * Anything unexpected is a 500 whose body carries no stack trace and no SQL; it is logged here.
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
    response.status(answer.status).json(answer.body);
  }

  private toApiError(error: unknown): ApiError {
    if (error instanceof HttpException) {
      const body = error.getResponse();
      return {
        status: error.getStatus(),
        body:
          typeof body === 'string'
            ? { statusCode: error.getStatus(), message: body }
            : (body as Record<string, unknown>),
      };
    }
    // Express's body parser rejects a body too large (413), of an unsupported charset or
    // encoding (415) or cut short (400) with errors that carry their status.
    if (isClientHttpError(error)) {
      return answer(error.status, STATUS_CODES[error.status] ?? 'Client Error', error.message);
    }
    if (error instanceof InvalidInputError) {
      return answer(HttpStatus.BAD_REQUEST, 'Bad Request', [error.message], { field: error.field });
    }
    if (error instanceof ThreadNotFoundError || error instanceof RunNotFoundError) {
      return answer(HttpStatus.NOT_FOUND, 'Not Found', error.message);
    }
    if (error instanceof RunConflictError) {
      return answer(HttpStatus.CONFLICT, 'Conflict', error.message);
    }
    // Retries spent on a transient error, or no connection free: tell the client to come back.
    if (classifyDatabaseError(error).kind !== 'permanent') {
      return {
        ...answer(
          HttpStatus.SERVICE_UNAVAILABLE,
          'Service Unavailable',
          'the database is temporarily unavailable; retry later',
        ),
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      };
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

/** An `http-errors` error meant for the client (`expose`), as Express's body parser throws. */
function isClientHttpError(error: unknown): error is Error & { status: number } {
  if (!(error instanceof Error)) return false;
  const { status, expose } = error as { status?: unknown; expose?: unknown };
  return expose === true && typeof status === 'number' && status >= 400 && status < 500;
}
