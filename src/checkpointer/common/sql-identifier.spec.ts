import { dollarQuote, isPostgresIdentifier, isSchemaName, quoteIdentifier } from './sql-identifier';

describe('isPostgresIdentifier', () => {
  it.each([
    'public',
    'custom-schema',
    'Mixed Case',
    'ünïcødé',
    'with"quote',
    'a$$b',
    'é'.repeat(31) + 'x',
  ])('accepts %j', (name) => expect(isPostgresIdentifier(name)).toBe(true));

  it.each([
    ['empty', ''],
    ['a NUL', 'a\u0000b'],
    ['64 bytes', 'x'.repeat(64)],
    ['64 bytes in 32 characters', 'é'.repeat(32)],
  ])('refuses %s', (_, name) => expect(isPostgresIdentifier(name)).toBe(false));
});

describe('isSchemaName', () => {
  it('is an identifier without a double quote, which upstream cannot carry', () => {
    expect(isSchemaName('Mixed Case')).toBe(true);
    expect(isSchemaName('with"quote')).toBe(false);
  });
});

describe('quoteIdentifier', () => {
  it('double-quotes, doubling every quote inside', () => {
    expect(quoteIdentifier('Mixed Case')).toBe('"Mixed Case"');
    expect(quoteIdentifier('a"b""c')).toBe('"a""b""""c"');
  });

  it('refuses what is not an identifier', () => {
    expect(() => quoteIdentifier('a\u0000b')).toThrow(
      'not a valid PostgreSQL identifier: "a\\u0000b"',
    );
  });
});

describe('dollarQuote', () => {
  it('picks a tag that closes the body exactly where it ends', () => {
    expect(dollarQuote('SELECT 1')).toBe('$body$SELECT 1$body$');
    expect(dollarQuote('FROM "a$body$b".t')).toBe('$body1$FROM "a$body$b".t$body1$');
    expect(dollarQuote('x$body')).toBe('$body1$x$body$body1$');
  });
});
