import { InvalidInputError } from './thread.errors';
import { parseThreadId } from './thread-input';

/**
 * Where a `listThreads` pass stands. Timestamps are PostgreSQL `timestamptz` values as exact
 * ISO-8601 UTC strings with microseconds (`2025-06-20T10:11:12.123456Z`): a JavaScript `Date`
 * keeps milliseconds only, and a key rounded to the millisecond would repeat or skip threads.
 */
export interface ThreadCursor {
  /** The moment the pass began: the listing is ordered by activity as of then. */
  readonly asOf: string;
  /** Activity time (as of `asOf`) of the last thread returned. */
  readonly activityAt: string;
  /** Id of the last thread returned: the tie-breaker between equal activity times. */
  readonly threadId: string;
}

const VERSION = 1;
/** A cursor is short; refuse anything far larger before decoding it. */
const MAX_ENCODED_LENGTH = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/**
 * The instants a cursor may carry. PostgreSQL has no year 0 (`0000-…` is "date/time field value
 * out of range", which the format alone would let through), and no thread was active before the
 * Unix epoch or after 9999 (past which the fixed four-digit format could not carry the key).
 * Compared as text: the fixed-width format sorts chronologically.
 */
const EARLIEST = '1970-01-01T00:00:00.000000Z';
const LATEST = '9999-12-31T23:59:59.999999Z';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The opaque form handed to clients: base64url of a versioned JSON array. */
export function encodeThreadCursor(cursor: ThreadCursor): string {
  const json = JSON.stringify([VERSION, cursor.asOf, cursor.activityAt, cursor.threadId]);
  return Buffer.from(json, 'utf8').toString('base64url');
}

/**
 * Decodes a cursor from `encodeThreadCursor`, strictly: anything else (tampered, truncated, from
 * another version, not base64url, a field of the wrong type, an instant PostgreSQL would refuse or
 * no thread can have) is an `InvalidInputError` on `cursor`, never a crash or a query with a
 * malformed key. Every field is checked before any reaches SQL.
 */
export function decodeThreadCursor(value: unknown): ThreadCursor {
  if (typeof value !== 'string') throw invalid('must be a string');
  if (value.length === 0 || value.length > MAX_ENCODED_LENGTH || !BASE64URL.test(value)) {
    throw invalid('is malformed');
  }
  const bytes = Buffer.from(value, 'base64url');
  // Node ignores stray trailing bits; only the canonical encoding of a cursor is one.
  if (bytes.toString('base64url') !== value) throw invalid('is malformed');
  let decoded: unknown;
  try {
    decoded = JSON.parse(utf8.decode(bytes));
  } catch {
    throw invalid('is malformed');
  }
  if (!Array.isArray(decoded) || decoded.length !== 4 || decoded[0] !== VERSION) {
    throw invalid('is malformed');
  }
  const [, asOf, activityAt, threadId] = decoded as unknown[];
  if (!isTimestamp(asOf) || !isTimestamp(activityAt) || activityAt > asOf) {
    throw invalid('is malformed');
  }
  try {
    return { asOf, activityAt, threadId: parseThreadId(threadId, 'cursor') };
  } catch {
    throw invalid('is malformed');
  }
}

/** A real instant, within `EARLIEST`-`LATEST`, in the exact format the listing query produces. */
function isTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || !TIMESTAMP.test(value)) return false;
  if (value < EARLIEST || value > LATEST) return false;
  const millis = `${value.slice(0, 23)}Z`;
  const parsed = new Date(millis);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString() === millis;
}

function invalid(reason: string): InvalidInputError {
  return new InvalidInputError('cursor', reason);
}
