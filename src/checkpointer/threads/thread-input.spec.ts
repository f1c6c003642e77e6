import { InvalidInputError } from './thread.errors';
import {
  codePointLengthExceeds,
  parseIntegerInRange,
  parsePrompt,
  parseRunId,
  parseSentiment,
  parseThreadId,
  parseTitle,
  parseUserEmail,
} from './thread-input';

function fieldOf(parse: () => unknown): string | undefined {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as InvalidInputError).field;
  }
  return undefined;
}

describe('boundary validation', () => {
  it('userEmail: trimmed, lowercased, 1-320 characters, no controls', () => {
    expect(parseUserEmail('  Ada.Lovelace@Example.COM \n')).toBe('ada.lovelace@example.com');
    expect(parseUserEmail(`${'a'.repeat(308)}@example.com`)).toHaveLength(320);
    for (const bad of ['', '   ', `${'a'.repeat(309)}@example.com`, 'a\u0000b', 'a\u0007b', 7]) {
      expect(fieldOf(() => parseUserEmail(bad))).toBe('userEmail');
    }
  });

  it('threadId: verbatim, 1-255 code points, no controls or lone surrogates', () => {
    expect(parseThreadId(' Spaced Id ')).toBe(' Spaced Id ');
    expect(parseThreadId('🧵'.repeat(255))).toBe('🧵'.repeat(255));
    for (const bad of [
      '',
      'x'.repeat(256),
      '🧵'.repeat(256),
      'a\nb',
      'a\u007fb',
      'a\ud800',
      null,
    ]) {
      expect(fieldOf(() => parseThreadId(bad))).toBe('threadId');
    }
  });

  it('prompt: verbatim, may be empty, at most the configured length, no NUL', () => {
    expect(parsePrompt('', 10)).toBe('');
    expect(parsePrompt(' multi\nline\t', 20)).toBe(' multi\nline\t');
    expect(parsePrompt('😀'.repeat(10), 10)).toBe('😀'.repeat(10));
    for (const bad of ['x'.repeat(11), '😀'.repeat(11), 'a\u0000', 'a\udc00', undefined]) {
      expect(fieldOf(() => parsePrompt(bad, 10))).toBe('prompt');
    }
  });

  it('runId: a UUID, lowercased', () => {
    expect(parseRunId('0F8FAD5B-D9CB-469F-A165-70867728950E')).toBe(
      '0f8fad5b-d9cb-469f-a165-70867728950e',
    );
    for (const bad of [
      '',
      'nope',
      '0f8fad5b-d9cb-469f-a165-70867728950',
      ' 0f8fad5b-d9cb-469f-a165-70867728950e',
      1,
    ]) {
      expect(fieldOf(() => parseRunId(bad))).toBe('runId');
    }
  });

  it('title: whitespace collapsed, 1-255 characters', () => {
    expect(parseTitle('  My \n  chat ')).toBe('My chat');
    expect(fieldOf(() => parseTitle(' \t '))).toBe('title');
    expect(fieldOf(() => parseTitle('t'.repeat(256)))).toBe('title');
  });

  it('sentiment: true, false or null', () => {
    expect(parseSentiment(true)).toBe(true);
    expect(parseSentiment(false)).toBe(false);
    expect(parseSentiment(null)).toBeNull();
    for (const bad of [undefined, 0, 1, 'true']) {
      expect(fieldOf(() => parseSentiment(bad))).toBe('sentiment');
    }
  });

  it('integers in range, with a fallback when absent', () => {
    const range = { min: 1, max: 100, fallback: 20 };
    expect(parseIntegerInRange('limit', undefined, range)).toBe(20);
    expect(parseIntegerInRange('limit', 100, range)).toBe(100);
    for (const bad of [0, 101, 1.5, Number.NaN, Infinity, '5', null]) {
      expect(fieldOf(() => parseIntegerInRange('limit', bad, range))).toBe('limit');
    }
  });

  it('never echoes the rejected value in the message', () => {
    const secret = 's3cr3t-value\n';
    let message = '';
    try {
      parseThreadId(secret);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('threadId must not contain control characters');
  });

  it('codePointLengthExceeds counts code points, not UTF-16 units', () => {
    expect(codePointLengthExceeds('😀😀', 2)).toBe(false);
    expect(codePointLengthExceeds('😀😀x', 2)).toBe(true);
    expect(codePointLengthExceeds('abc', 3)).toBe(false);
    expect(codePointLengthExceeds('abcd', 3)).toBe(true);
    expect(codePointLengthExceeds('a'.repeat(7), 3)).toBe(true);
  });
});

describe('userEmail as an identity: no two mailboxes share one', () => {
  const KATE = 'kate@example.com';

  it('ASCII case is one identity', () => {
    expect(parseUserEmail('Kate@Example.COM')).toBe(KATE);
    expect(parseUserEmail('KATE@EXAMPLE.COM')).toBe(KATE);
  });

  it.each([
    ['KELVIN SIGN (NFC makes it K)', '\u212Aate@example.com'],
    ['KELVIN SIGN in the domain', 'kate@example.\u212Aom'],
    ['ANGSTROM SIGN (NFC makes it Å)', '\u212Bsa@example.com'],
    ['OHM SIGN (NFC makes it Ω)', '\u2126mega@example.com'],
    ['a decomposed é (e + U+0301)', 'rene\u0301@example.com'],
  ])('refuses what is not in NFC: %s', (_case, email) => {
    expect(fieldOf(() => parseUserEmail(email))).toBe('userEmail');
    expect(() => parseUserEmail(email)).toThrow(
      'userEmail must be in Unicode Normalization Form C',
    );
  });

  it('lowercases A-Z only: other letters are kept as given', () => {
    expect(parseUserEmail('René@Example.com')).toBe('rené@example.com');
    expect(parseUserEmail('ÉLODIE@example.com')).toBe('Élodie@example.com');
    expect(parseUserEmail('İLKER@example.com')).toBe('İlker@example.com');
    expect(parseUserEmail('STRAẞE@example.com')).toBe('straẞe@example.com');
    expect(parseUserEmail('Ｋate@example.com')).toBe('Ｋate@example.com');
  });

  it('Unicode case pitfalls stay apart: each spelling is its own identity, none is another', () => {
    const spellings = [
      KATE,
      'ｋate@example.com', // FULLWIDTH k
      'katé@example.com',
      'kate@exämple.com',
      'i@example.com',
      'İ@example.com', // toLowerCase: i + U+0307
      'i\u0307@example.com',
      'ı@example.com', // dotless i: toUpperCase makes it I
      'ß@example.com',
      'ẞ@example.com', // toLowerCase: ß
      'ss@example.com', // what case folding makes of ß
      'σ@example.com',
      'ς@example.com',
      'Σ@example.com',
      'ǆ@example.com',
      'ǅ@example.com',
      'Ǆ@example.com',
      'ﬀ@example.com', // case folding: ff
      'ff@example.com',
    ];
    const identities = spellings.map((email) => parseUserEmail(email));
    expect(new Set(identities).size).toBe(spellings.length);
    // And each is the spelling itself: nothing non-ASCII was changed.
    expect(identities).toEqual(spellings);
  });
});
