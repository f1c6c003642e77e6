import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { CHECKPOINTER_DEFAULTS, RetentionService } from '../../src/checkpointer';
import { chatGraph } from '../harness/chat-graph';
import {
  CHECKPOINT_TABLES,
  type TableBytes,
  checkpointRowCount,
  naivePrune,
  seedCheckpointHistory,
  tableBytes,
} from '../harness/checkpoint-history';
import { type BenchDatabase, createBenchDatabase } from '../harness/database';
import { count, factor, ms } from '../harness/format';
import { bootOurs, type SaverUnderTest, upstreamSaver } from '../harness/savers';
import type { BenchContext, Scenario, ScenarioResult } from '../harness/scenario';
import { summarize } from '../harness/stats';
import { timed } from '../harness/timing';
import { CheckpointChain } from '../harness/workload';

/** Checkpoints kept per namespace in the conversation with retention, and pruned every... */
const KEEP_IN_CONVERSATION = 5;
const PRUNE_EVERY_TURNS = 10;
/** Checkpoints kept per thread by the sweep of the big history. */
const KEEP_IN_HISTORY = 10;
/** Goal: `put` p95 during a sweep at most this many times its p95 idle. */
const PUT_GOAL = 1.5;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const total = (b: TableBytes) => b.checkpoints + b.checkpoint_blobs + b.checkpoint_writes;

/** A conversation of `turns` turns of the two-step chat graph on `saver`. */
async function converse(
  saver: BaseCheckpointSaver,
  turns: number,
  afterTurn: (turn: number) => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  const graph = chatGraph(saver);
  const config = { configurable: { thread_id: 'conversation' } };
  for (let turn = 1; turn <= turns; turn += 1) {
    await graph.invoke({ messages: [{ role: 'user', content: `question ${turn}` }] }, config);
    await afterTurn(turn);
  }
}

/** Storage after one long conversation: upstream, ours, ours pruning as a schedule would. */
async function storage(context: BenchContext, database: BenchDatabase, turns: number) {
  const results: { label: string; bytes: TableBytes }[] = [];
  const upstream = upstreamSaver(database.url, 'upstream');
  try {
    await (upstream.saver as unknown as { setup(): Promise<void> }).setup();
    context.progress(`storage: ${turns} turns on upstream`);
    await converse(upstream.saver, turns);
  } finally {
    await upstream.close();
  }
  for (const variant of ['plain', 'kept'] as const) {
    const schema = `ours_${variant}`;
    const ours = await bootOurs(database.url, schema, {
      retention:
        variant === 'kept' ? { keepLatestCheckpoints: KEEP_IN_CONVERSATION, intervalMs: 0 } : {},
    });
    try {
      context.progress(`storage: ${turns} turns on ours (${variant})`);
      const retention = ours.app.get(RetentionService);
      await converse(ours.saver, turns, async (turn) => {
        if (variant !== 'kept' || turn % PRUNE_EVERY_TURNS !== 0) return;
        await retention.sweep();
        // What autovacuum does between two sweeps: the space of deleted rows is reused.
        await database.query(`VACUUM ${CHECKPOINT_TABLES.map((t) => `${schema}.${t}`).join(', ')}`);
      });
    } finally {
      await ours.close();
    }
  }
  for (const schema of ['upstream', 'ours_plain', 'ours_kept']) {
    await database.query(`VACUUM ${CHECKPOINT_TABLES.map((t) => `${schema}.${t}`).join(', ')}`);
  }
  for (const [label, schema] of [
    ['upstream `PostgresSaver`', 'upstream'],
    ['ours, no retention', 'ours_plain'],
    [
      `ours, \`keepLatestCheckpoints: ${KEEP_IN_CONVERSATION}\` (swept every ${PRUNE_EVERY_TURNS} turns)`,
      'ours_kept',
    ],
  ] as const) {
    results.push({ label, bytes: await tableBytes(database, schema) });
  }
  const base = total(results[0].bytes);
  return {
    title: `Bytes after a ${turns}-turn conversation (pg_total_relation_size, after VACUUM)`,
    headers: ['saver', ...CHECKPOINT_TABLES, 'total', 'total vs upstream'],
    rows: results.map(({ label, bytes }) => [
      label,
      ...CHECKPOINT_TABLES.map((t) => mb(bytes[t])),
      mb(total(bytes)),
      factor(total(bytes) / base),
    ]),
  };
}

