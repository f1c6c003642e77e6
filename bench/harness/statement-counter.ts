import pg from 'pg';

/**
 * Runs `fn` and returns the text of every statement any pg client sent meanwhile (pooled or not).
 * Only meaningful when nothing else runs at the same time.
 */
export async function statementsSentBy(fn: () => Promise<unknown>): Promise<string[]> {
  const prototype = pg.Client.prototype as unknown as {
    query: (...args: unknown[]) => unknown;
  };
  const original = prototype.query;
  const sent: string[] = [];
  prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const query = args[0];
    sent.push(typeof query === 'string' ? query : ((query as { text?: string }).text ?? '?'));
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    prototype.query = original;
  }
  return sent;
}
