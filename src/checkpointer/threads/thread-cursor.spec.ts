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
