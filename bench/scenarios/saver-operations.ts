import type { BaseCheckpointSaver, CheckpointTuple } from '@langchain/langgraph-checkpoint';
import { createBenchDatabase } from '../harness/database';
import { TcpProxy } from '../../test/support/tcp-proxy';
import { type ResultTable, ms, ratio } from '../harness/format';
import { bootOurs, upstreamSaver } from '../harness/savers';
import type { BenchContext, Scenario, ScenarioResult } from '../harness/scenario';
import { statementsSentBy } from '../harness/statement-counter';
import { type Summary, speedup, summarizeRuns } from '../harness/stats';
import { type SamplingPlan, timeAlternately } from '../harness/timing';
import { CheckpointChain } from '../harness/workload';

/** One saver operation, bound to one saver. */
type Operation = () => Promise<unknown>;

interface Measured {
  readonly label: string;
  readonly ours: Summary;
  readonly baseline: Summary;
  readonly speedup: number;
  readonly statements: string;
}

const READ_THREAD = 'read-history';

/**
 * The operations of issue 6, bench 1, against `saver`. Writes go to threads of their own (`tag`
 * keeps ours and upstream's apart); reads all hit the same seeded thread, so both read the same
 * rows.
 */
async function operationsOf(
  saver: BaseCheckpointSaver,
  tag: string,
  readIds: readonly string[],
): Promise<Map<string, Operation>> {
  const chains = new Map<number, CheckpointChain>();
  for (const channels of [1, 3, 10]) {
    chains.set(channels, new CheckpointChain(saver, `put-${channels}-${tag}`, channels));
  }
  const writer = new CheckpointChain(saver, `writes-${tag}`, 3);
  await writer.put();
  const read = { configurable: { thread_id: READ_THREAD, checkpoint_ns: '' } };
  const drain = async () => {
    const tuples: CheckpointTuple[] = [];
    for await (const tuple of saver.list(read, { limit: 10 })) tuples.push(tuple);
    if (tuples.length !== 10) throw new Error(`list returned ${tuples.length} tuples, not 10`);
  };
  const getTuple = async (config: typeof read & { configurable: { checkpoint_id?: string } }) => {
    if ((await saver.getTuple(config)) === undefined) throw new Error('getTuple found nothing');
  };
  return new Map<string, Operation>([
    ['put, 1 channel', () => chains.get(1)!.put()],
    ['put, 3 channels', () => chains.get(3)!.put()],
    ['put, 10 channels', () => chains.get(10)!.put()],
    ['putWrites, 1 write', () => writer.putWrites(1)],
    ['putWrites, 5 writes', () => writer.putWrites(5)],
    ['getTuple, latest', () => getTuple(read)],
    [
      'getTuple, by id',
      () => getTuple({ configurable: { ...read.configurable, checkpoint_id: readIds[10] } }),
    ],
    ['list, limit 10', drain],
  ]);
}

/** Samples per run and how many runs: each run times every operation in turn. */
interface RunPlan {
  readonly runs: number;
  readonly warmup: number;
  readonly iterations: number;
}

/**
 * Times every operation, ours and upstream's alternately, in `plan.runs` runs that each go
 * through all operations, so a burst of load on the machine spoils one run of a few operations
 * rather than every sample of one.
 */
async function measure(
  context: BenchContext,
  ours: BaseCheckpointSaver,
  upstream: BaseCheckpointSaver,
  readIds: readonly string[],
  plan: RunPlan,
  network: string,
): Promise<Measured[]> {
  const mine = await operationsOf(ours, `ours-${network}`, readIds);
  const theirs = await operationsOf(upstream, `upstream-${network}`, readIds);
  const runs = new Map<string, { ours: number[][]; baseline: number[][] }>();
  const statements = new Map<string, string>();
  for (const [label, run] of mine) {
    const sent = [
      (await statementsSentBy(run)).length,
      (await statementsSentBy(theirs.get(label)!)).length,
    ];
    statements.set(label, `${sent[0]} / ${sent[1]}`);
    runs.set(label, { ours: [], baseline: [] });
  }
  for (let r = 0; r < plan.runs; r += 1) {
    context.progress(`${network}: run ${r + 1}/${plan.runs}`);
    for (const [label, run] of mine) {
      const sampling: SamplingPlan = { warmup: plan.warmup, iterations: plan.iterations };
      const samples = await timeAlternately(run, theirs.get(label)!, sampling);
      runs.get(label)!.ours.push(samples.ours);
      runs.get(label)!.baseline.push(samples.baseline);
    }
  }
  return [...mine.keys()].map((label) => {
    const o = summarizeRuns(runs.get(label)!.ours);
    const b = summarizeRuns(runs.get(label)!.baseline);
    return {
      label,
      ours: o,
      baseline: b,
      speedup: speedup(o.median, b.median, 'lower'),
      statements: statements.get(label)!,
    };
  });
}

