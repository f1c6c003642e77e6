import { InvalidInputError } from './thread.errors';

/**
 * Validation at the service boundary. Every function takes `unknown` (callers may be plain
 * JavaScript or an unvalidated request body) and returns the value to use, or throws
 * `InvalidInputError` naming the field. Lengths are counted in Unicode code points, as PostgreSQL's
 * `char_length` counts them, so an emoji is one character, not two.
 */

/** Bounds of the validated inputs. */
export const THREAD_INPUT_LIMITS = {
  /** RFC 5321 limit on a mailbox: 64 + 1 + 255. */
  userEmailMaxLength: 320,
  /** The original's `VARCHAR(255)`. */
  threadIdMaxLength: 255,
  titleMaxLength: 255,
  /** `listThreads` page size: 1-100, default 20. */
  listLimit: { min: 1, max: 100, default: 20 },
  /** `listThreadsPage` page size: 1-100, default 10 (the original HTTP API's default). */
  pageLimit: { min: 1, max: 100, default: 10 },
} as const;

const CONTROL_CHARACTER = /\p{Cc}/u;
/** With the `u` flag, only a surrogate that is not half of a pair matches. */
const LONE_SURROGATE = /\p{Cs}/u;
const ASCII_UPPER_CASE = /[A-Z]+/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The user's email as an identity: the form stored and compared everywhere, so two strings are the
 * same user exactly when this returns the same for both.
 *
 * @example
 * parseUserEmail('  Kate@Example.COM '); // 'kate@example.com'
 * parseUserEmail('\u212Aate@example.com'); // throws: KELVIN SIGN, not K (not in NFC)
 * parseUserEmail('Élodie@example.com'); // 'Élodie@example.com': only A-Z are lowercased
 *
 * The rule, chosen so that two different mailboxes never share an identity:
 *
 * 1. Surrounding whitespace is trimmed.
 * 2. The rest must already be in Unicode Normalization Form C (what RFC 6532 asks of mail
 *    addresses), or it is refused. Normalizing instead would merge look-alikes into other users:
 *    NFC maps KELVIN SIGN (U+212A) to "K", ANGSTROM SIGN (U+212B) to "Å", OHM SIGN (U+2126) to
 *    "Ω", so `\u212Aate@example.com` would become kate@example.com. Refusing merges nothing, and
 *    canonically equivalent spellings (a decomposed "e" + U+0301 beside a precomposed "é") can
 *    still never be two identities: only the NFC one is accepted.
 * 3. ASCII letters A-Z are lowercased, and nothing else. ASCII case is one mailbox in practice
 *    (and was in the original); Unicode case mapping is no mailbox rule and folds different
 *    characters together: `toLowerCase()` turns U+212A into "k" (the collision this rule closes),
 *    "İ" (U+0130) into "i" + U+0307, "ẞ" into "ß", and case folding turns "ß" into "ss". Other
 *    letters are kept as given, so "Élodie" and "élodie" are two identities: at worst a user split
 *    in two (who signs in with one spelling), never one user reading another's threads.
 *
 * Identities stored by versions that lowercased with `toLowerCase()` are unchanged for ASCII
 * addresses; a non-ASCII address with upper-case letters now has the identity as given.
 */
export function parseUserEmail(value: unknown): string {
  const trimmed = requireString('userEmail', value).trim();
  if (trimmed.length === 0) throw new InvalidInputError('userEmail', 'must not be empty');
  requireText('userEmail', trimmed);
  requireMaxLength('userEmail', trimmed, THREAD_INPUT_LIMITS.userEmailMaxLength);
  if (trimmed.normalize('NFC') !== trimmed) {
    throw new InvalidInputError('userEmail', 'must be in Unicode Normalization Form C (NFC)');
  }
  return trimmed.replace(ASCII_UPPER_CASE, (letters) => letters.toLowerCase());
}

/** A thread id, kept verbatim (never trimmed or case-folded): 1-255 characters, no controls. */
export function parseThreadId(value: unknown, field = 'threadId'): string {
  const threadId = requireString(field, value);
  if (threadId.length === 0) throw new InvalidInputError(field, 'must not be empty');
  requireText(field, threadId);
  requireMaxLength(field, threadId, THREAD_INPUT_LIMITS.threadIdMaxLength);
  return threadId;
}

/**
 * A prompt, kept verbatim: at most `maxLength` characters, may be empty. NUL is refused because
 * PostgreSQL `text` cannot store it; a lone surrogate because it cannot be encoded as UTF-8 and
 * would be silently replaced.
 */
export function parsePrompt(value: unknown, maxLength: number): string {
  const prompt = requireString('prompt', value);
  if (prompt.includes('\0')) throw new InvalidInputError('prompt', 'must not contain NUL');
  if (LONE_SURROGATE.test(prompt)) {
    throw new InvalidInputError('prompt', 'must be well-formed Unicode (lone surrogate)');
  }
  requireMaxLength('prompt', prompt, maxLength);
  return prompt;
}

/** A run id: a UUID in any case, returned lowercase (how PostgreSQL returns a `uuid`). */
export function parseRunId(value: unknown): string {
  const runId = requireString('runId', value);
  if (!UUID.test(runId)) throw new InvalidInputError('runId', 'must be a UUID');
  return runId.toLowerCase();
}

/** A title given by a user: whitespace collapsed, 1-255 characters. */
export function parseTitle(value: unknown): string {
  const title = collapseWhitespace(requireString('title', value));
  if (title.length === 0) throw new InvalidInputError('title', 'must not be blank');
  if (LONE_SURROGATE.test(title)) {
    throw new InvalidInputError('title', 'must be well-formed Unicode (lone surrogate)');
  }
  requireMaxLength('title', title, THREAD_INPUT_LIMITS.titleMaxLength);
  return title;
}

/** A rating: `true` (up), `false` (down) or `null` (clear). */
export function parseSentiment(value: unknown): boolean | null {
  if (value === null || typeof value === 'boolean') return value;
  throw new InvalidInputError('sentiment', 'must be true, false or null');
}

/** An integer in `[min, max]`, or `fallback` when absent. */
export function parseIntegerInRange(
  field: string,
  value: unknown,
  { min, max, fallback }: { min: number; max: number; fallback: number },
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * Runs of whitespace and control characters become one space; the ends are trimmed. Used for
 * titles, which are shown on one line.
 */
export function collapseWhitespace(text: string): string {
  return text.replace(/[\s\p{Cc}]+/gu, ' ').trim();
}

function requireString(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidInputError(field, 'must be a string');
  return value;
}

function requireText(field: string, value: string): void {
  if (CONTROL_CHARACTER.test(value)) {
    throw new InvalidInputError(field, 'must not contain control characters');
  }
  if (LONE_SURROGATE.test(value)) {
    throw new InvalidInputError(field, 'must be well-formed Unicode (lone surrogate)');
  }
}

function requireMaxLength(field: string, value: string, max: number): void {
  if (codePointLengthExceeds(value, max)) {
    throw new InvalidInputError(field, `must be at most ${max} characters`);
  }
}

/** Whether `text` has more than `max` code points, without counting further than needed. */
export function codePointLengthExceeds(text: string, max: number): boolean {
  // A code point is one or two UTF-16 units, so the unit count brackets the answer.
  if (text.length <= max) return false;
  if (text.length > 2 * max) return true;
  // Each surrogate pair is two units but one code point.
  let codePoints = text.length;
  for (let i = 0; i < text.length - 1 && codePoints > max; i += 1) {
    if (isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1))) {
      codePoints -= 1;
      i += 1;
    }
  }
  return codePoints > max;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
