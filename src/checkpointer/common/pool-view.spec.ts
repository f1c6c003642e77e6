import type pg from 'pg';
import { poolView } from './pool-view';

/** Just enough of a pool to see where calls land. */
function fakePool(label: string) {
  return {
    totalCount: label.length,
    query: jest.fn(() => Promise.resolve(label)),
    end: jest.fn(() => Promise.resolve()),
  } as unknown as pg.Pool & { query: jest.Mock; end: jest.Mock };
}

describe('poolView', () => {
  it('reads every property from the live pool at call time', async () => {
    let live = fakePool('first');
    const view = poolView(() => live, {});
    await expect(view.query('SELECT 1')).resolves.toBe('first');
    live = fakePool('second!');
    await expect(view.query('SELECT 1')).resolves.toBe('second!');
    expect(view.totalCount).toBe(7);
  });

  it('serves the overrides instead, and never the live pool’s version of them', async () => {
    const live = fakePool('owned');
    const view = poolView(() => live, { end: () => Promise.resolve() });
    await view.end();
    expect(live.end).not.toHaveBeenCalled();
  });
});
