import type { ServerResponse } from 'node:http';

/** The events of `POST /threads/:threadId/runs/stream`, by name, with their data. */
export interface TurnStreamEvents {
  /** The run is recorded: its id, to rate the answer or re-send the turn. */
  readonly run: { readonly runId: string; readonly threadId: string };
  /** A piece of the answer, in order; the pieces join into the answer. */
  readonly chunk: { readonly text: string };
  /** The turn is over and its answer checkpointed: the whole answer. */
  readonly end: { readonly runId: string; readonly threadId: string; readonly reply: string };
  /**
   * The turn failed after the stream began: the JSON error body of the same failure, plus, when
   * the client should try again, the `Retry-After` it would have had, in seconds.
   */
  readonly error: Record<string, unknown> & { readonly retryAfterSeconds?: number };
}

/**
 * A `text/event-stream` answer (the WHATWG server-sent events format): `event: <name>` and one
 * `data:` line of JSON per event, a blank line after each. Opened on the first event; every event
 * is written at once (no buffering by a proxy: `X-Accel-Buffering: no`, `no-transform`). Writes
 * after the client went away are dropped: the work behind the stream goes on regardless.
 */
export class ServerSentEvents {
  private started = false;

  constructor(private readonly response: ServerResponse) {
    // A client gone mid-stream makes a late write fail; nobody is there to tell.
    response.on('error', () => undefined);
  }

  /** Whether the status and headers are sent: from now on, errors are events. */
  get opened(): boolean {
    return this.started;
  }

  /** Whether the client is gone (or the stream ended). */
  get closed(): boolean {
    return this.response.destroyed || this.response.writableEnded;
  }

  send<Name extends keyof TurnStreamEvents>(event: Name, data: TurnStreamEvents[Name]): void {
    this.open();
    if (this.closed) return;
    this.response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends the stream (opening it first, if no event was sent). */
  end(): void {
    this.open();
    if (!this.closed) this.response.end();
  }

  private open(): void {
    if (this.started) return;
    this.started = true;
    if (this.closed) return;
    this.response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    });
    this.response.flushHeaders();
  }
}
