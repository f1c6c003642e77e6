import type { INestApplicationContext } from '@nestjs/common';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import {
  SentimentService,
  ThreadService,
  ThreadTurns,
  getCheckpointerToken,
} from '../../src/checkpointer';
import { chatGraph } from '../harness/chat-graph';
import { createBenchDatabase } from '../harness/database';
import { count, factor, ms, ratio } from '../harness/format';
import { bootOurs } from '../harness/savers';
import type { BenchContext, Scenario, ScenarioResult } from '../harness/scenario';
import { statementsSentBy } from '../harness/statement-counter';
import { speedup, summarize } from '../harness/stats';
import { timeAlternately, timed } from '../harness/timing';

const SCHEMA = 'bench';
const OWNER = 'owner@example.com';
const OTHER = 'other@example.com';

/** A replica: the module booted on the shared database, and what a turn needs. */
interface Replica {
  readonly app: INestApplicationContext;
  readonly threads: ThreadService;
  readonly turns: ThreadTurns;
  readonly graph: ReturnType<typeof chatGraph>;
}

function replicaOf(app: INestApplicationContext): Replica {
  return {
    app,
    threads: app.get(ThreadService),
    turns: app.get(ThreadTurns),
    graph: chatGraph(app.get<BaseCheckpointSaver>(getCheckpointerToken())),
  };
}

/** A turn as the demo takes one, without the lock: record the run, run the graph. */
async function bareTurn(replica: Replica, threadId: string, prompt: string): Promise<void> {
  await replica.threads.recordRun({ userEmail: OWNER, threadId, prompt });
  await replica.graph.invoke(
    { messages: [{ role: 'user', content: prompt }] },
    { configurable: { thread_id: threadId } },
  );
}

/** The same turn inside the thread's turn lease. */
function lockedTurn(replica: Replica, threadId: string, prompt: string): Promise<void> {
  return replica.turns.run(OWNER, threadId, () => bareTurn(replica, threadId, prompt));
}

/** Prompts of acknowledged turns missing from the thread's final state (turns overwritten). */
async function lostTurns(replica: Replica, threadId: string, acknowledged: string[]) {
  const { values } = await replica.graph.getState({ configurable: { thread_id: threadId } });
  const said = new Set(
    (values as { messages: { content: string }[] }).messages.map((m) => m.content),
  );
  return acknowledged.filter((prompt) => !said.has(prompt)).length;
}

