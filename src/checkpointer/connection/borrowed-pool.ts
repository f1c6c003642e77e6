import type pg from 'pg';

/**
 * A stand-in for a `pg.Pool` that someone else owns. Every property and method is looked up on
 * the live pool at call time (so a pool swapped by `PoolManager.recreate()` is picked up), except
 * `end()`, which resolves without ending anything: the owner ends the pool, exactly once.
 */
export function createBorrowedPool(live: () => pg.Pool): pg.Pool {
  const endIsTheOwnersJob = (): Promise<void> => Promise.resolve();
  return new Proxy({} as pg.Pool, {
    get(_target, property) {
      if (property === 'end') return endIsTheOwnersJob;
      const pool = live();
      const value: unknown = Reflect.get(pool, property, pool);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(pool)
        : value;
    },
  });
}
