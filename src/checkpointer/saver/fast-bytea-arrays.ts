import pg from 'pg';
import { poolView } from '../common/pool-view';
import { preparable } from '../connection/prepared-statements';

/** OID of `bytea[]`, the type of every array upstream's read queries return (any dimensions). */
const BYTEA_ARRAY_OID = 1001;

/** A decoded `bytea[]`: Buffers, `null`s and nested arrays, as pg's own parser returns it. */
export type ByteaArray = (Buffer | null | ByteaArray)[];

/**
 * Decodes the text form of a `bytea[]` in PostgreSQL's default hex output (`{{"\\x6a73",NULL}}`),
 * or returns `undefined` for any other shape (escape output, explicit bounds), which the caller
 * hands to pg's own parser.
 *
 * Why: upstream reads channel values and pending writes as `bytea[][]` aggregates, and pg's
 * generic array parser walks them one character at a time. A `list` of 10 checkpoints is ~180 kB
 * of hex; parsing it took ~75% of the call. Here only the structure is scanned and each element's
 * hex is decoded natively by `Buffer.from(hex, 'hex')`: same result, about 4x faster.
 */
export function parseHexByteaArray(text: string): ByteaArray | undefined {
  let at = 0;
  const level = (): ByteaArray | undefined => {
    const items: ByteaArray = [];
    at += 1; // '{'
    if (text[at] === '}') {
      at += 1;
      return items;
    }
    for (;;) {
      if (text[at] === '{') {
        const nested = level();
        if (nested === undefined) return undefined;
        items.push(nested);
      } else if (text.startsWith('"\\\\x', at)) {
        const end = text.indexOf('"', at + 4);
        if (end < 0 || (end - at - 4) % 2 !== 0) return undefined;
        items.push(Buffer.from(text.slice(at + 4, end), 'hex'));
        at = end + 1;
      } else if (text.startsWith('NULL', at)) {
        items.push(null);
        at += 4;
      } else {
        return undefined;
      }
      if (text[at] === ',') at += 1;
      else if (text[at] === '}') {
        at += 1;
        return items;
      } else return undefined;
    }
  };
  if (text[0] !== '{') return undefined;
  const parsed = level();
  return parsed !== undefined && at === text.length ? parsed : undefined;
}

/** pg type parsers with the fast `bytea[]` decoder; every other type as pg parses it. */
export const FAST_BYTEA_ARRAY_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    const standard = pg.types.getTypeParser(oid, format ?? 'text') as (text: string) => unknown;
    if (oid !== BYTEA_ARRAY_OID || format === 'binary') return standard;
    return (text: string) => parseHexByteaArray(text) ?? standard(text);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * A view of `pool` whose `query(text, values)` decodes `bytea[]` results with
 * `parseHexByteaArray`, and marks each statement `preparable` (the pool may run it as a named
 * prepared statement); everything else (checkouts, events, counters) is the pool itself. Given
 * to upstream's read paths (`getTuple`, `list`), whose SQL and code stay untouched.
 */
export function withFastByteaArrays(pool: pg.Pool): pg.Pool {
  const query = (config: string | pg.QueryConfig, ...rest: unknown[]): unknown => {
    const callback = rest.find((arg) => typeof arg === 'function');
    const values = typeof config === 'string' && Array.isArray(rest[0]) ? rest[0] : undefined;
    const withTypes = preparable(
      typeof config === 'string'
        ? { text: config, values, types: FAST_BYTEA_ARRAY_TYPES }
        : { types: FAST_BYTEA_ARRAY_TYPES, ...config },
    );
    const run = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    return callback === undefined ? run(withTypes) : run(withTypes, callback);
  };
  return poolView(() => pool, { query: query as pg.Pool['query'] });
}
