import { TcpProxy } from '../../test/support/tcp-proxy';
import { type BenchDatabase, createBenchDatabase } from '../harness/database';
import { ms, ratio } from '../harness/format';
import { bootOurs, type SaverUnderTest, upstreamSaver } from '../harness/savers';
import type { Scenario, ScenarioResult } from '../harness/scenario';
import { statementsSentBy } from '../harness/statement-counter';
import { speedup, summarize } from '../harness/stats';
import { timed } from '../harness/timing';

const SCHEMA = 'bench';
const n = (value: number) => value.toLocaleString('en-US');
const CHECKPOINTS = 10_000;
/** A conversation of typical length, where round trips weigh more than the deletion itself. */
const SHORT_THREAD = 20;

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

/** One timed deletion of a freshly seeded thread, on clean (vacuumed) tables, pool warm. */
async function deleteOnce(
  database: BenchDatabase,
  who: SaverUnderTest,
  threadId: string,
  checkpoints: number,
): Promise<number> {
  await seedThread(database, threadId, checkpoints);
  await database.query(
    `VACUUM ANALYZE ${SCHEMA}.checkpoints, ${SCHEMA}.checkpoint_blobs, ${SCHEMA}.checkpoint_writes`,
  );
  // A connection in the pool, as in a running application: the deletion alone is timed.
  await who.saver.getTuple({ configurable: { thread_id: 'no-such-thread' } });
  const elapsed = await timed(() => who.saver.deleteThread(threadId));
  const left = await rowsOf(database, threadId);
  if (left !== 0) throw new Error(`deleteThread left ${left} rows of ${threadId}`);
  return elapsed;
}

/** Deletions of fresh threads by ours and upstream, alternating which goes first. */
async function deletions(
  database: BenchDatabase,
  savers: { ours: SaverUnderTest; upstream: SaverUnderTest },
  plan: { checkpoints: number; reps: number; path: string },
  progress: (line: string) => void,
): Promise<{ ours: number[]; upstream: number[] }> {
  const { checkpoints, reps, path } = plan;
  const samples = { ours: [] as number[], upstream: [] as number[] };
  progress(`${path}, threads of ${checkpoints} checkpoints: ${reps} rounds`);
  for (let r = 0; r < reps; r += 1) {
    const order = r % 2 === 0 ? (['ours', 'upstream'] as const) : (['upstream', 'ours'] as const);
    for (const who of order) {
      const victim = `victim-${path}-${checkpoints}-${who}-${r}`;
      samples[who].push(await deleteOnce(database, savers[who], victim, checkpoints));
    }
  }
  return samples;
}

/** Issue 6, bench 4: `deleteThread` of a thread with 10,000 checkpoints. */
export const deleteThread: Scenario = {
  id: 'delete',
  number: 4,
  title: `deleteThread of a thread with ${CHECKPOINTS.toLocaleString('en-US')} checkpoints`,
  baseline: 'upstream `PostgresSaver.deleteThread` on the same database and schema',
  async run(context): Promise<ScenarioResult> {
    const database = await createBenchDatabase(context.serverUrl, 'delete');
    const target = new URL(database.url);
    const proxy = await TcpProxy.start({
      host: target.hostname,
      port: Number(target.port || 5432),
    });
    const opened: SaverUnderTest[] = [];
    try {
      const direct = {
        ours: await bootOurs(database.url, SCHEMA),
        upstream: upstreamSaver(database.url, SCHEMA),
      };
      opened.push(direct.ours, direct.upstream);
      proxy.latencyMs = 1;
      const proxied = proxy.urlFor(database.url);
      const remote = {
        ours: await bootOurs(proxied, SCHEMA),
        upstream: upstreamSaver(proxied, SCHEMA),
      };
      opened.push(remote.ours, remote.upstream);

      context.progress('seeding 200 other threads of 50 checkpoints');
      for (let t = 0; t < 200; t += 1) await seedThread(database, `other-${t}`, 50);
      const cases = [
        { checkpoints: CHECKPOINTS, reps: context.quick ? 1 : 7 },
        { checkpoints: SHORT_THREAD, reps: context.quick ? 2 : 25 },
      ];
      const connections = [
        { path: 'loopback', savers: direct },
        { path: 'through a TCP proxy adding 1 ms each way', savers: remote },
      ];
      await seedThread(database, 'counted', 10);
      const statements = [
        (await statementsSentBy(() => direct.ours.saver.deleteThread('counted'))).length,
        (await statementsSentBy(() => direct.upstream.saver.deleteThread('counted'))).length,
      ];
      const rows: string[][] = [];
      for (const { checkpoints, reps } of cases) {
        for (const { path, savers } of connections) {
          const samples = await deletions(
            database,
            savers,
            { checkpoints, reps, path },
            context.progress,
          );
          const o = summarize(samples.ours);
          const b = summarize(samples.upstream);
          rows.push([
            `${n(checkpoints)} checkpoints, ${n(checkpoints * 3)} blobs, ${n(checkpoints * 2)} writes`,
            path,
            String(reps),
            ms(o.median),
            ms(o.p95),
            ms(b.median),
            ms(b.p95),
            ratio(speedup(o.median, b.median, 'lower')),
            `${statements[0]} / ${statements[1]}`,
          ]);
        }
      }
      return {
        tables: [
          {
            title: 'One deletion, ours and upstream alternating',
            headers: [
              'thread',
              'connection',
              'deletions each',
              'ours median',
              'ours p95',
              'upstream median',
              'upstream p95',
              'speed-up (median)',
              'statements ours / upstream',
            ],
            rows,
          },
        ],
        notes: [
          'Each deletion removes a freshly seeded thread from tables also holding 200 other threads ' +
            '(10,000 checkpoints), vacuumed before each deletion, with a connection ready in the ' +
            'pool (as in a running application); ours and upstream alternate. ' +
            'Upstream checks out a client and sends BEGIN, three DELETEs and COMMIT; ours sends the ' +
            'same three DELETEs as data-modifying CTEs of one statement (`deleteThreadStatement` in ' +
            '`src/checkpointer/saver/write-statements.ts`). Both delete the same rows, so on loopback ' +
            'a long thread costs mostly the deletion itself (a ratio away from 1 there is mostly ' +
            'noise); a conversation of typical length, and any thread through the proxy ' +
            '(`test/support/tcp-proxy.ts`), shows the four round trips saved.',
        ],
      };
    } finally {
      for (const saver of opened.reverse()) await saver.close();
      await proxy.close();
      await database.drop();
    }
  },
};
