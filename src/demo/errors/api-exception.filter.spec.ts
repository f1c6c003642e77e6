import type { ArgumentsHost } from '@nestjs/common';
import {
  RunConflictError,
  ThreadBusyError,
  ThreadDeletedError,
  ThreadNotFoundError,
  TurnLeaseLostError,
} from '../../checkpointer';
import { ApiExceptionFilter } from './api-exception.filter';

/** Runs the filter on `error` against a recording response. */
function answerTo(error: unknown): {
  status: number;
  body: unknown;
  headers: Record<string, string>;
} {
  const sent = { status: 0, body: undefined as unknown, headers: {} as Record<string, string> };
  const response = {
    getHeader: (name: string) => sent.headers[name],
    setHeader: (name: string, value: string) => (sent.headers[name] = value),
    status: (code: number) => {
      sent.status = code;
      return { json: (body: unknown) => (sent.body = body) };
    },
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => response }),
  } as unknown as ArgumentsHost;
  new ApiExceptionFilter().catch(error, host);
  return sent;
}

const withStatus = (message: string, fields: Record<string, unknown>) =>
  Object.assign(new Error(message), fields);

describe('ApiExceptionFilter: client input is never a 500', () => {
  it('an exposed client error keeps its status and message (the body parser)', () => {
    const tooLarge = withStatus('request entity too large', { status: 413, expose: true });
    expect(answerTo(tooLarge)).toEqual({
      status: 413,
      body: { statusCode: 413, error: 'Payload Too Large', message: 'request entity too large' },
      headers: {},
    });
  });

  it('an unexposed 4xx keeps its status, without its message', () => {
    for (const error of [
      withStatus("Failed to decode param '%E0%A4%A'", { status: 400 }),
      withStatus('internal detail', { statusCode: 431, expose: false }),
    ]) {
      const { status, body } = answerTo(error);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
      expect(JSON.stringify(body)).not.toMatch(/decode|detail/);
    }
  });

  it('anything else unexpected is a 500 that says nothing', () => {
    expect(answerTo(new RangeError('Maximum call stack size exceeded'))).toEqual({
      status: 500,
      body: { statusCode: 500, error: 'Internal Server Error', message: 'internal error' },
      headers: {},
    });
    expect(answerTo(withStatus('upstream', { status: 502, expose: true })).status).toBe(500);
  });
});

describe('ApiExceptionFilter: threads and turns', () => {
  it('a thread its owner deleted is 410 Gone', () => {
    expect(answerTo(new ThreadDeletedError('t-1'))).toEqual({
      status: 410,
      body: { statusCode: 410, error: 'Gone', message: 'thread "t-1" was deleted' },
      headers: {},
    });
  });

  it('a thread not found is 404, with nothing that tells why', () => {
    expect(answerTo(new ThreadNotFoundError('t-1'))).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'thread "t-1" not found' },
      headers: {},
    });
  });

  it.each([
    [5_000, '5'],
    [1_500, '2'],
    [1, '1'],
    [0, '1'],
  ])(
    'a busy thread is 409 with Retry-After in whole seconds, rounded up (%i ms)',
    (retryAfterMs, seconds) => {
      expect(answerTo(new ThreadBusyError('t-1', retryAfterMs))).toEqual({
        status: 409,
        body: {
          statusCode: 409,
          error: 'Conflict',
          message: 'thread "t-1" is busy with another turn',
        },
        headers: { 'Retry-After': seconds },
      });
    },
  );

  it('a turn whose lease another turn took over is 409 with Retry-After; a run conflict has none', () => {
    expect(answerTo(new TurnLeaseLostError('t-1'))).toMatchObject({
      status: 409,
      headers: { 'Retry-After': '1' },
    });
    expect(answerTo(new RunConflictError('r-1'))).toMatchObject({ status: 409, headers: {} });
  });
});
