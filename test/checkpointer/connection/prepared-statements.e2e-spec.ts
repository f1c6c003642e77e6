/**
 * Named prepared statements (`preparedStatements`): which statements are named, when, how many
 * per connection, and how each failure mode is survived: a statement deallocated behind pg's back
 * (26000), a name already taken on the backend (42P05), a plan gone stale after ALTER TABLE (0A000).
 */
import type { INestApplicationContext } from '@nestjs/common';
import {
  type BaseCheckpointSaver,
  type ChannelVersions,
  emptyCheckpoint,
  uuid6,
} from '@langchain/langgraph-checkpoint';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import {
  CHECKPOINTER_LOG_CONTEXT,
  CheckpointerModule,
  PoolManager,
  RetryPolicy,
  ThreadService,
  ThreadTurns,
  type CheckpointerDatabase,
  getCheckpointerDbToken,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import { frequentThreadStatements } from '../../../src/checkpointer/threads/frequent-statements';
import {
  PREPARED_SHAPES_PER_CONNECTION,
  preparable,
} from '../../../src/checkpointer/connection/prepared-statements';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import { threeStepGraph } from '../../support/graphs';
import { LogCapture } from '../../support/log-capture';
import { describeOnRealPostgres } from '../../support/real-postgres';

const SCHEMA = 'prepared';
const ALICE = 'alice@example.com';

/** The named statements of the pool's one connection (`pool.max: 1`), as the server has them. */
async function preparedOnServer(app: INestApplicationContext): Promise<string[]> {
  const { rows } = await app
    .get(PoolManager)
    .pool.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements');
  return rows.map((row) => row.statement);
}

function saverOf(app: INestApplicationContext): BaseCheckpointSaver {
  return app.get<BaseCheckpointSaver>(getCheckpointerToken());
}

/** One graph turn on `thread`. */
async function turn(app: INestApplicationContext, thread: string, text: string): Promise<string[]> {
  const state = await threeStepGraph(saverOf(app)).invoke(
    { messages: [text] },
    { configurable: { thread_id: thread } },
  );
  return state.messages;
}

function warningsAbout(logs: LogCapture, pattern: RegExp): string[] {
  return logs
    .of(CHECKPOINTER_LOG_CONTEXT)
    .filter((line) => line.level === 'warn' && pattern.test(line.message))
    .map((line) => line.message);
}

/** A checkpoint of `channels` channels on `thread`: a put statement of its own shape. */
async function putWithChannels(saver: BaseCheckpointSaver, thread: string, channels: number) {
  const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1) };
  const versions: ChannelVersions = {};
  for (let c = 0; c < channels; c += 1) {
    checkpoint.channel_values[`c${c}`] = `value ${c}`;
    versions[`c${c}`] = 1;
  }
  checkpoint.channel_versions = versions;
  await saver.put(
    { configurable: { thread_id: thread, checkpoint_ns: '' } },
    checkpoint,
    { source: 'update', step: -1, parents: {} },
    versions,
  );
}

