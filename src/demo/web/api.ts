import { EventStreamParser } from './event-stream.js';

/** A thread as the API lists it. */
export interface ThreadItem {
  readonly thread_id: string;
  readonly title: string;
  readonly full_prompt: string;
  readonly created_at: string;
  readonly latest_timestamp: string;
  readonly run_count: number;
}

export interface MessageItem {
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly run_id: string | null;
}

export interface RunItem {
  readonly run_id: string;
  readonly prompt: string;
  readonly created_at: string;
  readonly sentiment: boolean | null;
}

export interface ThreadDetail extends ThreadItem {
  readonly messages: readonly MessageItem[];
  readonly runs: readonly RunItem[];
}

export interface ThreadPage {
  readonly threads: readonly ThreadItem[];
  readonly next_cursor: string | null;
}

/** The end of a streamed turn. */
export interface TurnEnd {
  readonly runId: string;
  readonly threadId: string;
  readonly reply: string;
}

/** Every error body of the API, and the data of a stream's `error` event. */
export interface ErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly message: string | readonly string[];
  readonly limit?: string;
  readonly retryAfterSeconds?: number;
}

/** The API answered with an error (a status, or a stream's `error` event). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody | undefined,
    /** `Retry-After`, in seconds, when the server asked to try again. */
    readonly retryAfterSeconds: number | undefined,
    /** Whether the turn had started (its run recorded) when it failed. */
    readonly afterStart = false,
  ) {
    super(body === undefined ? `HTTP ${status}` : [body.message].flat().join('; '));
  }
}

/** The server could not be reached, or the connection broke. */
export class NetworkError extends Error {
  constructor(readonly afterStart = false) {
    super('the server could not be reached');
  }
}

/** What a streamed turn tells as it goes. */
export interface TurnHandlers {
  started(run: { runId: string; threadId: string }): void;
  chunk(text: string): void;
}

/** The demo's HTTP API, as the token's user. */
export class Api {
  constructor(private readonly token: () => string | undefined) {}

  devToken(email: string): Promise<{ token: string; email: string; expires_at: string }> {
    return this.json('POST', '/dev/token', { email }, false);
  }

  listThreads(cursor: string | null, limit = 20): Promise<ThreadPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor !== null) query.set('cursor', cursor);
    return this.json('GET', `/threads?${query.toString()}`);
  }

  createThread(): Promise<ThreadItem> {
    return this.json('POST', '/threads', {});
  }

  getThread(threadId: string): Promise<ThreadDetail> {
    return this.json('GET', `/threads/${encodeURIComponent(threadId)}`);
  }

  renameThread(threadId: string, title: string): Promise<ThreadItem> {
    return this.json('PATCH', `/threads/${encodeURIComponent(threadId)}`, { title });
  }

  deleteThread(threadId: string): Promise<unknown> {
    return this.json('DELETE', `/threads/${encodeURIComponent(threadId)}`);
  }

  rate(runId: string, sentiment: boolean | null): Promise<{ sentiment: boolean | null }> {
    return this.json('PUT', `/runs/${encodeURIComponent(runId)}/sentiment`, { sentiment });
  }

  /**
   * Takes a turn on the thread, streamed (`POST /threads/:id/runs/stream`): `handlers` hear of
   * the run and of each piece of the answer; resolves with the end. Rejects with `ApiError`
   * (the status, or the stream's `error` event) or `NetworkError`.
   */
  async streamTurn(
    threadId: string,
    body: { prompt: string; runId: string },
    handlers: TurnHandlers,
  ): Promise<TurnEnd> {
    const response = await this.send(
      'POST',
      `/threads/${encodeURIComponent(threadId)}/runs/stream`,
      body,
    );
    if (!response.ok) throw await errorOf(response);
    if (response.body === null) throw new NetworkError(true);
    const parser = new EventStreamParser();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let started = false;
    for (;;) {
      let read: ReadableStreamReadResult<string>;
      try {
        read = await reader.read();
      } catch {
        throw new NetworkError(started);
      }
      if (read.done) throw new NetworkError(started);
      for (const { event, data } of parser.push(read.value)) {
        const payload = JSON.parse(data) as unknown;
        if (event === 'run') {
          started = true;
          handlers.started(payload as { runId: string; threadId: string });
        } else if (event === 'chunk') {
          handlers.chunk((payload as { text: string }).text);
        } else if (event === 'end') {
          await reader.cancel().catch(() => undefined);
          return payload as TurnEnd;
        } else if (event === 'error') {
          const error = payload as ErrorBody;
          throw new ApiError(error.statusCode, error, error.retryAfterSeconds, started);
        }
      }
    }
  }

  private async json<T>(method: string, path: string, body?: unknown, signedIn = true): Promise<T> {
    const response = await this.send(method, path, body, signedIn);
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }

  private async send(
    method: string,
    path: string,
    body?: unknown,
    signedIn = true,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json, text/event-stream' };
    const token = this.token();
    if (signedIn && token !== undefined) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new NetworkError();
    }
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  const retryAfter = Number(response.headers.get('Retry-After'));
  let body: ErrorBody | undefined;
  try {
    body = (await response.json()) as ErrorBody;
  } catch {
    body = undefined;
  }
  return new ApiError(
    response.status,
    body,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}
