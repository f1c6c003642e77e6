/** One server-sent event: its name (`message` when unnamed) and its data lines joined. */
export interface StreamEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * Reads a `text/event-stream` (the WHATWG format) fed in arbitrary pieces, as `fetch` delivers
 * them: lines end with LF, CR or CRLF; `event:` names an event, `data:` lines add to it, a blank
 * line dispatches it; comments (`:`) and other fields are ignored.
 */
export class EventStreamParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  /** The events completed by `text`. */
  push(text: string): StreamEvent[] {
    this.buffer += text;
    const events: StreamEvent[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      // A lone CR at the end may be the first half of a CRLF: wait for more.
      if (end === -1 || (end === this.buffer.length - 1 && this.buffer.endsWith('\r'))) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      const dispatched = this.line(line);
      if (dispatched !== undefined) events.push(dispatched);
    }
    return events;
  }

  private line(line: string): StreamEvent | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return undefined;
      }
      const dispatched = { event: this.event || 'message', data: this.data.join('\n') };
      this.event = '';
      this.data = [];
      return dispatched;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    return undefined;
  }
}
