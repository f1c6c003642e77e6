import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'supertest';

/** One server-sent event, its data parsed as JSON. */
export interface ServerSentEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/**
 * The complete events in a `text/event-stream` body (WHATWG format: `event:` and `data:` fields, a
 * blank line ends an event; comments and other fields ignored), each `data` parsed as JSON.
 */
export function parseEvents(text: string): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  const blocks = text.split(/\r?\n\r?\n/);
  blocks.pop(); // what follows the last blank line: nothing, or an event still arriving
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return events;
}

/** A supertest request whose body is kept as text, whatever its type (an event stream). */
export function asText(test: Test): Test {
  return test.buffer(true).parse((response, callback) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => callback(null, text));
  });
}

/** An event stream read as it arrives, over a real socket. */
export interface LiveStream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Resolves with the events so far once one named `event` has arrived. */
  until(event: string): Promise<ServerSentEvent[]>;
  /** Resolves with every event once the server ends the stream. */
  ended(): Promise<ServerSentEvent[]>;
  /** Drops the connection, as a browser tab closed mid-answer. */
  disconnect(): void;
}

/** POSTs `body` as JSON to `path` on `server` (listening on loopback) and reads the answer live. */
export async function openStream(
  server: http.Server,
  path: string,
  authorization: string,
  body: object,
): Promise<LiveStream> {
  const { port } = server.address() as AddressInfo;
  const payload = JSON.stringify(body);
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: {
          authorization,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      resolve,
    );
    request.on('error', reject);
    request.end(payload);
  });
  let text = '';
  const waiters = new Set<() => void>();
  let done = false;
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    text += chunk;
    for (const wake of waiters) wake();
  });
  response.on('error', () => undefined);
  response.on('close', () => {
    done = true;
    for (const wake of waiters) wake();
  });
  const waitFor = (condition: () => boolean) =>
    new Promise<ServerSentEvent[]>((resolve) => {
      const check = () => {
        if (!condition()) return;
        waiters.delete(check);
        resolve(parseEvents(text));
      };
      waiters.add(check);
      check();
    });
  return {
    status: response.statusCode ?? 0,
    headers: response.headers,
    until: (event) => waitFor(() => done || parseEvents(text).some((e) => e.event === event)),
    ended: () => waitFor(() => done),
    disconnect: () => response.destroy(),
  };
}

/** Makes `server` listen on a free loopback port (supertest then uses that address). */
export async function listenOnLoopback(server: http.Server): Promise<void> {
  if (server.listening) return;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
}
