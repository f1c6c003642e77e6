import { InvalidInputError } from './thread.errors';
import { type ThreadCursor, decodeThreadCursor, encodeThreadCursor } from './thread-cursor';

const cursor: ThreadCursor = {
  asOf: '2025-06-20T10:11:12.123456Z',
  activityAt: '2025-06-20T10:11:12.000001Z',
  threadId: `x'); DROP TABLE users; -- 😀`,
};

function expectMalformed(value: unknown): void {
  let thrown: unknown;
  try {
    decodeThreadCursor(value);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidInputError);
  expect(thrown).toMatchObject({ field: 'cursor' });
}

const encodeRaw = (json: string) => Buffer.from(json, 'utf8').toString('base64url');

describe('thread cursor', () => {
  it('round-trips exactly, microseconds and any thread id included', () => {
    const encoded = encodeThreadCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeThreadCursor(encoded)).toEqual(cursor);
  });

  it('refuses anything that is not a string of base64url', () => {
    for (const value of [undefined, null, 42, {}, '', 'has spaces', 'plus+slash/', 'pad==']) {
      expectMalformed(value);
    }
  });

  it('refuses a truncated or extended encoding', () => {
    const encoded = encodeThreadCursor(cursor);
    expectMalformed(encoded.slice(0, -1));
    expectMalformed(`${encoded}A`);
  });

  it('refuses a non-canonical encoding of the same bytes (stray trailing bits)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // A length that is not a multiple of 3 bytes leaves unused low bits in the last character.
    const encoded = ['t', 'tt', 'ttt']
      .map((threadId) => encodeThreadCursor({ ...cursor, threadId }))
      .find((candidate) => candidate.length % 4 !== 0)!;
    const last = alphabet.indexOf(encoded.at(-1)!);
    const sibling = `${encoded.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(sibling, 'base64url')).toEqual(Buffer.from(encoded, 'base64url'));
    expect(() => decodeThreadCursor(encoded)).not.toThrow();
    expectMalformed(sibling);
  });

  it('refuses a value far longer than any cursor', () => {
    expectMalformed('A'.repeat(4096));
  });

  it('refuses invalid UTF-8 and invalid JSON', () => {
    expectMalformed(Buffer.from([0xff, 0xfe, 0x5b]).toString('base64url'));
    expectMalformed(encodeRaw('[1, "a"'));
  });

  it.each([
    ['an object', '{"asOf":"2025-06-20T10:11:12.123456Z"}'],
    ['another version', '[2,"2025-06-20T10:11:12.123456Z","2025-06-20T10:11:12.123456Z","t"]'],
    ['too few parts', '[1,"2025-06-20T10:11:12.123456Z","t"]'],
    ['too many parts', '[1,"2025-06-20T10:11:12.123456Z","2025-06-20T10:11:12.123456Z","t",1]'],
    ['milliseconds only', '[1,"2025-06-20T10:11:12.123Z","2025-06-20T10:11:12.123Z","t"]'],
    ['a local time', '[1,"2025-06-20T10:11:12.123456+02:00","2025-06-20T10:11:12.123456Z","t"]'],
    ['February 30th', '[1,"2025-02-30T10:11:12.123456Z","2025-02-01T10:11:12.123456Z","t"]'],
    ['hour 24', '[1,"2025-06-20T24:00:00.000000Z","2025-06-20T10:11:12.123456Z","t"]'],
    ['a key after its pass', '[1,"2025-06-20T10:11:12.123456Z","2025-06-20T10:11:12.123457Z","t"]'],
    ['an empty thread id', '[1,"2025-06-20T10:11:12.123456Z","2025-06-20T10:11:12.123456Z",""]'],
    ['a numeric thread id', '[1,"2025-06-20T10:11:12.123456Z","2025-06-20T10:11:12.123456Z",7]'],
    [
      'a control character',
      '[1,"2025-06-20T10:11:12.123456Z","2025-06-20T10:11:12.123456Z","a\\u0000"]',
    ],
  ])('refuses %s', (_label, json) => {
    expectMalformed(encodeRaw(json));
  });
});

describe('thread cursor: instants PostgreSQL would refuse, and fuzz', () => {
  const key = (asOf: unknown, activityAt: unknown = asOf, threadId: unknown = 't') =>
    encodeRaw(JSON.stringify([1, asOf, activityAt, threadId]));

  it.each([
    ['year 0000 (PostgreSQL has no year 0)', '0000-01-01T00:00:00.000000Z'],
    ['the year before the epoch', '1969-12-31T23:59:59.999999Z'],
    ['a negative year', '-0001-01-01T00:00:00.000000Z'],
    ['an expanded year', '+010000-01-01T00:00:00.000000Z'],
    ['year 10000', '10000-01-01T00:00:00.000000Z'],
    ['month 00', '2025-00-10T00:00:00.000000Z'],
    ['month 13', '2025-13-10T00:00:00.000000Z'],
    ['day 00', '2025-01-00T00:00:00.000000Z'],
    ['minute 60', '2025-01-01T00:60:00.000000Z'],
    ['a leap second', '2016-12-31T23:59:60.000000Z'],
    ['February 29th of a common year', '2025-02-29T00:00:00.000000Z'],
    ['non-ASCII digits', '２０２５-01-01T00:00:00.000000Z'],
    ['surrounding whitespace', ' 2025-01-01T00:00:00.000000Z'],
  ])('refuses %s', (_label, instant) => {
    expectMalformed(key(instant));
    expectMalformed(key('2025-06-20T10:11:12.123456Z', instant));
  });

  it('accepts the bounds, the epoch and the last microsecond of 9999', () => {
    const first = '1970-01-01T00:00:00.000000Z';
    const last = '9999-12-31T23:59:59.999999Z';
    expect(decodeThreadCursor(key(last, first))).toEqual({
      asOf: last,
      activityAt: first,
      threadId: 't',
    });
  });

  it.each([
    ['NaN (not JSON)', '[1,NaN,NaN,"t"]'],
    ['Infinity (not JSON)', '[1,Infinity,Infinity,"t"]'],
    ['huge numbers', '[1,1e308,1e308,"t"]'],
    ['epoch milliseconds', '[1,1750414272123,1750414272123,"t"]'],
    ['a huge version', '[1e400,"2025-06-20T10:11:12.123456Z","2025-06-20T10:11:12.123456Z","t"]'],
    ['version "1"', '["1","2025-06-20T10:11:12.123456Z","2025-06-20T10:11:12.123456Z","t"]'],
    ['version 1.0000000000000001', '[1.0000000000000001,"x","x","t"]'],
    ['nulls', '[1,null,null,null]'],
    ['booleans', '[1,true,false,"t"]'],
    ['nested arrays', '[1,["2025-06-20T10:11:12.123456Z"],"2025-06-20T10:11:12.123456Z","t"]'],
    ['objects', '[1,{},{},{"toString":"t"}]'],
    [
      'a thread id of 256 characters',
      `[1,"2025-06-20T10:11:12.123456Z","2025-06-20T10:11:12.123456Z","${'x'.repeat(256)}"]`,
    ],
    [
      'a lone surrogate',
      '[1,"2025-06-20T10:11:12.123456Z","2025-06-20T10:11:12.123456Z","\\ud800"]',
    ],
    ['a sparse array', '[1,,,"t"]'],
  ])('refuses %s', (_label, json) => {
    expectMalformed(encodeRaw(json));
  });

  /** mulberry32: a small seeded generator, so a failure replays exactly. */
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** Decodes, and proves the outcome is a refusal on `cursor` or a cursor safe to query with. */
  function decodeOrRefuse(value: string): ThreadCursor | undefined {
    try {
      const decoded = decodeThreadCursor(value);
      for (const instant of [decoded.asOf, decoded.activityAt]) {
        expect(instant).toMatch(/^(19[7-9]\d|[2-9]\d{3})-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
        expect(new Date(instant).toISOString().slice(0, 23)).toBe(instant.slice(0, 23));
      }
      expect(decoded.activityAt <= decoded.asOf).toBe(true);
      return decoded;
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      expect(error.field).toBe('cursor');
      return undefined;
    }
  }

  it('random bytes are refused, never a crash', () => {
    const next = random(20250620);
    for (let i = 0; i < 3000; i += 1) {
      const bytes = Buffer.from(
        Array.from({ length: Math.floor(next() * 200) }, () => next() * 256),
      );
      decodeOrRefuse(bytes.toString('base64url'));
    }
  });

  it('crafted keys of every shape are refused or safe to query with', () => {
    const next = random(10000);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)];
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 10)).join('');
    const instant = () =>
      pick([
        () =>
          `${digits(4)}-${digits(2)}-${digits(2)}T${digits(2)}:${digits(2)}:${digits(2)}.${digits(6)}Z`,
        () =>
          `${pick(['0000', '0001', '1969', '1970', '2025', '9999', '10000', '-0001', '+275760'])}-${pick(['01', '02', '12', '13', '00'])}-${pick(['01', '28', '29', '30', '31', '32'])}T${pick(['00', '23', '24'])}:${pick(['00', '59', '60'])}:${pick(['00', '59', '60'])}.${pick(['000000', '999999', '123', '1234567'])}Z`,
        () =>
          new Date(next() * 8.64e15 * (next() < 0.5 ? -1 : 1)).toISOString().replace('Z', '000Z'),
        () => new Date(next() * 2.5e14).toISOString().replace('Z', `${digits(3)}Z`),
        () => pick([null, true, 0, -1, 1e308, -1e308, 2 ** 53 + 1, '', 'NaN', [], {}]),
      ])();
    let accepted = 0;
    for (let i = 0; i < 5000; i += 1) {
      const asOf = instant();
      const parts: unknown[] = [
        pick([1, 1, 1, 0, 2, -1, '1', 1.5, null]),
        ...(next() < 0.3 ? [asOf, asOf] : [asOf, instant()]),
        pick(['t', '', 'x'.repeat(255), 'x'.repeat(256), 7, null, ['t'], 'a\u0000', '😀']),
      ];
      if (next() < 0.1) parts.splice(Math.floor(next() * 4), 1);
      if (next() < 0.1) parts.push(pick([1, 'x', null]));
      if (decodeOrRefuse(encodeRaw(JSON.stringify(parts))) !== undefined) accepted += 1;
    }
    // Some keys are valid, so the checks above ran on accepted cursors too.
    expect(accepted).toBeGreaterThan(0);
  });
});
