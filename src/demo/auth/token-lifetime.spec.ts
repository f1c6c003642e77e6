import { CLOCK_SKEW_SECONDS, parseDuration, tokenTimesAcceptable } from './token-lifetime';

const NOW = 1_750_000_000;
const DAY = 86_400;
const ok = (claims: Record<string, unknown>, max = DAY) => tokenTimesAcceptable(claims, NOW, max);

describe('tokenTimesAcceptable', () => {
  it('accepts a token issued now for up to the cap, and one without iat within it', () => {
    expect(ok({ iat: NOW, exp: NOW + 3600 })).toBe(true);
    expect(ok({ iat: NOW, exp: NOW + DAY })).toBe(true);
    expect(ok({ exp: NOW + 60 })).toBe(true);
    expect(ok({ iat: NOW - 100, exp: NOW + 100, nbf: NOW - 100 })).toBe(true);
    expect(ok({ iat: NOW + 0.5, exp: NOW + 3600.5 })).toBe(true);
  });

  it('allows the clock skew, and no more', () => {
    const skew = CLOCK_SKEW_SECONDS;
    expect(ok({ iat: NOW + skew, exp: NOW + skew + 60 })).toBe(true);
    expect(ok({ iat: NOW + skew + 1, exp: NOW + skew + 60 })).toBe(false);
    expect(ok({ exp: NOW - skew + 1 })).toBe(true);
    expect(ok({ exp: NOW - skew })).toBe(false);
    expect(ok({ exp: NOW + 60, nbf: NOW + skew })).toBe(true);
    expect(ok({ exp: NOW + 60, nbf: NOW + skew + 1 })).toBe(false);
  });

  it.each([
    ['no exp (it would never expire)', { iat: NOW }],
    ['no exp and no iat', {}],
    ['an iat a year ahead', { iat: NOW + 365 * DAY, exp: NOW + 365 * DAY + 3600 }],
    ['an iat a year ahead, exp within the cap', { iat: NOW + 365 * DAY, exp: NOW + 3600 }],
    ['a lifetime one second over the cap', { iat: NOW, exp: NOW + DAY + 1 }],
    ['an exp past the cap, without iat', { exp: NOW + DAY + CLOCK_SKEW_SECONDS + 1 }],
    ['an iat in the past stretching the lifetime', { iat: NOW - DAY, exp: NOW + 60 * DAY }],
    ['exp as a string', { exp: String(NOW + 60) }],
    ['exp null', { exp: null }],
    ['exp huge', { exp: 1e308 }],
    ['exp negative', { exp: -1 }],
    ['iat as a string', { iat: String(NOW), exp: NOW + 60 }],
    ['iat null', { iat: null, exp: NOW + 60 }],
    ['nbf as an array', { nbf: [NOW], exp: NOW + 60 }],
    ['an expired token', { iat: NOW - 7200, exp: NOW - 3600 }],
  ])('refuses %s', (_case, claims) => {
    expect(ok(claims)).toBe(false);
  });

  it('takes the cap it is given', () => {
    expect(ok({ iat: NOW, exp: NOW + 3600 }, 3600)).toBe(true);
    expect(ok({ iat: NOW, exp: NOW + 3601 }, 3600)).toBe(false);
  });
});

describe('parseDuration', () => {
  it('reads a whole number with a unit', () => {
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration('12h')).toBe(43_200);
    expect(parseDuration(' 1d ')).toBe(86_400);
  });

  it.each(['', '12', '60000', '1.5h', '-1h', '0h', '1w', '12 hours', 'h', '1e3s'])(
    'refuses %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});
