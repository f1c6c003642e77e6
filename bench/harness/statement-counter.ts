import pg from 'pg';

/** A statement as a pg client sent it: its text and its parameters. */
export interface SentQuery {
  readonly text: string;
  readonly values: readonly unknown[];
  /** The prepared statement's name, if it was sent as one. */
  readonly name?: string;
}

/**
 * Runs `fn` and returns every statement any pg client sent meanwhile (pooled or not), with its
 * parameters. Only meaningful when nothing else runs at the same time.
 */
export async function queriesSentBy(fn: () => Promise<unknown>): Promise<SentQuery[]> {
  const prototype = pg.Client.prototype as unknown as {
    query: (...args: unknown[]) => unknown;
  };
  const original = prototype.query;
  const sent: SentQuery[] = [];
  prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [query, second] = args;
    if (typeof query === 'string') {
      sent.push({ text: query, values: Array.isArray(second) ? second : [] });
    } else {
      const config = query as { text?: string; values?: unknown[]; name?: string };
      sent.push({ text: config.text ?? '?', values: config.values ?? [], name: config.name });
    }
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    prototype.query = original;
  }
  return sent;
}

/** The text of every statement any pg client sent while `fn` ran (see `queriesSentBy`). */
export async function statementsSentBy(fn: () => Promise<unknown>): Promise<string[]> {
  return (await queriesSentBy(fn)).map((query) => query.text);
}
