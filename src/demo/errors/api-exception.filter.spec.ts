import type { ArgumentsHost } from '@nestjs/common';
import { ApiExceptionFilter } from './api-exception.filter';

/** Runs the filter on `error` against a recording response. */
function answerTo(error: unknown): { status: number; body: unknown } {
  const sent: { status: number; body: unknown } = { status: 0, body: undefined };
  const response = {
    getHeader: () => undefined,
    setHeader: () => undefined,
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
    });
    expect(answerTo(withStatus('upstream', { status: 502, expose: true })).status).toBe(500);
  });
});
