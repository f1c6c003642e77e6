import pg from 'pg';
import { FAST_BYTEA_ARRAY_TYPES, parseHexByteaArray } from './fast-bytea-arrays';

type Parsers = (oid: number, format: 'text' | 'binary') => (text: string) => unknown;
const pgParser = pg.types.getTypeParser as unknown as Parsers;
const fastParser = FAST_BYTEA_ARRAY_TYPES.getTypeParser as unknown as Parsers;
const standard = pgParser(1001, 'text');
const fast = fastParser(1001, 'text');

describe('parseHexByteaArray', () => {
  it.each([
    ['empty array', '{}'],
    ['one element', '{"\\\\x6a736f6e"}'],
    ['empty bytea', '{"\\\\x"}'],
    ['NULLs', '{NULL,"\\\\x00ff",NULL}'],
    [
      'two dimensions, as upstream aggregates',
      '{{"\\\\x6d","\\\\x6a",NULL},{"\\\\x01","\\\\x02","\\\\xdeadbeef"}}',
    ],
    ['three dimensions', '{{{"\\\\x01"},{"\\\\x02"}}}'],
  ])('decodes %s exactly as pg does', (_, text) => {
    expect(parseHexByteaArray(text)).toEqual(standard(text));
    expect(fast(text)).toEqual(standard(text));
  });

  it.each([
    ['escape output', '{"\\\\001abc"}'],
    ['explicit bounds', '[0:0]={"\\\\x01"}'],
    ['an odd number of hex digits', '{"\\\\x123"}'],
    ['trailing garbage', '{"\\\\x01"}x'],
    ['an unterminated element', '{"\\\\x01'],
  ])('declines %s, and the types config falls back to pg', (_, text) => {
    expect(parseHexByteaArray(text)).toBeUndefined();
    const outcome = (parse: (t: string) => unknown) => {
      try {
        return { value: parse(text) };
      } catch (error) {
        return { error: String(error) };
      }
    };
    expect(outcome(fast)).toEqual(outcome(standard));
  });

  it('leaves every other type to pg', () => {
    expect(fastParser(17, 'text')).toBe(pgParser(17, 'text'));
    expect(fastParser(1001, 'binary')).toBe(pgParser(1001, 'binary'));
  });
});
