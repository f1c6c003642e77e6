import { MAX_BODY_DEPTH, nestingExceeds } from './body-depth';

const nested = (depth: number, open: string, close: string, leaf = '1') =>
  JSON.parse(`${open.repeat(depth)}${leaf}${close.repeat(depth)}`) as unknown;

describe('nestingExceeds', () => {
  it('counts arrays and objects, not scalars', () => {
    for (const scalar of [undefined, null, 1, 'text', true]) {
      expect(nestingExceeds(scalar, 0)).toBe(false);
    }
    expect(nestingExceeds({}, 0)).toBe(true);
    expect(nestingExceeds({}, 1)).toBe(false);
    expect(nestingExceeds({ a: [1] }, 2)).toBe(false);
    expect(nestingExceeds({ a: [1, { b: 2 }] }, 2)).toBe(true);
    expect(nestingExceeds([[], [[]]], 2)).toBe(true);
  });

  it('measures exactly at the limit, for arrays, objects and both mixed', () => {
    // [opening, closing, levels each opening adds]
    for (const [open, close, levels] of [
      ['[', ']', 1],
      ['{"a":', '}', 1],
      ['[{"a":', '}]', 2],
    ] as const) {
      const depth = MAX_BODY_DEPTH / levels;
      expect(nestingExceeds(nested(depth, open, close), MAX_BODY_DEPTH)).toBe(false);
      expect(nestingExceeds(nested(depth + 1, open, close), MAX_BODY_DEPTH)).toBe(true);
    }
  });

  it('measures a million levels without overflowing the stack', () => {
    expect(nestingExceeds(nested(1_000_000, '[', ']', ''), MAX_BODY_DEPTH)).toBe(true);
  });
});
