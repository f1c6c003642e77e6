import {
  type BaseCheckpointSaver,
  type Checkpoint,
  type CheckpointMetadata,
  MemorySaver,
} from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { type BenchDatabase, createBenchDatabase } from '../harness/database';
import { chatGraph } from '../harness/chat-graph';
import { count, ms, ratio } from '../harness/format';
import { findPgbench, pgbenchTps } from '../harness/pgbench';
import { bootOurs, upstreamSaver } from '../harness/savers';
import type { BenchContext, Scenario, ScenarioResult } from '../harness/scenario';
import { statementsSentBy } from '../harness/statement-counter';
import { type Summary, speedup, summarize } from '../harness/stats';

const SCHEMA = 'bench';
/** Turns per thread before a worker starts a new one, so state size stays bounded. */
const TURNS_PER_THREAD = 10;
const ANCHOR_SCRIPT =
  "INSERT INTO anchor (thread_id, payload) VALUES ('t' || :client_id, convert_to(repeat('x', 1000), 'UTF8'));\n";

/** LangGraph's in-memory saver, counting its checkpoints: the no-database reference. */
class CountingMemorySaver extends MemorySaver {
  checkpoints = 0;

  override put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
  ): Promise<RunnableConfig> {
    this.checkpoints += 1;
    return super.put(config, checkpoint, metadata);
  }
}

/** A saver in the race, and how many checkpoints it has stored so far. */
interface Contender {
  readonly name: string;
  readonly saver: BaseCheckpointSaver;
  checkpoints(): Promise<number>;
}

interface Round {
  readonly checkpointsPerSecond: number;
  readonly invokeMs: number[];
}

/** `concurrency` workers invoking the graph back to back for `seconds`. */
async function round(
  contender: Contender,
  label: string,
  concurrency: number,
  seconds: number,
): Promise<Round> {
  const graph = chatGraph(contender.saver);
  const before = await contender.checkpoints();
  const invokeMs: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let turn = 0; performance.now() < deadline; turn += 1) {
        const thread = `${label}-w${worker}-t${Math.floor(turn / TURNS_PER_THREAD)}`;
        const t0 = performance.now();
        await graph.invoke(
          { messages: [{ role: 'user', content: `turn ${turn}` }] },
          { configurable: { thread_id: thread } },
        );
        invokeMs.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    checkpointsPerSecond: ((await contender.checkpoints()) - before) / elapsed,
    invokeMs,
  };
}

/** Statements the pg driver sends for one typical turn (existing thread) with `saver`. */
async function statementsPerTurn(saver: BaseCheckpointSaver, thread: string): Promise<number> {
  const graph = chatGraph(saver);
  const turn = () =>
    graph.invoke(
      { messages: [{ role: 'user', content: 'hi' }] },
      { configurable: { thread_id: thread } },
    );
  await turn();
  return (await statementsSentBy(turn)).length;
}

/** Rounds of every contender, in rotating order so load drifts hit all alike. */
async function race(
  context: BenchContext,
  contenders: readonly Contender[],
  concurrency: number,
  rounds: number,
  seconds: number,
): Promise<Map<string, Round[]>> {
  const results = new Map<string, Round[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r += 1) {
    context.progress(`${concurrency} concurrent: round ${r + 1}/${rounds}`);
    for (let k = 0; k < contenders.length; k += 1) {
      const contender = contenders[(r + k) % contenders.length];
      const label = `${contender.name}-c${concurrency}-r${r}`;
      results.get(contender.name)!.push(await round(contender, label, concurrency, seconds));
    }
  }
  return results;
}

async function pgbenchMedian(
  context: BenchContext,
  database: BenchDatabase,
  concurrency: number,
  rounds: number,
  seconds: number,
): Promise<Summary> {
  const binary = findPgbench();
  const tps: number[] = [];
  for (let r = 0; r < rounds; r += 1) {
    context.progress(`${concurrency} concurrent: pgbench round ${r + 1}/${rounds}`);
    tps.push(await pgbenchTps(binary, database.url, ANCHOR_SCRIPT, concurrency, seconds));
  }
  return summarize(tps);
}

