import { STATUS_CODES } from 'node:http';
import { HttpException, HttpStatus } from '@nestjs/common';
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
import { ThreadQuotaExceededError } from '../quota/thread-quota.error';

/** `Retry-After` of a 503 that has none yet (readiness down or shutting down, pool exhausted). */
export const RETRY_AFTER_SECONDS = 2;
/** `Retry-After` of a turn interrupted by another: that turn is running now. */
const INTERRUPTED_RETRY_AFTER_SECONDS = 1;

/** An error as the API answers it: in a JSON body, or in the `error` event of a stream. */
export interface ApiError {
  readonly status: number;
  /** `{ statusCode, error, message, ...extra }`. */
  readonly body: Record<string, unknown>;
  /** `Retry-After`, in seconds, when the client should try again. */
  readonly retryAfterSeconds?: number;
}

/**
 * Maps the library's typed errors to HTTP: invalid input 400 (naming the field), not found or not
 * yours 404 (the same answer, so nobody learns about other users' threads), run conflict 409,
 * a thread busy with another turn (or a turn interrupted by one) 409 with `Retry-After`, a
 * thread its owner deleted 410, a thread at a configured limit 422 naming it, a transient database
 * error after retries or pool exhaustion 503. Anything unexpected is a 500 whose body carries no
 * stack trace and no SQL; `onUnexpected` is told (to log it).
 */
export function toApiError(error: unknown, onUnexpected: (error: unknown) => void): ApiError {
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
  if (error instanceof ThreadQuotaExceededError) {
    return answer(HttpStatus.UNPROCESSABLE_ENTITY, 'Unprocessable Entity', error.message, {
      limit: error.limit,
      max: error.max,
    });
  }
  // Retries spent on a transient error, or no connection free: tell the client to come back.
  if (classifyDatabaseError(error).kind !== 'permanent') {
    return {
      ...answer(
        HttpStatus.SERVICE_UNAVAILABLE,
        'Service Unavailable',
        'The database is temporarily unavailable; retry later.',
      ),
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    };
  }
  onUnexpected(error);
  return answer(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal Server Error', 'internal error');
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