/** Two replicas, `workers` each, taking turns on ONE thread for `seconds`. */
async function twoReplicasOneThread(
  replicas: readonly Replica[],
  workers: number,
  seconds: number,
  locked: boolean,
): Promise<{ turnsPerSecond: number; lost: number; turns: number }> {
  const { threadId } = await replicas[0].threads.createThread(OWNER);
  const acknowledged: string[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    replicas.flatMap((replica, r) =>
      Array.from({ length: workers }, async (_, w) => {
        for (let i = 0; performance.now() < deadline; i += 1) {
          const prompt = `replica ${r} worker ${w} turn ${i}`;
          await (locked ? lockedTurn : bareTurn)(replica, threadId, prompt);
          acknowledged.push(prompt);
        }
      }),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    turnsPerSecond: acknowledged.length / elapsed,
    lost: await lostTurns(replicas[0], threadId, acknowledged),
    turns: acknowledged.length,
  };
}

/** Milliseconds until `fn` rejects (it must). */
async function rejectionMs(fn: () => Promise<unknown>): Promise<number> {
  return timed(() =>
    fn().then(
      () => {
        throw new Error('expected a refusal');
      },
      () => undefined,
    ),
  );
}

/** Issue 9: the cross-replica turn lease and the existence oracle. */
export const turns: Scenario = {
  id: 'turns',
  number: 7,
  title: 'One turn per thread across replicas',
  baseline:
    'the same turns without the lease (recordRun + invoke), which lets concurrent turns of one ' +
    'thread overwrite each other; for the oracle, a thread that does not exist',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const database = await createBenchDatabase(context.serverUrl, 'turns');
    const options = { pool: { max: 8 }, threads: { turnWaitMs: 120_000, maxTurnWaiters: 64 } };
    const a = await bootOurs(database.url, SCHEMA, options);
    const b = await bootOurs(database.url, SCHEMA, options);
    try {
      const [ra, rb] = [replicaOf(a.app), replicaOf(b.app)];
      const iterations = context.quick ? 20 : 400;

      // 1. What the lease costs one turn, uncontended: time and statements.
      context.progress('turns: the lease on an uncontended thread');
      const solo = (await ra.threads.createThread(OWNER)).threadId;
      await bareTurn(ra, solo, 'warm');
      let n = 0;
      const paired = timeAlternately(
        () => lockedTurn(ra, solo, `locked ${(n += 1)}`),
        () => bareTurn(ra, solo, `bare ${(n += 1)}`),
        { warmup: Math.ceil(iterations / 10), iterations },
      );
      const { ours: lockedMs, baseline: bareMs } = await paired;
      const lockedStatements = (await statementsSentBy(() => lockedTurn(ra, solo, 'count'))).length;
      const bareStatements = (await statementsSentBy(() => bareTurn(ra, solo, 'count'))).length;
      const locked = summarize(lockedMs);
      const bare = summarize(bareMs);

      // 2. Two replicas, one thread.
      const seconds = context.quick ? 1 : 8;
      const workers = 4;
      context.progress('turns: two replicas, one thread, with the lease');
      const withLease = await twoReplicasOneThread([ra, rb], workers, seconds, true);
      context.progress('turns: two replicas, one thread, without it');
      const without = await twoReplicasOneThread([ra, rb], workers, seconds, false);

      // 3. Another user's thread and a missing one: the same answer, at the same speed.
      context.progress('turns: another user’s thread against a missing one');
      const owned = (await ra.threads.createThread(OWNER)).threadId;
      await bareTurn(ra, owned, 'mine');
      const sentiments = a.app.get(SentimentService);
      const probes: [string, (id: string) => Promise<unknown>][] = [
        ['getThread', (id) => ra.threads.getThread(OTHER, id)],
        ['renameThread', (id) => ra.threads.renameThread(OTHER, id, 'x')],
        ['deleteThread', (id) => ra.threads.deleteThread(OTHER, id)],
        [
          'recordRun',
          (id) => ra.threads.recordRun({ userEmail: OTHER, threadId: id, prompt: 'x' }),
        ],
        ['getSentiments', (id) => sentiments.getSentiments(OTHER, id)],
        ['ThreadTurns.run', (id) => ra.turns.run(OTHER, id, () => Promise.resolve())],
      ];
      const oracleRows: string[][] = [];
      for (const [name, probe] of probes) {
        let missing = 0;
        const samples = await timeAlternately(
          () => rejectionMs(() => probe(owned)),
          () => rejectionMs(() => probe(`missing-${(missing += 1)}`)),
          { warmup: 20, iterations: context.quick ? 20 : 200 },
        );
        const others = summarize(samples.ours).median;
        const nobody = summarize(samples.baseline).median;
        oracleRows.push([name, ms(others), ms(nobody), factor(others / nobody)]);
      }

      return {
        tables: [
          {
            title: `What the lease costs one uncontended turn (median of ${iterations}, alternating)`,
            headers: ['', 'with the lease', 'without', 'ratio', 'statements with / without'],
            rows: [
              [
                'one turn (recordRun + a two-step graph)',
                ms(locked.median),
                ms(bare.median),
                ratio(speedup(locked.median, bare.median, 'lower')),
                `${lockedStatements} / ${bareStatements}`,
              ],
            ],
          },
          {
            title: `Two replicas, ${workers} workers each, one thread, ${seconds} s`,
            headers: ['', 'turns/s', 'turns acknowledged', 'lost from the conversation'],
            rows: [
              [
                'with the lease',
                count(withLease.turnsPerSecond),
                count(withLease.turns),
                count(withLease.lost),
              ],
              ['without', count(without.turnsPerSecond), count(without.turns), count(without.lost)],
            ],
          },
          {
            title:
              'Another user’s thread against a missing id: time to the same ThreadNotFoundError (medians)',
            headers: ['call', "another user's thread", 'missing id', 'ratio'],
            rows: oracleRows,
          },
        ],
        notes: [
          'Two application contexts on one database stand in for two replicas. "Lost" counts ' +
            'acknowledged turns whose prompt is not in the final state: without the lease, two ' +
            'turns of a thread build on the same checkpoint and one overwrites the other. The ' +
            'lease adds its statements (admission, take, give back) to each turn and serializes ' +
            "the thread's turns; turns of different threads never wait for each other.",
          '',
          'The oracle ratios should sit at 1.00x within noise: both answers come from the same ' +
            'statements.',
        ],
      };
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  },
};