/** Issue 6, bench 2: graph throughput at 16 and 32 concurrent invocations, pgbench as the anchor. */
export const throughput: Scenario = {
  id: 'throughput',
  number: 2,
  title: 'Throughput: concurrent graph invocations',
  baseline:
    'upstream `PostgresSaver` 1.0.5 (same graph, same pool size); `pgbench` one-statement write ' +
    "transactions as the server's ceiling; LangGraph's `MemorySaver` as the no-database ceiling",
  async run(context): Promise<ScenarioResult> {
    const database = await createBenchDatabase(context.serverUrl, 'throughput');
    const rounds = context.quick ? 1 : 5;
    const seconds = context.quick ? 1 : 4;
    const ours = await bootOurs(database.url, SCHEMA, { pool: { max: 32 } });
    const upstream = upstreamSaver(database.url, SCHEMA, 32);
    const memory = new CountingMemorySaver();
    const rowCount = async () =>
      Number(
        (await database.query<{ n: string }>(`SELECT count(*) AS n FROM ${SCHEMA}.checkpoints`))
          .rows[0].n,
      );
    const contenders: Contender[] = [
      { name: 'ours', saver: ours.saver, checkpoints: rowCount },
      { name: 'upstream', saver: upstream.saver, checkpoints: rowCount },
      { name: 'memory', saver: memory, checkpoints: () => Promise.resolve(memory.checkpoints) },
    ];
    const rows: string[][] = [];
    try {
      const perTurn = [
        await statementsPerTurn(ours.saver, 'count-ours'),
        await statementsPerTurn(upstream.saver, 'count-upstream'),
      ];
      await database.query(
        'CREATE TABLE anchor (id bigserial PRIMARY KEY, thread_id text NOT NULL, payload bytea NOT NULL)',
      );
      for (const concurrency of [16, 32]) {
        const results = await race(context, contenders, concurrency, rounds, seconds);
        const rate = (name: string) =>
          summarize(results.get(name)!.map((x) => x.checkpointsPerSecond)).median;
        const p95 = (name: string) => summarize(results.get(name)!.flatMap((x) => x.invokeMs)).p95;
        const anchor = (await pgbenchMedian(context, database, concurrency, rounds, seconds))
          .median;
        rows.push([
          String(concurrency),
          count(rate('ours')),
          count(rate('upstream')),
          ratio(speedup(rate('ours'), rate('upstream'), 'higher')),
          ms(p95('ours')),
          ms(p95('upstream')),
          count(rate('memory')),
          count(anchor),
        ]);
      }
      return {
        tables: [
          {
            title: `Checkpoints per second, median of ${rounds} rounds of ${seconds} s`,
            headers: [
              'concurrent invocations',
              'ours checkpoints/s',
              'upstream checkpoints/s',
              'speed-up',
              'ours invoke p95',
              'upstream invoke p95',
              'MemorySaver checkpoints/s',
              'pgbench tps',
            ],
            rows,
          },
        ],
        notes: [
          'One Node process runs every invocation of a two-node graph (`bench/harness/chat-graph.ts`; ' +
            `a new thread every ${TURNS_PER_THREAD} turns), both savers on a pool of 32, contenders in ` +
            'rotating order. Checkpoints/s counts rows added to `checkpoints`. ' +
            `Statements per turn: ours ${perTurn[0]}, upstream ${perTurn[1]}.`,
          '',
          "`MemorySaver` runs the same graph with no database: LangGraph's own cost in Node, the " +
            'ceiling for any saver in this process. `pgbench` (`INSERT` of a 1 kB row, one statement ' +
            'per transaction, extended protocol, 2 threads, same number of clients) is what the ' +
            'server takes when no Node work competes for the cores.',
        ],
      };
    } finally {
      await ours.close();
      await upstream.close();
      await database.drop();
    }
  },
};
