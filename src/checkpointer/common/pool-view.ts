import type pg from 'pg';

/**
 * A stand-in for a `pg.Pool`: every property and method is looked up on `live()` at call time
 * (so a pool swapped by `PoolManager.recreate()` is picked up), except those in `overrides`.
 * The one way this library hands a pool to code that must not own it, or must see it differently.
 *
 * @example poolView(() => manager.pool, { end: () => Promise.resolve() }) // end() is the owner's job
 */
export function poolView(
  live: () => pg.Pool,
  overrides: Partial<Pick<pg.Pool, 'query' | 'end'>>,
): pg.Pool {
  return new Proxy({} as pg.Pool, {
    get(_target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof typeof overrides];
      const pool = live();
      const value: unknown = Reflect.get(pool, property, pool);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(pool)
        : value;
    },
  });
}
