/**
 * PoolManager's recovery on the real PostgreSQL: replacing a dead pool without dropping work, and
 * never reusing a connection after a prepared-statement conflict (what a transaction pooler
 * causes when it hands a transaction to a backend that lacks, or already has, a named statement).
 */
import type { INestApplicationContext } from '@nestjs/common';
import { type Kysely, sql } from 'kysely';
import type pg from 'pg';
import {
  type CheckpointerDatabase,
  PoolManager,
  RetryPolicy,
  getCheckpointerDbToken,
} from '../../../src/checkpointer';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import { eventually } from '../../support/eventually';
import { describeOnRealPostgres } from '../../support/real-postgres';

describeOnRealPostgres('PoolManager recovery', () => {
  const fixture = useCheckpointerDatabase('pools');
  let app: INestApplicationContext;

  async function boot(max: number) {
    app = await fixture.boot({ pool: { max } });
    return {
      pools: app.get(PoolManager),
      policy: app.get(RetryPolicy),
      db: app.get<Kysely<CheckpointerDatabase>>(getCheckpointerDbToken()),
    };
  }

  async function backendPid(client: pg.PoolClient): Promise<number> {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return rows[0].pid;
  }

  describe('PoolManager.recreate()', () => {
    it('hands waiting callers to the fresh pool and ends the old one once its work is done', async () => {
      const { pools, db } = await boot(1);
      const old = pools.pool;
      const busy = await old.connect(); // the only connection: the next caller waits
      try {
        const waiter = sql<{ one: number }>`SELECT 1 AS one`.execute(db);
        await eventually('the query waits for a connection', 2000, () => old.waitingCount === 1);

        expect(pools.recreate('test: connections look dead', pools.generation)).toBe(true);
        expect(pools.pool).not.toBe(old);
        expect(pools.generation).toBe(1);
        // The waiter is served by the fresh pool while the old one still has work checked out.
        await expect(waiter).resolves.toMatchObject({ rows: [{ one: 1 }] });
        expect(old.ending).toBe(true);
        expect(old.ended).toBe(false);
        await expect(busy.query('SELECT 2 AS two')).resolves.toMatchObject({ rows: [{ two: 2 }] });
      } finally {
        busy.release();
      }
      await eventually(
        'the old pool ended after its last connection came back',
        2000,
        () => old.ended,
      );
      // Kysely and the saver hold the borrowed pool: they follow the swap.
      await expect(sql`SELECT 1`.execute(db)).resolves.toBeDefined();
    });

    it('is single-flight: failures observed on an already replaced generation do not replace again', async () => {
      const { pools } = await boot(2);
      const observed = pools.generation;
      const results = [1, 2, 3].map(() => pools.recreate('many concurrent failures', observed));
      expect(results).toEqual([true, false, false]);
      expect(pools.generation).toBe(observed + 1);
    });

    it('does nothing once shutdown began, and shutdown waits for replaced pools', async () => {
      const { pools } = await boot(2);
      pools.recreate('before shutdown');
      const replaced = pools.generation;
      await fixture.close(app);
      expect(pools.recreate('after shutdown')).toBe(false);
      expect(pools.generation).toBe(replaced);
      expect(pools.pool.ended).toBe(true);
    });
  });

  describe('prepared-statement conflicts', () => {
    /**
     * One attempt that provokes `conflict` on its connection, releasing it as healthy afterwards,
     * as upstream PostgresSaver and Kysely do; then a clean second attempt.
     */
    async function runWithConflict(conflict: (client: pg.PoolClient) => Promise<unknown>) {
      const { pools, policy } = await boot(1); // one connection: reuse would be certain
      const pids: number[] = [];
      const result = await policy.run(
        async () => {
          const client = await pools.pool.connect();
          try {
            pids.push(await backendPid(client));
            if (pids.length === 1) await conflict(client);
            return 'done';
          } finally {
            client.release();
          }
        },
        { idempotent: true, operation: 'test.conflict' },
      );
      return { result, pids, retries: policy.retries };
    }

    it('26000 (statement missing on this backend): the connection is discarded, the retry gets a fresh one', async () => {
      const outcome = await runWithConflict(async (client) => {
        await client.query({ name: 'conflict_26000', text: 'SELECT 1' });
        // What a pooler does by switching backends: the server no longer has it; pg still thinks so.
        await client.query('DEALLOCATE conflict_26000');
        await client.query({ name: 'conflict_26000', text: 'SELECT 1' });
      });
      expect(outcome.result).toBe('done');
      expect(outcome.retries).toBe(1);
      expect(outcome.pids).toHaveLength(2);
      expect(outcome.pids[1]).not.toBe(outcome.pids[0]);
    });

    it('42P05 (statement already exists on this backend): the connection is discarded, the retry gets a fresh one', async () => {
      const outcome = await runWithConflict(async (client) => {
        await client.query('PREPARE conflict_42p05 AS SELECT 1');
        await client.query({ name: 'conflict_42p05', text: 'SELECT 1' });
      });
      expect(outcome.result).toBe('done');
      expect(outcome.retries).toBe(1);
      expect(outcome.pids[1]).not.toBe(outcome.pids[0]);
    });

    it('an ordinary error keeps the connection', async () => {
      const { pools } = await boot(1);
      const client = await pools.pool.connect();
      const pid = await backendPid(client);
      await expect(client.query('SELECT * FROM no_such_table')).rejects.toMatchObject({
        code: '42P01',
      });
      client.release();
      const again = await pools.pool.connect();
      expect(await backendPid(again)).toBe(pid);
      again.release();
    });
  });
});
