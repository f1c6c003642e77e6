import { CheckpointValueError, assertStorableText } from './unstorable-text';

function fieldOf(value: unknown): string | undefined {
  try {
    assertStorableText('put', [['metadata', value]]);
    return undefined;
  } catch (error) {
    return (error as CheckpointValueError).field;
  }
}

describe('assertStorableText', () => {
  it('accepts text PostgreSQL stores, emoji (surrogate pairs) included', () => {
    expect(fieldOf({ a: ['😀', 1, null, true], b: new Date(), c: new Uint8Array([0]) })).toBe(
      undefined,
    );
  });

  it('names the first offending key or value by its path', () => {
    expect(fieldOf({ a: { 'b c': ['ok', '\u0000'] } })).toBe('metadata.a["b c"][1]');
    expect(fieldOf({ ['\ud83d']: 1 })).toBe('metadata["\\ud83d"]');
  });

  it('survives cycles', () => {
    const cyclic: Record<string, unknown> = { ok: 'x' };
    cyclic.self = cyclic;
    expect(fieldOf(cyclic)).toBe(undefined);
  });

  it('says what and where, and that nothing was written or sent', () => {
    expect(new CheckpointValueError('metadata.a', 'a NUL character', 'putWrites').message).toBe(
      'saver.putWrites: metadata.a contains a NUL character, which PostgreSQL cannot store; nothing was written',
    );
    expect(new CheckpointValueError('filter.a', 'a lone surrogate', 'list').message).toMatch(
      /; nothing was sent$/,
    );
  });
});
