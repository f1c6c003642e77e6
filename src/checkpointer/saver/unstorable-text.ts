/**
 * Text PostgreSQL cannot store, found before a statement is sent. A NUL character (U+0000) is
 * refused by `jsonb` (22P05) and by `text` (22021); a lone surrogate cannot be encoded as UTF-8:
 * `jsonb` refuses it (22P02) and pg rewrites it to U+FFFD in `text`, so a thread id would
 * silently name another thread. LangGraph's `MemorySaver` stores both, and no escape would be
 * read back by upstream's reader, so the saver refuses them, typed and named.
 */

/** What makes a string unstorable. */
export type UnstorableTextProblem = 'a NUL character' | 'a lone surrogate';

/** The saver operations that check their text. */
export type CheckedSaverOperation = 'put' | 'putWrites' | 'getTuple' | 'list' | 'deleteThread';

/**
 * A checkpoint, its metadata, a pending write, an id or a `list` filter holds text PostgreSQL
 * cannot store (a NUL character or a lone surrogate). Raised before any statement is sent: a
 * refused write wrote nothing. Channel values are not affected (they are stored as bytea).
 *
 * @example
 * try { await graph.invoke(input, config) } catch (e) {
 *   if (e instanceof CheckpointValueError) console.log(e.field) // 'metadata.note'
 * }
 */
export class CheckpointValueError extends Error {
  override readonly name = 'CheckpointValueError';

  constructor(
    /** Where the text is, e.g. `metadata.writes.listen.messages[1]`, `config.configurable.thread_id`. */
    readonly field: string,
    readonly problem: UnstorableTextProblem,
    /** The saver method that refused it. */
    readonly operation: CheckedSaverOperation,
  ) {
    const outcome =
      operation === 'put' || operation === 'putWrites' ? 'nothing was written' : 'nothing was sent';
    super(
      `saver.${operation}: ${field} contains ${problem}, which PostgreSQL cannot store; ${outcome}`,
    );
  }
}

/** With the `u` flag, only a surrogate that is not half of a pair matches. */
const LONE_SURROGATE = /\p{Cs}/u;
const PLAIN_KEY = /^[A-Za-z_$][\w$]*$/;

/**
 * Throws `CheckpointValueError` for the first unstorable string among `fields` (`[path, value]`),
 * searching objects and arrays depth first, keys included.
 */
export function assertStorableText(
  operation: CheckedSaverOperation,
  fields: readonly (readonly [path: string, value: unknown])[],
): void {
  for (const [path, value] of fields) {
    const found = findUnstorable(value, path, new Set());
    if (found !== undefined) throw new CheckpointValueError(found.field, found.problem, operation);
  }
}

function findUnstorable(
  value: unknown,
  path: string,
  seen: Set<object>,
): { field: string; problem: UnstorableTextProblem } | undefined {
  if (typeof value === 'string') {
    const problem = problemOf(value);
    return problem === undefined ? undefined : { field: path, problem };
  }
  // Dates become ISO strings and typed arrays numbers; nothing else is text.
  if (value === null || typeof value !== 'object' || seen.has(value)) return undefined;
  if (value instanceof Date || ArrayBuffer.isView(value)) return undefined;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findUnstorable(item, `${path}[${index}]`, seen);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const field = PLAIN_KEY.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
    const problem = problemOf(key);
    if (problem !== undefined) return { field, problem };
    const found = findUnstorable(item, field, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

function problemOf(text: string): UnstorableTextProblem | undefined {
  if (text.includes('\u0000')) return 'a NUL character';
  if (LONE_SURROGATE.test(text)) return 'a lone surrogate';
  return undefined;
}