/** Times `put`s on a few active threads of `saver` until `stop()` is called. */
function putLoop(saver: BaseCheckpointSaver, tag: string) {
  const chains = Array.from(
    { length: 4 },
    (_, i) => new CheckpointChain(saver, `active-${tag}-${i}`, 3),
  );
  const samples: number[] = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i += 1)
      samples.push(await timed(() => chains[i % chains.length].put()));
  })();
  return {
    samples,
    async stop(): Promise<number[]> {
      running = false;
      await done;
      return samples;
    },
  };
}

/** Sweep throughput on a big history, and `put` latency idle, during our sweep, during the baseline's. */
async function sweep(context: BenchContext, database: BenchDatabase) {
  const size = context.quick
    ? { threads: 200, checkpointsPerThread: 50 }
    : { threads: 10_000, checkpointsPerThread: 100 };
  const checkpoints = size.threads * size.checkpointsPerThread;
  const opened: SaverUnderTest[] = [];
  try {
    const ours = await bootOurs(database.url, 'swept', {
      retention: { keepLatestCheckpoints: KEEP_IN_HISTORY, intervalMs: 0 },
    });
    opened.push(ours);
    opened.push(await bootOurs(database.url, 'naive'));
    await seedCheckpointHistory(database, 'swept', size, context.progress);
    await seedCheckpointHistory(database, 'naive', size, context.progress);

    const idleFor = context.quick ? 200 : 2_000;
    context.progress(`put idle: ${idleFor} puts`);
    const idle = putLoop(ours.saver, 'idle');
    while (idle.samples.length < idleFor) await new Promise((r) => setTimeout(r, 50));
    const idleSamples = await idle.stop();

    const rowsBefore = await checkpointRowCount(database, 'swept');
    context.progress(`our sweep of ${count(checkpoints)} checkpoints, puts running`);
    const during = putLoop(ours.saver, 'sweep');
    const retention = ours.app.get(RetentionService);
    let result: Awaited<ReturnType<RetentionService['sweep']>> | undefined;
    const oursMs = await timed(async () => (result = await retention.sweep()));
    const duringSamples = await during.stop();
    if (result?.status !== 'completed') throw new Error(`the sweep ended ${result?.status}`);
    // The sweep's own counts: the puts meanwhile add rows to the same tables.
    const oursRows =
      result.rows.checkpoints + result.rows.checkpoint_blobs + result.rows.checkpoint_writes;

    const naiveBefore = await checkpointRowCount(database, 'naive');
    context.progress('baseline: a hand-written set-based prune, puts running');
    const duringNaive = putLoop(ours.saver, 'naive');
    const naiveMs = await timed(() => naivePrune(database, 'naive', KEEP_IN_HISTORY));
    const naiveSamples = await duringNaive.stop();
    const naiveRows = naiveBefore - (await checkpointRowCount(database, 'naive'));

    const oursRate = oursRows / (oursMs / 1000);
    const naiveRate = naiveRows / (naiveMs / 1000);
    const p95 = {
      idle: summarize(idleSamples).p95,
      ours: summarize(duringSamples).p95,
      naive: summarize(naiveSamples).p95,
    };
    const putRatio = p95.ours / p95.idle;
    const { batchSize, batchPauseMs } = CHECKPOINTER_DEFAULTS.retention;
    const pausedMs =
      Math.floor((result.rows.checkpoints + size.threads) / batchSize) * batchPauseMs;
    const history = `${count(size.threads)} threads x ${size.checkpointsPerThread} checkpoints (${count(checkpoints)} checkpoints, ${count(rowsBefore)} rows), keep ${KEEP_IN_HISTORY}`;
    return {
      tables: [
        {
          title: `Sweep of ${history}`,
          headers: ['prune', 'rows deleted', 'time', 'rows/s', 'vs the baseline'],
          rows: [
            [
              'ours: `RetentionService.sweep()`, default pacing (100 ms pause per 500 checkpoints)',
              count(oursRows),
              ms(oursMs),
              count(oursRate),
              factor(oursRate / naiveRate),
            ],
            [
              'baseline: hand-written set-based DELETEs, one transaction',
              count(naiveRows),
              ms(naiveMs),
              count(naiveRate),
              factor(1),
            ],
          ],
        },
        {
          title: '`put` (3 channels) on 4 active threads of the same tables',
          headers: ['while', 'puts', 'median', 'p95', 'p95 vs idle'],
          rows: [
            [
              'idle',
              count(idleSamples.length),
              ms(summarize(idleSamples).median),
              ms(p95.idle),
              factor(1),
            ],
            [
              'our sweep runs',
              count(duringSamples.length),
              ms(summarize(duringSamples).median),
              ms(p95.ours),
              factor(putRatio),
            ],
            [
              'the baseline runs',
              count(naiveSamples.length),
              ms(summarize(naiveSamples).median),
              ms(p95.naive),
              factor(p95.naive / p95.idle),
            ],
          ],
        },
      ],
      notes: [
        `- About ${ms(pausedMs)} of our sweep's ${ms(oursMs)} are its pauses (\`retention.batchPauseMs\` ` +
          `after every \`retention.batchSize\` checkpoints deleted or threads read): without them ` +
          `it would delete about ${count(oursRows / Math.max(0.001, (oursMs - pausedMs) / 1000))} rows/s.`,
        `- Goal: \`put\` p95 during a sweep at most ${PUT_GOAL}x its p95 idle: ${putRatio <= PUT_GOAL ? 'MET' : 'NOT MET'} (${factor(putRatio)}).`,
        "- Ours prunes one thread per statement, each under the thread's EXCLUSIVE lock (a put to " +
          "that thread waits for at most one thread's prune), deciding on a fresh snapshot what to " +
          'keep (the latest of each namespace, DeltaChannel ancestors, pre-v4 pending sends) and ' +
          'deleting exactly the blobs no kept checkpoint references. The baseline does the same ' +
          'deletions in three set-based statements, with none of those guarantees.',
      ],
    };
  } finally {
    for (const saver of opened.reverse()) await saver.close();
  }
}

/** Issue 12: storage that stays bounded, and what keeping it bounded costs. */
export const retention: Scenario = {
  id: 'retention',
  number: 6,
  title: 'Retention: storage of a long conversation, sweep throughput, put latency during a sweep',
  baseline:
    'upstream `PostgresSaver` (no retention) for storage; a hand-written set-based prune for the sweep',
  async run(context): Promise<ScenarioResult> {
    const database = await createBenchDatabase(context.serverUrl, 'retention');
    try {
      const turns = context.quick ? 20 : 200;
      const bytes = await storage(context, database, turns);
      const swept = await sweep(context, database);
      return {
        tables: [bytes, ...swept.tables],
        notes: [
          `- Each turn of the chat graph stores 3 checkpoints, and every checkpoint whose messages ` +
            'changed stores the whole message list again: without retention the blobs grow with the ' +
            `square of the turns. With retention, a sweep every ${PRUNE_EVERY_TURNS} turns keeps the ` +
            `latest ${KEEP_IN_CONVERSATION} checkpoints; VACUUM (as autovacuum would) lets the tables ` +
            'reuse the space.',
          ...swept.notes,
        ],
      };
    } finally {
      await database.drop();
    }
  },
};