describeOnRealPostgres('prepared statements', () => {
  const fixture = useCheckpointerDatabase('prepared', { schema: SCHEMA });

  describe('which statements are named', () => {
    it("'auto' on a direct connection names the saver's hot statements, the same ones every turn", async () => {
      const app = await fixture.boot({ pool: { max: 1 } });
      expect(app.get(CheckpointerModule).metrics().preparedStatements).toEqual({
        mode: 'auto',
        active: true,
        reason: 'direct connection: the backend key is the backend',
      });
      await turn(app, 'named-1', 'hello');
      const afterOne = await preparedOnServer(app);
      expect(afterOne.some((s) => /from "prepared"\.checkpoints cp/.test(s))).toBe(true); // getTuple
      expect(afterOne.some((s) => /INSERT INTO "prepared"\.checkpoints /.test(s))).toBe(true); // put
      expect(afterOne.some((s) => /INSERT INTO "prepared"\.checkpoint_writes/.test(s))).toBe(true);
      await turn(app, 'named-1', 'again');
      await turn(app, 'named-2', 'another thread');
      expect((await preparedOnServer(app)).sort()).toEqual(afterOne.sort());
    });

    it("names ThreadTurns' and ThreadService's frequent statements, and nothing else sent through Kysely", async () => {
      const app = await fixture.boot({ pool: { max: 1 } });
      const threads = app.get(ThreadService);
      const { threadId } = await threads.createThread(ALICE);
      await app.get(ThreadTurns).run(ALICE, threadId, async () => {
        await threads.recordRun({ userEmail: ALICE, threadId, prompt: 'hi' });
      });
      await threads.getThread(ALICE, threadId);
      await threads.listThreads(ALICE);
      await threads.countThreads(ALICE);
      const named = await preparedOnServer(app);
      // Admission, lease, recordRun, release, getThread, the first page, the count: each exactly
      // the text compiled at boot, and nothing else (createThread is not a frequent statement).
      const allowed = frequentThreadStatements(
        app.get<Kysely<CheckpointerDatabase>>(getCheckpointerDbToken()),
        SCHEMA,
      );
      expect(named).toHaveLength(7);
      for (const statement of named) expect(allowed).toContain(statement);
      expect(named.some((s) => s.includes('"prepared"."users_thread_turns"'))).toBe(true);
    });

    it("'off' names nothing", async () => {
      const app = await fixture.boot({ pool: { max: 1 }, preparedStatements: 'off' });
      await turn(app, 'unnamed', 'hello');
      expect(await preparedOnServer(app)).toEqual([]);
      expect(app.get(CheckpointerModule).metrics().preparedStatements.active).toBe(false);
    });

    it("'auto' with migrationConnectionString set takes the main target for a pooler: off", async () => {
      const app = await fixture.boot({
        pool: { max: 1 },
        migrationConnectionString: fixture.database.url,
      });
      await turn(app, 'declared-pooler', 'hello');
      expect(await preparedOnServer(app)).toEqual([]);
      expect(app.get(CheckpointerModule).metrics().preparedStatements).toMatchObject({
        active: false,
        reason: 'migrationConnectionString is set: the main target is a pooler',
      });
    });
  });

  describe('bounded', () => {
    it(`a connection names at most ${PREPARED_SHAPES_PER_CONNECTION} shapes, on both sides; the rest run unnamed`, async () => {
      const app = await fixture.boot({ pool: { max: 1 }, preparedStatements: 'on' });
      const pool = app.get(PoolManager).pool;
      for (let shape = 0; shape < 3 * PREPARED_SHAPES_PER_CONNECTION; shape += 1) {
        const { rows } = await pool.query<{ n: number }>(
          preparable({ text: `SELECT $1::int + ${shape} AS n`, values: [1] }),
        );
        expect(rows[0].n).toBe(1 + shape);
      }
      const client = (await pool.connect()) as pg.PoolClient & {
        namedStatements: number;
        connection: { parsedStatements: Record<string, string> };
      };
      try {
        expect(client.namedStatements).toBe(PREPARED_SHAPES_PER_CONNECTION);
        expect(Object.keys(client.connection.parsedStatements)).toHaveLength(
          PREPARED_SHAPES_PER_CONNECTION,
        );
        const { rows } = await client.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_prepared_statements',
        );
        expect(rows[0].n).toBe(PREPARED_SHAPES_PER_CONNECTION);
      } finally {
        client.release();
      }
    });

    it('checkpoints of 1 to 100 channels (100 put shapes) leave the backend at the cap', async () => {
      const app = await fixture.boot({ pool: { max: 1 }, preparedStatements: 'on' });
      const saver = saverOf(app);
      for (let channels = 1; channels <= 100; channels += 1) {
        await putWithChannels(saver, `wide-${channels}`, channels);
      }
      const named = await preparedOnServer(app);
      expect(named).toHaveLength(PREPARED_SHAPES_PER_CONNECTION);
      // Past the cap the writes still happen, unnamed.
      const { rows } = await fixture.database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${SCHEMA}.checkpoints WHERE thread_id LIKE 'wide-%'`,
      );
      expect(rows[0].n).toBe(100);
    });
  });

  describe('failure modes', () => {
    it('26000: a statement deallocated behind pg’s back turns naming off (one WARN) and runs again unnamed', async () => {
      const logs = new LogCapture();
      const app = await fixture.boot(
        { pool: { max: 1 }, preparedStatements: 'on', logger: true },
        { logger: logs },
      );
      const saver = saverOf(app);
      await putWithChannels(saver, 'dealloc', 2);
      const read = { configurable: { thread_id: 'dealloc', checkpoint_ns: '' } };
      await saver.getTuple(read);
      expect((await preparedOnServer(app)).length).toBeGreaterThan(0);
      // pg still believes its statements are prepared on this connection.
      await app.get(PoolManager).pool.query('DEALLOCATE ALL');

      const tuple = await saver.getTuple(read);
      expect(tuple?.checkpoint.channel_values).toEqual({ c0: 'value 0', c1: 'value 1' });
      expect(app.get(RetryPolicy).retries).toBe(0); // re-sent in place, not retried
      expect(app.get(CheckpointerModule).metrics().preparedStatements).toMatchObject({
        active: false,
        reason: expect.stringContaining('26000') as unknown,
      });
      await saver.getTuple(read);
      await putWithChannels(saver, 'dealloc', 2);
      // The conflicted connection was discarded; its successor names nothing.
      expect(await preparedOnServer(app)).toEqual([]);
      expect(warningsAbout(logs, /prepared statements: off/)).toHaveLength(1);
    });

    it('42P05: a name already prepared on the backend turns naming off (one WARN) and runs again unnamed', async () => {
      const logs = new LogCapture();
      const app = await fixture.boot(
        { pool: { max: 1 }, preparedStatements: 'on', logger: true },
        { logger: logs },
      );
      const saver = saverOf(app);
      const pools = app.get(PoolManager);
      await putWithChannels(saver, 'taken', 1);
      const read = { configurable: { thread_id: 'taken', checkpoint_ns: '' } };
      await saver.getTuple(read);
      const { rows } = await pools.pool.query<{ name: string }>(
        `SELECT name FROM pg_prepared_statements WHERE statement LIKE '%jsonb_each_text%'`,
      );
      expect(rows).toHaveLength(1);
      const getTupleName = rows[0].name;
      // A fresh connection, on whose backend someone else already prepared that name.
      const old = await pools.pool.connect();
      old.release(new Error('replace this connection'));
      const fresh = await pools.pool.connect();
      await fresh.query(`PREPARE "${getTupleName}" AS SELECT 1`);
      fresh.release();

      const tuple = await saver.getTuple(read);
      expect(tuple?.checkpoint.channel_values).toEqual({ c0: 'value 0' });
      expect(app.get(RetryPolicy).retries).toBe(0);
      expect(app.get(CheckpointerModule).metrics().preparedStatements).toMatchObject({
        active: false,
        reason: expect.stringContaining('42P05') as unknown,
      });
      await turn(app, 'taken-after', 'still works');
      expect(warningsAbout(logs, /prepared statements: off/)).toHaveLength(1);
    });

    it('0A000: after ALTER TABLE changes a result type, the stale plan is retried once on a fresh connection, and no other connection keeps it', async () => {
      const logs = new LogCapture();
      const app = await fixture.boot(
        { schema: 'stale', pool: { max: 2 }, preparedStatements: 'on', logger: true },
        { logger: logs },
      );
      const saver = saverOf(app);
      const pools = app.get(PoolManager);
      await putWithChannels(saver, 'stale', 1);
      const read = { configurable: { thread_id: 'stale', checkpoint_ns: '' } };
      // Both connections prepare getTuple's statement.
      const [a, b] = [await pools.pool.connect(), await pools.pool.connect()];
      a.release();
      b.release();
      for (let i = 0; i < 3; i += 1)
        await Promise.all([saver.getTuple(read), saver.getTuple(read)]);
      const holders = [await pools.pool.connect(), await pools.pool.connect()];
      for (const holder of holders) {
        const { rows } = await holder.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE '%jsonb_each_text%'`,
        );
        expect(rows[0].n).toBe(1);
      }
      for (const holder of holders) holder.release();

      await fixture.database.query(
        'ALTER TABLE stale.checkpoints ALTER COLUMN parent_checkpoint_id TYPE varchar',
      );
      for (let i = 0; i < 4; i += 1) {
        const tuple = await saver.getTuple(read);
        expect(tuple?.checkpoint.channel_values).toEqual({ c0: 'value 0' });
      }
      // One failure, retried on a fresh connection; the other stale connection was discarded
      // at checkout instead of failing too.
      expect(app.get(RetryPolicy).retries).toBe(1);
      expect(app.get(RetryPolicy).givenUp).toBe(0);
      expect(warningsAbout(logs, /cached plan went stale/)).toHaveLength(1);
      // Prepared statements stay on: a schema change is not a pooler.
      expect(app.get(CheckpointerModule).metrics().preparedStatements.active).toBe(true);
    });
  });
});
