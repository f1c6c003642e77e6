import { applyDecorators } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiGoneResponse,
  ApiNotFoundResponse,
  ApiProperty,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';

/** Every error body of the API (`ApiExceptionFilter`). */
export class ApiErrorBody {
  @ApiProperty({ example: 404 })
  statusCode: number;

  @ApiProperty({ example: 'Not Found' })
  error: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'thread "0b6e…" not found',
  })
  message: string | string[];
}

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before sending the turn again.',
    schema: { type: 'integer', minimum: 1 },
  },
};

/** 404 of a route on one thread: the same answer for an id nobody has and another user's thread. */
export const ApiThreadNotFound = () =>
  ApiNotFoundResponse({
    type: ApiErrorBody,
    description:
      'No thread of yours with this id: the same status and body whether it does not exist or ' +
      "is another user's (or was deleted, on the routes that do not answer 410).",
  });

/** 410 of a route that writes on a thread: its owner deleted it. */
export const ApiThreadGone = () =>
  ApiGoneResponse({
    type: ApiErrorBody,
    description:
      'You deleted this thread: its id stays unusable (another user gets 404 for it, as for ' +
      'any thread not theirs). Create a new thread with `POST /threads`.',
  });

/** The answers of the routes that take a turn, beyond their success, 400 and 401. */
export const ApiTurnErrors = () =>
  applyDecorators(
    ApiThreadNotFound(),
    ApiThreadGone(),
    ApiConflictResponse({
      type: ApiErrorBody,
      headers: RETRY_AFTER,
      description:
        'With `Retry-After`: another turn of this thread ran for longer than a turn waits ' +
        '(`TURN_WAIT_MS`), and nothing of this one was recorded; or, rarely, another turn took ' +
        'the thread over while this one ran (its run stays recorded: re-send it with the same ' +
        '`runId`). Send it again after `Retry-After` seconds. Without: the `runId` is already ' +
        'recorded for another thread.',
    }),
    ApiUnprocessableEntityResponse({
      type: ApiErrorBody,
      description:
        'The thread is at a limit of the server (`limit`: `THREAD_MAX_TURNS` or ' +
        '`THREAD_MAX_STATE_BYTES`, `max`: its value): nothing of the turn was recorded. Start ' +
        'a new thread. A re-sent `runId` the thread already has is never refused.',
    }),
  );
