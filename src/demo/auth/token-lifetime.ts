/**
 * How long a bearer token may live, and how far apart the issuer's clock and ours may be. The
 * guard checks these on top of the signature, and `npm run token` refuses to mint past them.
 */

/** Clock difference allowed between the token's issuer and this server, for `iat`, `nbf`, `exp`. */
export const CLOCK_SKEW_SECONDS = 30;

/** Lifetime of the tokens the demo mints itself, when no shorter cap is configured: 12 hours. */
export const DEFAULT_TOKEN_TTL_SECONDS = 12 * 3600;

/** The time claims of a verified token, as they came (any JSON value). */
export interface TimeClaims {
  readonly exp?: unknown;
  readonly iat?: unknown;
  readonly nbf?: unknown;
}

/**
 * Whether a token's time claims make it valid at `nowSeconds`, with lifetimes capped at
 * `maxTtlSeconds`. `exp` is required: a token without one would never expire. The lifetime as
 * issued (`exp - iat`) and the validity left (`exp - now`) are both capped, so neither a long
 * `exp` nor an `iat` set in the future (which would stretch a lifetime measured from it) gets
 * past; `iat` and `nbf` in the future beyond the skew are refused outright. Only the answer is
 * returned: which check failed is nobody's business but the log's (and the guard logs nothing).
 *
 * @example
 * const now = Math.floor(Date.now() / 1000);
 * tokenTimesAcceptable({ iat: now, exp: now + 3600 }, now, 86400); // true
 * tokenTimesAcceptable({ iat: now }, now, 86400); // false: no exp
 */
export function tokenTimesAcceptable(
  claims: TimeClaims,
  nowSeconds: number,
  maxTtlSeconds: number,
): boolean {
  const { exp, iat, nbf } = claims;
  if (!isNumericDate(exp)) return false;
  if (exp <= nowSeconds - CLOCK_SKEW_SECONDS) return false;
  if (exp - nowSeconds > maxTtlSeconds + CLOCK_SKEW_SECONDS) return false;
  if (iat !== undefined) {
    if (!isNumericDate(iat) || iat > nowSeconds + CLOCK_SKEW_SECONDS) return false;
    if (exp - iat > maxTtlSeconds) return false;
  }
  if (nbf !== undefined) {
    if (!isNumericDate(nbf) || nbf > nowSeconds + CLOCK_SKEW_SECONDS) return false;
  }
  return true;
}

/** RFC 7519's NumericDate: seconds since the epoch, possibly fractional, never negative. */
function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

const DURATION = /^(\d{1,9})([smhd])$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/**
 * A duration as `npm run token` takes it, in seconds: a whole number with a unit, `90s`, `30m`,
 * `12h`, `1d`; `undefined` for anything else (a bare number is refused: jsonwebtoken would read
 * `"60"` as milliseconds).
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match === null) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  return seconds > 0 ? seconds : undefined;
}
