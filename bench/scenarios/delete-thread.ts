import { type BenchDatabase, createBenchDatabase } from '../harness/database';
import { ms, ratio } from '../harness/format';
import { bootOurs, type SaverUnderTest, upstreamSaver } from '../harness/savers';
import type { Scenario, ScenarioResult } from '../harness/scenario';
import { statementsSentBy } from '../harness/statement-counter';
import { speedup, summarize } from '../harness/stats';
import { timed } from '../harness/timing';

const SCHEMA = 'bench';
const CHECKPOINTS = 10_000;

/**
 * A thread of `checkpoints` checkpoints in upstream's format, written in three set-based
 * statements: 3 blobs (500 B) and 2 pending writes (300 B) per checkpoint.
 */
async function seedThread(
  database: BenchDatabase,
  threadId: string,
  checkpoints: number,
): Promise<void> {
  const id = `lpad(g::text, 12, '0')`;
  await database.query(
    `INSERT INTO ${SCHEMA}.checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
     SELECT $1, '', ${id}, CASE WHEN g > 1 THEN lpad((g - 1)::text, 12, '0') END,
            jsonb_build_object('v', 4, 'id', ${id}, 'ts', '2025-01-01T00:00:00.000Z', 'versions_seen', '{}'::jsonb,
              'channel_versions', jsonb_build_object('messages', g, 'summary', g, 'step', g)),
            jsonb_build_object('source', 'loop', 'step', g, 'parents', '{}'::jsonb)
       FROM generate_series(1, $2) g`,
    [threadId, checkpoints],
  );
  await database.query(
    `INSERT INTO ${SCHEMA}.checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
     SELECT $1, '', c, g::text, 'json', convert_to(repeat('b', 500), 'UTF8')
       FROM generate_series(1, $2) g, unnest(ARRAY['messages', 'summary', 'step']) c`,
    [threadId, checkpoints],
  );
  await database.query(
    `INSERT INTO ${SCHEMA}.checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob)
     SELECT $1, '', ${id}, 'task-' || g, i, 'messages', 'json', convert_to(repeat('w', 300), 'UTF8')
       FROM generate_series(1, $2) g, generate_series(0, 1) i`,
    [threadId, checkpoints],
  );
}

async function rowsOf(database: BenchDatabase, threadId: string): Promise<number> {
  const { rows } = await database.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM ${SCHEMA}.checkpoints WHERE thread_id = $1)
          + (SELECT count(*) FROM ${SCHEMA}.checkpoint_blobs WHERE thread_id = $1)
          + (SELECT count(*) FROM ${SCHEMA}.checkpoint_writes WHERE thread_id = $1) AS n`,
    [threadId],
  );
  return Number(rows[0].n);
}

/** One timed deletion of a freshly seeded thread, on clean (vacuumed) tables. */
async function deleteOnce(
  database: BenchDatabase,
  who: SaverUnderTest,
  threadId: string,
): Promise<number> {
  await seedThread(database, threadId, CHECKPOINTS);
  await database.query(
    `VACUUM ANALYZE ${SCHEMA}.checkpoints, ${SCHEMA}.checkpoint_blobs, ${SCHEMA}.checkpoint_writes`,
  );
  const elapsed = await timed(() => who.saver.deleteThread(threadId));
  const left = await rowsOf(database, threadId);
  if (left !== 0) throw new Error(`deleteThread left ${left} rows of ${threadId}`);
  return elapsed;
}

/** Issue 6, bench 4: `deleteThread` of a thread with 10,000 checkpoints. */
export const deleteThread: Scenario = {
  id: 'delete',
  number: 4,
  title: `deleteThread of a thread with ${CHECKPOINTS.toLocaleString('en-US')} checkpoints`,
  baseline: 'upstream `PostgresSaver.deleteThread` on the same database and schema',
  async run(context): Promise<ScenarioResult> {
    const database = await createBenchDatabase(context.serverUrl, 'delete');
    const reps = context.quick ? 1 : 7;
    const ours = await bootOurs(database.url, SCHEMA);
    const upstream = upstreamSaver(database.url, SCHEMA);
    try {
      context.progress('seeding 200 other threads of 50 checkpoints');
      for (let t = 0; t < 200; t += 1) await seedThread(database, `other-${t}`, 50);
      const samples = { ours: [] as number[], upstream: [] as number[] };
      for (let r = 0; r < reps; r += 1) {
        context.progress(`round ${r + 1}/${reps}`);
        const order =
          r % 2 === 0 ? (['ours', 'upstream'] as const) : (['upstream', 'ours'] as const);
        for (const who of order) {
          samples[who].push(
            await deleteOnce(database, who === 'ours' ? ours : upstream, `victim-${who}-${r}`),
          );
        }
      }
      await seedThread(database, 'counted', 10);
      const statements = [
        (await statementsSentBy(() => ours.saver.deleteThread('counted'))).length,
        (await statementsSentBy(() => upstream.saver.deleteThread('counted'))).length,
      ];
      const o = summarize(samples.ours);
      const b = summarize(samples.upstream);
      return {
        tables: [
          {
            title: `Loopback, ${reps} deletions each`,
            headers: [
              'thread',
              'ours median',
              'ours p95',
              'upstream median',
              'upstream p95',
              'speed-up (median)',
              'statements ours / upstream',
            ],
            rows: [
              [
                `${CHECKPOINTS.toLocaleString('en-US')} checkpoints, ${(CHECKPOINTS * 3).toLocaleString('en-US')} blobs, ${(CHECKPOINTS * 2).toLocaleString('en-US')} writes`,
                ms(o.median),
                ms(o.p95),
                ms(b.median),
                ms(b.p95),
                ratio(speedup(o.median, b.median, 'lower')),
                `${statements[0]} / ${statements[1]}`,
              ],
            ],
          },
        ],
        notes: [
          'Each deletion removes a freshly seeded thread from tables also holding 200 other threads ' +
            '(10,000 checkpoints), vacuumed before each deletion; ours and upstream alternate. Both run ' +
            "upstream's `deleteThread` (ours inherits it unchanged, 5 statements in a transaction), so " +
            'the figure is its cost, and any ratio away from 1.00 is measurement noise: it shows how ' +
            'much noise this machine had during the run.',
        ],
      };
    } finally {
      await ours.close();
      await upstream.close();
      await database.drop();
    }
  },
};
