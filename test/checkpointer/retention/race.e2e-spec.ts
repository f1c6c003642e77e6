/**
 * Prunes and sweeps racing real graphs: no interleaving of prune/sweep with put, putWrites,
 * getTuple and deletions loses a blob a kept checkpoint needs or leaves a checkpoint unreadable.
 * Every kept checkpoint is read back at the end, and the conversations are compared with the
 * same ones run on LangGraph's `MemorySaver`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BaseCheckpointSaver,
  type Checkpoint,
  MemorySaver,
  emptyCheckpoint,
  uuid6,
} from '@langchain/langgraph-checkpoint';
import pg from 'pg';
import {
  RetentionService,
  StaleCheckpointError,
  ThreadDeletedError,
  ThreadService,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import { THREAD_WRITE_LOCK } from '../../../src/checkpointer/schema/thread-lifecycle.migration';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import { eventually } from '../../support/eventually';
import { describeOnRealPostgres } from '../../support/real-postgres';
import {
  type AgentGraph,
  agentGraph,
  agentTurn,
  comparable,
  danglingReferences,
  orphanWrites,
} from '../../support/retention-graphs';

const SCHEMA = 'agents';
const ALICE = 'alice@example.com';
const ROUNDS = 4;
const THREADS = 5;
const TURNS = 4;

describeOnRealPostgres('retention racing the graphs', () => {
  const fixture = useCheckpointerDatabase('retention_race', { schema: SCHEMA });

  it('a put waiting on a prune re-inserts a blob the prune deleted (ON CONFLICT DO NOTHING race)', async () => {
    const app = await fixture.boot({ retention: { intervalMs: 0 } });
    const saver = app.get<BaseCheckpointSaver>(getCheckpointerToken());
    const at = (checkpoint_id?: string) => ({
      configurable: { thread_id: 'conflict', checkpoint_ns: '', checkpoint_id },
    });
    const checkpoint = (version: number, value: string): Checkpoint => ({
      ...emptyCheckpoint(),
      id: uuid6(-1),
      channel_values: { messages: [value] },
      channel_versions: { messages: version },
    });
    const meta = { source: 'loop' as const, step: 1, parents: {} };
    // Upstream's integer versions repeat across forks: P3 writes version 1 again, which only the
    // checkpoint about to be pruned (P1) references.
    const p1 = await saver.put(at(), checkpoint(1, 'one'), meta, { messages: 1 });
    const p2 = await saver.put(p1, checkpoint(2, 'two'), meta, { messages: 2 });

    const pruner = new pg.Client({ connectionString: fixture.database.url });
    await pruner.connect();
    try {
      await pruner.query('BEGIN');
      // The prune decides and deletes P1 and blob (messages, 1), and has not committed yet.
      const { rows } = await pruner.query(
        `SELECT * FROM ${SCHEMA}.checkpointer_prune_thread('conflict', 1, NULL, NULL, false)`,
      );
      expect(rows[0]).toMatchObject({ checkpoints: 1, checkpoint_blobs: 1 });
      // A put arriving now waits for the prune's commit...
      const p3 = checkpoint(1, 'one again');
      let stored = false;
      const put = saver.put(p2, p3, meta, { messages: 1 }).then((config) => {
        stored = true;
        return config;
      });
      await eventually('the put waits on the thread lock', 5_000, async () => {
        const waiting = await fixture.database.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
             AND classid = hashtext($1)::oid`,
          [THREAD_WRITE_LOCK],
        );
        return Number(waiting.rows[0].n) === 1;
      });
      expect(stored).toBe(false);
      await pruner.query('COMMIT');
      // ...and then inserts the blob again instead of finding it there: P3 reads back whole.
      const config = await put;
      const tuple = await saver.getTuple(config);
      expect(tuple?.checkpoint.channel_values).toEqual({ messages: ['one again'] });
      expect(await saver.getTuple(p1)).toBeUndefined();
      expect(await danglingReferences(fixture.database, SCHEMA)).toEqual([]);
    } finally {
      await pruner.end();
    }
  });

  it(`${ROUNDS} rounds: prunes and sweeps racing ${THREADS} conversations, deletions and resets`, async () => {
    const app = await fixture.boot({
      pool: { max: 16 },
      retention: { keepLatestCheckpoints: 1, intervalMs: 0, batchPauseMs: 0, batchSize: 3 },
    });
    const saver = app.get<BaseCheckpointSaver>(getCheckpointerToken());
    const retention = app.get(RetentionService);
    const threads = app.get(ThreadService);
    const outcomes = { prunes: 0, sweeps: 0, reads: 0, deleted: 0, resets: 0, staleRefused: 0 };

    for (let round = 0; round < ROUNDS; round += 1) {
      // THREADS conversations of ThreadService, the last of which is deleted midway, and one
      // bare conversation reset (PostgresCheckpointer.deleteThread) while it runs.
      const ids: string[] = [];
      for (let i = 0; i < THREADS; i += 1) ids.push((await threads.createThread(ALICE)).threadId);
      const doomed = ids[THREADS - 1];
      const bare = `bare-${round}`;
      const ours = agentGraph(saver);
      const reference = new Map<string, AgentGraph>();
      let writing = true;

      const converse = async (threadId: string) => {
        const config = { configurable: { thread_id: threadId } };
        const mirror = agentGraph(new MemorySaver());
        reference.set(threadId, mirror);
        for (let turn = 0; turn < TURNS; turn += 1) {
          if (threadId !== bare) {
            await threads.recordRun({ userEmail: ALICE, threadId, prompt: `q${turn}` });
          }
          await agentTurn(ours, config, `q${turn}`);
          await agentTurn(mirror, config, `q${turn}`);
        }
      };
      const writers = Promise.allSettled([...ids, bare].map(converse)).then((settled) => {
        writing = false;
        return settled;
      });

      const hammer = async (work: () => Promise<unknown>) => {
        while (writing) {
          await work();
          await sleep(Math.random() * 5);
        }
      };
      const everyone = [...ids, bare];
      const pick = () => everyone[Math.floor(Math.random() * everyone.length)];
      await Promise.all([
        writers,
        hammer(async () => {
          await retention.prune(pick(), { keepLatest: 1 + Math.floor(Math.random() * 2) });
          outcomes.prunes += 1;
        }),
        hammer(async () => {
          expect((await retention.sweep()).status).toBe('completed');
          outcomes.sweeps += 1;
        }),
        hammer(async () => {
          // Whatever moment it reads, the latest checkpoint is whole: its values are all there.
          const tuple = await saver.getTuple({ configurable: { thread_id: pick() } });
          if (tuple !== undefined && 'messages' in tuple.checkpoint.channel_versions) {
            expect(Array.isArray(tuple.checkpoint.channel_values.messages)).toBe(true);
          }
          outcomes.reads += 1;
        }),
        (async () => {
          await sleep(150 + Math.random() * 200);
          await threads.deleteThread(ALICE, doomed);
          outcomes.deleted += 1;
        })(),
        (async () => {
          await sleep(100 + Math.random() * 300);
          await saver.deleteThread(bare);
          outcomes.resets += 1;
        })(),
      ]);

      const settled = await writers;
      settled.forEach((outcome, i) => {
        const threadId = everyone[i];
        if (outcome.status === 'fulfilled') return;
        // The deleted thread's writer ends with ThreadDeletedError, a reset one may find its
        // base gone; no other conversation fails.
        if (threadId === doomed) expect(outcome.reason).toBeInstanceOf(ThreadDeletedError);
        else if (threadId === bare) {
          expect(outcome.reason).toBeInstanceOf(StaleCheckpointError);
          outcomes.staleRefused += 1;
        } else throw outcome.reason;
      });

      // The deleted thread is gone; the others end exactly as on MemorySaver, and so does every
      // checkpoint kept of them (matched by step).
      const { rows: left } = await fixture.database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${SCHEMA}.checkpoints WHERE thread_id = $1`,
        [doomed],
      );
      expect(left[0].n).toBe(0);
      for (const threadId of ids.slice(0, -1)) {
        const config = { configurable: { thread_id: threadId } };
        const mirror = reference.get(threadId)!;
        expect(comparable(await ours.getState(config, { subgraphs: true }))).toEqual(
          comparable(await mirror.getState(config, { subgraphs: true })),
        );
        const byStep = new Map<number | undefined, unknown>();
        for await (const snapshot of mirror.getStateHistory(config)) {
          byStep.set(snapshot.metadata?.step, snapshot.values);
        }
        for await (const snapshot of ours.getStateHistory(config)) {
          expect(snapshot.values).toEqual(byStep.get(snapshot.metadata?.step));
        }
      }
    }

    // Every checkpoint left, of every thread and namespace, reads back whole.
    const { rows } = await fixture.database.query<{
      thread_id: string;
      checkpoint_ns: string;
      checkpoint_id: string;
    }>(`SELECT thread_id, checkpoint_ns, checkpoint_id FROM ${SCHEMA}.checkpoints`);
    expect(rows.length).toBeGreaterThan(ROUNDS * THREADS);
    for (const row of rows) {
      const tuple = await saver.getTuple({ configurable: { ...row } });
      expect(tuple?.config.configurable?.checkpoint_id).toBe(row.checkpoint_id);
    }
    expect(await danglingReferences(fixture.database, SCHEMA)).toEqual([]);
    // A step's writes may still be on their way when the next checkpoint is stored: a prune
    // then may delete their checkpoint first, and the next prune deletes them.
    for (const { thread_id } of (
      await fixture.database.query<{ thread_id: string }>(
        `SELECT DISTINCT thread_id FROM ${SCHEMA}.checkpoints`,
      )
    ).rows) {
      await retention.prune(thread_id, { keepLatest: 1 });
    }
    expect(await orphanWrites(fixture.database, SCHEMA, 'bare-')).toBe(0);
    // The race was really run.
    expect(outcomes.prunes).toBeGreaterThan(ROUNDS * 5);
    expect(outcomes.sweeps).toBeGreaterThan(ROUNDS * 2);
    expect(outcomes.deleted).toBe(ROUNDS);
    expect(outcomes.resets).toBe(ROUNDS);
    process.stdout.write(`race outcomes: ${JSON.stringify(outcomes)}\n`);
  }, 240_000);
});
