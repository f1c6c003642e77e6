/**
 * The fast `bytea[]` decoding of our saver's reads, against the real server: every byte value,
 * hundreds of kilobytes, NULLs, both output formats; and the saver reads what upstream reads.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  parseHexByteaArray,
  withFastByteaArrays,
} from '../../../src/checkpointer/saver/fast-bytea-arrays';
import { createTestDatabase, type TestDatabase } from '../../support/database';

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase('fast_bytea');
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
});

afterAll(async () => {
  await pool.end();
  await database.drop();
});

const AGGREGATE = `SELECT array_agg(array[a, b, c]) AS agg FROM unnest($1::bytea[], $2::bytea[], $3::bytea[]) AS t(a, b, c)`;

describe('withFastByteaArrays', () => {
  it('reads bytea[][] aggregates exactly as pg does: every byte value, NULLs, empty and large values', async () => {
    const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const a = [everyByte, Buffer.alloc(0), randomBytes(64_000)];
    const b = [Buffer.from('json'), null, Buffer.from('"quoted", {braced}, back\\slash')];
    const c = [null, randomBytes(17), Buffer.from('NULL')];
    const values = [a, b, c];
    const expected = (await pool.query(AGGREGATE, values)).rows;
    const fast = await withFastByteaArrays(pool).query(AGGREGATE, values);
    expect(fast.rows).toEqual(expected);
    expect(fast.rows[0].agg[0][0]).toEqual(everyByte);
    expect(fast.rows[0].agg[1][1]).toBeNull();
    // The fast path itself decoded this (no fallback): the server's text is in its shape.
    const raw = await pool.query({
      text: AGGREGATE,
      values,
      types: { getTypeParser: () => String },
    });
    expect(parseHexByteaArray(raw.rows[0].agg)).toEqual(expected[0].agg);
  });

  it("falls back to pg's parser when the server sends bytea in escape format", async () => {
    // One transaction on one connection (so it holds through a transaction pooler too).
    const client = await pool.connect();
    try {
      await client.query(`BEGIN`);
      await client.query(`SET LOCAL bytea_output = 'escape'`);
      const values = [[Buffer.from([0, 1, 92, 255])], [Buffer.from('x')], [null]];
      const raw = await client.query({
        text: AGGREGATE,
        values,
        types: { getTypeParser: () => String },
      });
      expect(parseHexByteaArray(raw.rows[0].agg)).toBeUndefined(); // not hex: the fallback runs
      const expected = (await client.query(AGGREGATE, values)).rows;
      const fast = await withFastByteaArrays(client as unknown as pg.Pool).query(AGGREGATE, values);
      expect(expected[0].agg[0][0]).toEqual(Buffer.from([0, 1, 92, 255]));
      expect(fast.rows).toEqual(expected);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('is the pool itself for everything but query', async () => {
    const view = withFastByteaArrays(pool);
    const client = await view.connect();
    client.release();
    expect(view.totalCount).toBe(pool.totalCount);
    expect(await view.query({ text: 'SELECT $1::int AS n', values: [7] })).toMatchObject({
      rows: [{ n: 7 }],
    });
  });
});