function table(title: string, results: readonly Measured[]): ResultTable {
  return {
    title,
    headers: [
      'operation',
      'ours median',
      'ours p95',
      'upstream median',
      'upstream p95',
      'speed-up (median)',
      'statements ours / upstream',
    ],
    rows: results.map((r) => [
      r.label,
      ms(r.ours.median),
      ms(r.ours.p95),
      ms(r.baseline.median),
      ms(r.baseline.p95),
      ratio(r.speedup),
      r.statements,
    ]),
  };
}

/** The goals of issue 6, checked against this run: stated, never rounded in our favour. */
function verdicts(loopback: readonly Measured[], latency: readonly Measured[]): string[] {
  const put3 = (rs: readonly Measured[]) => rs.find((r) => r.label === 'put, 3 channels')!.speedup;
  const goal = (met: boolean, text: string) => `- ${met ? 'MET' : 'NOT MET'}: ${text}`;
  const slower = [
    ...loopback
      .filter((r) => r.speedup < 1)
      .map((r) => `${r.label} on loopback (${ratio(r.speedup)})`),
    ...latency.filter((r) => r.speedup < 1).map((r) => `${r.label} at 1 ms (${ratio(r.speedup)})`),
  ];
  return [
    '**Goals**',
    '',
    goal(
      put3(latency) >= 3,
      `put with 3 channels at least 3x faster at 1 ms each way: ${ratio(put3(latency))}`,
    ),
    goal(
      put3(loopback) >= 1.3,
      `put with 3 channels at least 1.3x faster on loopback: ${ratio(put3(loopback))}`,
    ),
    goal(
      slower.length === 0,
      `no operation slower than upstream: ${slower.length === 0 ? 'none slower' : `slower: ${slower.join('; ')}`}`,
    ),
    '',
    "Reads (`getTuple`, `list`) run upstream's code and SQL in both; ours decodes their `bytea[]` " +
      "results with `src/checkpointer/saver/fast-bytea-arrays.ts` instead of pg's generic array parser.",
  ];
}

/** Issue 6, bench 1: each saver operation, ours vs upstream, on loopback and at 1 ms each way. */
export const saverOperations: Scenario = {
  id: 'saver',
  number: 1,
  title: 'Saver operations',
  baseline: 'upstream `PostgresSaver` 1.0.5 on the same database and schema',
  async run(context): Promise<ScenarioResult> {
    const database = await createBenchDatabase(context.serverUrl, 'saver');
    const proxy = await TcpProxy.start({
      host: new URL(database.url).hostname,
      port: Number(new URL(database.url).port || 5432),
    });
    const opened: { close(): Promise<void> }[] = [];
    try {
      const schema = 'bench';
      const direct = await bootOurs(database.url, schema);
      opened.push(direct);
      const upstreamDirect = upstreamSaver(database.url, schema);
      opened.push(upstreamDirect);
      // 30 checkpoints of 3 channels, 2 pending writes each: the history both savers read.
      const history = new CheckpointChain(upstreamDirect.saver, READ_THREAD, 3);
      const readIds: string[] = [];
      for (let i = 0; i < 30; i += 1) {
        readIds.unshift(await history.put());
        await history.putWrites(2);
      }

      const quick = context.quick;
      const loopback = await measure(
        context,
        direct.saver,
        upstreamDirect.saver,
        readIds,
        quick ? { runs: 1, warmup: 5, iterations: 20 } : { runs: 5, warmup: 10, iterations: 100 },
        'loopback',
      );

      proxy.latencyMs = 1;
      const proxied = proxy.urlFor(database.url);
      const viaProxy = await bootOurs(proxied, schema);
      opened.push(viaProxy);
      const upstreamViaProxy = upstreamSaver(proxied, schema);
      opened.push(upstreamViaProxy);
      const latency = await measure(
        context,
        viaProxy.saver,
        upstreamViaProxy.saver,
        readIds,
        quick ? { runs: 1, warmup: 2, iterations: 10 } : { runs: 5, warmup: 3, iterations: 30 },
        'latency',
      );

      return {
        tables: [
          table('Loopback (127.0.0.1)', loopback),
          table('Through a TCP proxy adding 1 ms each way (`test/support/tcp-proxy.ts`)', latency),
        ],
        notes: [
          'Each figure is the latency of one call, ours and upstream timed alternately, in 5 runs ' +
            "that each time every operation in turn: the median of the 5 runs' medians, and the p95 " +
            'of all samples. Payload: a 20-message conversation (~7 kB JSON) plus small channels ' +
            '(~200 B). Reads hit a thread of 30 checkpoints with 2 pending writes each. ' +
            '"statements" counts what the pg driver sent for one call (BEGIN and COMMIT included).',
          '',
          ...verdicts(loopback, latency),
        ],
      };
    } finally {
      for (const resource of opened.reverse()) await resource.close();
      await proxy.close();
      await database.drop();
    }
  },
};
