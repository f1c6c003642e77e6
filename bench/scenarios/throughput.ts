import {
  type BaseCheckpointSaver,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
  MemorySaver,
  type PendingWrite,
} from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  ConnectionProvider,
  PoolManager,
  ThreadService,
  ThreadTurns,
} from '../../src/checkpointer';
import { BackendCpu } from '../harness/backend-cpu';
import { type BenchDatabase, createBenchDatabase } from '../harness/database';
import { chatGraph } from '../harness/chat-graph';
import { count, factor, ms, ratio } from '../harness/format';
import { findPgbench, pgbenchTps } from '../harness/pgbench';
import { bootOurs, unixSocketUrl, upstreamSaver } from '../harness/savers';
import type { BenchContext, Scenario, ScenarioResult } from '../harness/scenario';
import { queriesSentBy } from '../harness/statement-counter';
import { type Summary, speedup, summarize } from '../harness/stats';

const SCHEMA = 'bench';
/** Turns per thread before a worker starts a new one, so state size stays bounded. */
const TURNS_PER_THREAD = 10;
const POOL_MAX = 32;
const ANCHOR_SCRIPT =
  "INSERT INTO anchor (thread_id, payload) VALUES ('t' || :client_id, convert_to(repeat('x', 1000), 'UTF8'));\n";
/** Issue 14's goal: ours (prepared) at 32 concurrent, as a share of `MemorySaver`'s rate. */
const CEILING_GOAL = 0.45;
/** Uncounted turns before each round: connections opened, statements prepared. */
const WARM_UP_SECONDS = 0.3;

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

/** Resolves on a later turn of the event loop, as a database's answer does. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * `MemorySaver` whose calls are sent and answered on later event-loop turns, like a round trip
 * to a database that costs nothing: what LangGraph itself costs once its saver does real I/O,
 * the ceiling for any database saver in this process.
 */
class DeferredMemorySaver extends CountingMemorySaver {
  override getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    return this.roundTrip(() => super.getTuple(config));
  }

  override put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
  ): Promise<RunnableConfig> {
    return this.roundTrip(() => super.put(config, checkpoint, metadata));
  }

  override putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
  ): Promise<void> {
    return this.roundTrip(() => super.putWrites(config, writes, taskId));
  }

  /** `work` sent on the next event-loop turn, and its answer received on the one after. */
  private async roundTrip<T>(work: () => Promise<T>): Promise<T> {
    await nextTurn();
    const answer = await work();
    await nextTurn();
    return answer;
  }
}

/** A saver in the race, how many checkpoints it has stored so far, and whose backends serve it. */
interface Contender {
  readonly name: ContenderName;
  saver(): BaseCheckpointSaver;
  checkpoints(): Promise<number>;
  /** `application_name` of its pool's backends; none for `MemorySaver`. */
  readonly applicationName: string | undefined;
  /**
   * Closes its pool's connections after its round: four pools of 32 kept open would pass the
   * server's `max_connections`. Within a round its pool keeps every connection it opened
   * (`min` = `max`), so the CPU of each backend is counted from start to end.
   */
  drain(): Promise<void>;
}

type ContenderName = 'prepared' | 'unprepared' | 'socket' | 'upstream' | 'memory' | 'deferred';

const LABELS: Readonly<Record<ContenderName, string>> = {
  prepared: 'ours, prepared (TCP)',
  unprepared: 'ours, unprepared (TCP)',
  socket: 'ours, prepared (Unix socket)',
  upstream: 'upstream (TCP)',
  memory: 'MemorySaver',
  deferred: 'MemorySaver, answering on a later event-loop turn',
};

interface Round {
  readonly checkpointsPerSecond: number;
  readonly invokeMs: number[];
  /** CPU per turn (one graph invocation), in ms: the backends serving the pool, and this process. */
  readonly postgresCpuMsPerTurn: number;
  readonly nodeCpuMsPerTurn: number;
}

/** `concurrency` workers invoking the graph back to back for `seconds`. */
async function round(
  contender: Contender,
  cpu: BackendCpu,
  label: string,
  concurrency: number,
  seconds: number,
): Promise<Round> {
  const graph = chatGraph(contender.saver());
  const names = contender.applicationName === undefined ? [] : [contender.applicationName];
  const before = await contender.checkpoints();
  const backendsBefore = await cpu.sample(names);
  const invokeMs: number[] = [];
  const nodeBefore = process.cpuUsage();
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
  const node = process.cpuUsage(nodeBefore);
  const backendsAfter = await cpu.sample(names);
  const turns = Math.max(1, invokeMs.length);
  return {
    checkpointsPerSecond: ((await contender.checkpoints()) - before) / elapsed,
    invokeMs,
    postgresCpuMsPerTurn: cpu.elapsedMs(backendsBefore, backendsAfter) / turns,
    nodeCpuMsPerTurn: (node.user + node.system) / 1000 / turns,
  };
}

/** Statements the pg driver sends for one typical turn (existing thread), and how many named. */
async function statementsPerTurn(
  saver: BaseCheckpointSaver,
  thread: string,
): Promise<{ sent: number; named: number }> {
  const graph = chatGraph(saver);
  const turn = () =>
    graph.invoke(
      { messages: [{ role: 'user', content: 'hi' }] },
      { configurable: { thread_id: thread } },
    );
  await turn();
  await turn();
  const sent = await queriesSentBy(turn);
  return { sent: sent.length, named: sent.filter((q) => q.name !== undefined).length };
}

/**
 * Rounds of every contender, in rotating order so load drifts hit all alike, after one uncounted
 * round of each. Each round is preceded by an uncounted warm-up (its pool's connections opened,
 * statements prepared) and followed by closing the pool's connections.
 */
async function race(
  context: BenchContext,
  cpu: BackendCpu,
  contenders: readonly Contender[],
  concurrency: number,
  rounds: number,
  seconds: number,
): Promise<Map<ContenderName, Round[]>> {
  // Once, uncounted, before any round: the JIT warms up on every contender's code, not on the
  // first one measured.
  for (const contender of contenders) {
    await round(contender, cpu, `${contender.name}-c${concurrency}-jit`, concurrency, 1);
    await contender.drain();
  }
  const results = new Map<ContenderName, Round[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r += 1) {
    context.progress(`${concurrency} concurrent: round ${r + 1}/${rounds}`);
    for (let k = 0; k < contenders.length; k += 1) {
      const contender = contenders[(r + k) % contenders.length];
      const label = `${contender.name}-c${concurrency}-r${r}`;
      await round(contender, cpu, `${label}-warm`, concurrency, WARM_UP_SECONDS);
      results.get(contender.name)!.push(await round(contender, cpu, label, concurrency, seconds));
      await contender.drain();
    }
  }
  return results;
}

/** Waits until no backend with `applicationName` is left (a drained pool's connections closing). */
async function backendsGone(database: BenchDatabase, applicationName: string): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 50) {
    const { rows } = await database.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    if (rows[0].n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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

/** What one chat turn as an application runs it costs, one turn at a time. */
interface ChatTurnCost {
  readonly statements: number;
  readonly named: number;
  readonly postgresCpuMs: number;
  readonly nodeCpuMs: number;
}

type Booted = Awaited<ReturnType<typeof bootOurs>>;

/**
 * A chat turn as the README's controller runs it: `ThreadTurns.run` (admission, lease, release)
 * around `recordRun` and the graph, on a thread created by `createThread` every 10 turns.
 */
function chatTurnsOf(booted: Booted): () => Promise<void> {
  const graph = chatGraph(booted.saver);
  const threads = booted.app.get(ThreadService);
  const turnsOf = booted.app.get(ThreadTurns);
  const user = 'capacity@example.com';
  let threadId = '';
  let n = 0;
  return async () => {
    if (n % TURNS_PER_THREAD === 0) threadId = (await threads.createThread(user)).threadId;
    n += 1;
    const prompt = `turn ${n}`;
    await turnsOf.run(user, threadId, async () => {
      await threads.recordRun({ userEmail: user, threadId, prompt });
      await graph.invoke(
        { messages: [{ role: 'user', content: prompt }] },
        { configurable: { thread_id: threadId } },
      );
    });
  };
}

/**
 * What a chat turn costs each of `apps`, one turn at a time (no queueing in the CPU figures):
 * both warmed up first, then their rounds interleaved, so neither pays for the JIT's warm-up.
 */
async function chatTurnCosts<K extends string>(
  apps: Readonly<Record<K, Booted>>,
  cpu: BackendCpu,
  turns: number,
  rounds: number,
): Promise<Record<K, ChatTurnCost>> {
  const keys = Object.keys(apps) as K[];
  const runners = new Map(keys.map((k) => [k, chatTurnsOf(apps[k])]));
  const statements = new Map<K, { sent: number; named: number }>();
  for (const k of keys) {
    const turn = runners.get(k)!;
    for (let i = 0; i < 2 * TURNS_PER_THREAD + 1; i += 1) await turn(); // mid-thread next
    const sent = await queriesSentBy(turn);
    statements.set(k, {
      sent: sent.length,
      named: sent.filter((q) => q.name !== undefined).length,
    });
  }
  const postgres = new Map<K, number[]>(keys.map((k) => [k, []]));
  const node = new Map<K, number[]>(keys.map((k) => [k, []]));
  for (let r = 0; r < rounds; r += 1) {
    for (let x = 0; x < keys.length; x += 1) {
      const k = keys[(r + x) % keys.length];
      const turn = runners.get(k)!;
      const names = [apps[k].app.get(ConnectionProvider).applicationName];
      const before = await cpu.sample(names);
      const nodeBefore = process.cpuUsage();
      for (let i = 0; i < turns; i += 1) await turn();
      const used = process.cpuUsage(nodeBefore);
      postgres.get(k)!.push(cpu.elapsedMs(before, await cpu.sample(names)) / turns);
      node.get(k)!.push((used.user + used.system) / 1000 / turns);
    }
  }
  const costs = {} as Record<K, ChatTurnCost>;
  for (const k of keys) {
    costs[k] = {
      statements: statements.get(k)!.sent,
      named: statements.get(k)!.named,
      postgresCpuMs: summarize(postgres.get(k)!).median,
      nodeCpuMs: summarize(node.get(k)!).median,
    };
  }
  return costs;
}

/** The medians of one contender's rounds at one concurrency. */
interface Figures {
  readonly rate: number;
  readonly p95: number;
  readonly postgresCpu: number;
  readonly nodeCpu: number;
}

function figuresOf(rounds: readonly Round[]): Figures {
  return {
    rate: summarize(rounds.map((x) => x.checkpointsPerSecond)).median,
    p95: summarize(rounds.flatMap((x) => x.invokeMs)).p95,
    postgresCpu: summarize(rounds.map((x) => x.postgresCpuMsPerTurn)).median,
    nodeCpu: summarize(rounds.map((x) => x.nodeCpuMsPerTurn)).median,
  };
}

/**
 * Issues 6 and 14, bench 2: graph throughput at 16 and 32 concurrent invocations, ours with and
 * without prepared statements, over TCP and a Unix socket, against upstream and `MemorySaver`;
 * PostgreSQL and Node CPU per turn; pgbench as the server's anchor.
 */
export const throughput: Scenario = {
  id: 'throughput',
  number: 2,
  title: 'Throughput: concurrent graph invocations',
  baseline:
    "ours with `preparedStatements: 'off'`; upstream `PostgresSaver` 1.0.5 (same graph, same pool " +
    "size); LangGraph's `MemorySaver` as the no-database ceiling; `pgbench` one-statement write " +
    "transactions as the server's ceiling",
  async run(context): Promise<ScenarioResult> {
    const database = await createBenchDatabase(context.serverUrl, 'throughput');
    const rounds = context.quick ? 1 : 5;
    const seconds = context.quick ? 1 : 4;
    const cpu = await BackendCpu.open(database.url);
    const ourPool = { max: POOL_MAX, min: POOL_MAX };
    const prepared = await bootOurs(database.url, SCHEMA, {
      pool: ourPool,
      preparedStatements: 'on',
    });
    const unprepared = await bootOurs(database.url, SCHEMA, {
      pool: ourPool,
      preparedStatements: 'off',
    });
    const socketUrl = unixSocketUrl(database.url);
    const socket =
      socketUrl === undefined
        ? undefined
        : await bootOurs(socketUrl, SCHEMA, { pool: ourPool, preparedStatements: 'on' });
    const upstreamName = `bench-upstream-${process.pid}`;
    const newUpstream = () =>
      upstreamSaver(database.url, SCHEMA, POOL_MAX, {
        application_name: upstreamName,
        min: POOL_MAX,
      });
    let upstream = newUpstream();
    const memory = new CountingMemorySaver();
    const deferred = new DeferredMemorySaver();
    const rowCount = async () =>
      Number(
        (await database.query<{ n: string }>(`SELECT count(*) AS n FROM ${SCHEMA}.checkpoints`))
          .rows[0].n,
      );
    const ours = (name: ContenderName, booted: typeof prepared): Contender => {
      const applicationName = booted.app.get(ConnectionProvider).applicationName;
      return {
        name,
        saver: () => booted.saver,
        checkpoints: rowCount,
        applicationName,
        drain: async () => {
          booted.app.get(PoolManager).recreate('bench: the next contender needs the connections');
          await backendsGone(database, applicationName);
        },
      };
    };
    const contenders: Contender[] = [
      ours('prepared', prepared),
      ours('unprepared', unprepared),
      ...(socket === undefined ? [] : [ours('socket', socket)]),
      {
        name: 'upstream',
        saver: () => upstream.saver,
        checkpoints: rowCount,
        applicationName: upstreamName,
        drain: async () => {
          await upstream.close();
          upstream = newUpstream();
        },
      },
      {
        name: 'memory',
        saver: () => memory,
        checkpoints: () => Promise.resolve(memory.checkpoints),
        applicationName: undefined,
        drain: () => Promise.resolve(),
      },
      {
        name: 'deferred',
        saver: () => deferred,
        checkpoints: () => Promise.resolve(deferred.checkpoints),
        applicationName: undefined,
        drain: () => Promise.resolve(),
      },
    ];
    try {
      const perTurn = {
        prepared: await statementsPerTurn(prepared.saver, 'count-prepared'),
        unprepared: await statementsPerTurn(unprepared.saver, 'count-unprepared'),
        upstream: await statementsPerTurn(upstream.saver, 'count-upstream'),
      };
      context.progress('a chat turn, one at a time');
      const chatTurnRounds = context.quick ? 1 : 5;
      const chatTurns = context.quick ? 30 : 200;
      const chat = await chatTurnCosts({ prepared, unprepared }, cpu, chatTurns, chatTurnRounds);
      for (const contender of contenders) await contender.drain();
      const chatRows = (['prepared', 'unprepared'] as const).map((k) => [
        LABELS[k],
        `${chat[k].statements}${chat[k].named > 0 ? ` (${chat[k].named} named)` : ''}`,
        cpu.available ? ms(chat[k].postgresCpuMs) : '–',
        cpu.available ? count(1000 / chat[k].postgresCpuMs) : '–',
        ms(chat[k].nodeCpuMs),
      ]);
      await database.query(
        'CREATE TABLE anchor (id bigserial PRIMARY KEY, thread_id text NOT NULL, payload bytea NOT NULL)',
      );
      const rates: string[][] = [];
      const cpuRows: string[][] = [];
      const ratios: string[][] = [];
      const goals: string[] = [];
      for (const concurrency of [16, 32]) {
        const results = await race(context, cpu, contenders, concurrency, rounds, seconds);
        const anchor = (await pgbenchMedian(context, database, concurrency, rounds, seconds))
          .median;
        const f = new Map([...results].map(([name, rs]) => [name, figuresOf(rs)]));
        const p = f.get('prepared')!;
        const un = f.get('unprepared')!;
        const up = f.get('upstream')!;
        const mem = f.get('memory')!;
        const so = f.get('socket');
        const deferredRate = f.get('deferred')!.rate;
        for (const contender of contenders) {
          const x = f.get(contender.name)!;
          rates.push([
            String(concurrency),
            LABELS[contender.name],
            count(x.rate),
            ms(x.p95),
            `${((100 * x.rate) / mem.rate).toFixed(0)}%`,
          ]);
          const hasBackends = contender.applicationName !== undefined && cpu.available;
          cpuRows.push([
            String(concurrency),
            LABELS[contender.name],
            hasBackends ? ms(x.postgresCpu) : '–',
            hasBackends ? count(1000 / x.postgresCpu) : '–',
            ms(x.nodeCpu),
            count(1000 / x.nodeCpu),
          ]);
        }
        ratios.push([
          String(concurrency),
          ratio(speedup(p.rate, un.rate, 'higher')),
          ratio(speedup(p.rate, up.rate, 'higher')),
          `${((100 * p.rate) / mem.rate).toFixed(0)}%`,
          `${((100 * p.rate) / deferredRate).toFixed(0)}%`,
          so === undefined ? '–' : ratio(speedup(so.rate, p.rate, 'higher')),
          cpu.available ? factor(p.postgresCpu / un.postgresCpu) : '–',
          count(anchor),
        ]);
        if (concurrency === 32) {
          const share = p.rate / mem.rate;
          goals.push(
            `- ${share >= CEILING_GOAL ? 'MET' : 'NOT MET'}: at 32 concurrent, ours (prepared) at ` +
              `least ${(100 * CEILING_GOAL).toFixed(0)}% of the MemorySaver ceiling: ` +
              `${(100 * share).toFixed(0)}% (${count(p.rate)} vs ${count(mem.rate)} checkpoints/s; ` +
              `${((100 * p.rate) / deferredRate).toFixed(0)}% of MemorySaver answering on a later ` +
              `event-loop turn, ${count(deferredRate)} checkpoints/s)`,
          );
        }
      }
      const statementsLine =
        `Statements per turn (pg driver, one turn of an existing thread): ours ${perTurn.prepared.sent} ` +
        `(${perTurn.prepared.named} of them named prepared statements; unprepared ${perTurn.unprepared.sent}, ` +
        `${perTurn.unprepared.named} named), upstream ${perTurn.upstream.sent}.`;
      return {
        tables: [
          {
            title: `Checkpoints per second, median of ${rounds} rounds of ${seconds} s`,
            headers: [
              'concurrent invocations',
              'saver',
              'checkpoints/s',
              'invoke p95',
              'of MemorySaver',
            ],
            rows: rates,
          },
          {
            title: 'Side by side (ratios of the medians above)',
            headers: [
              'concurrent invocations',
              'prepared vs unprepared',
              'prepared vs upstream',
              'prepared, of MemorySaver',
              'prepared, of MemorySaver answering later',
              'Unix socket vs TCP (both prepared)',
              'PostgreSQL CPU per turn, prepared / unprepared',
              'pgbench tps',
            ],
            rows: ratios,
          },
          {
            title: 'CPU per turn (one graph invocation), median of the rounds',
            headers: [
              'concurrent invocations',
              'saver',
              'PostgreSQL CPU per turn',
              'turns/s per PostgreSQL core',
              'Node CPU per turn',
              'turns/s per Node core',
            ],
            rows: cpuRows,
          },
          {
            title:
              'A chat turn as an application runs it (`ThreadTurns.run` around `recordRun` and the ' +
              `graph), one turn at a time, median of ${chatTurnRounds} interleaved rounds of ${chatTurns} turns`,
            headers: [
              'saver',
              'statements per turn',
              'PostgreSQL CPU per turn',
              'turns/s per PostgreSQL core',
              'Node CPU per turn',
            ],
            rows: chatRows,
          },
        ],
        notes: [
          'One Node process runs every invocation of a two-node graph (`bench/harness/chat-graph.ts`; ' +
            `a new thread every ${TURNS_PER_THREAD} turns), every saver on a pool of ${POOL_MAX}, ` +
            `contenders in rotating order, each round after ${WARM_UP_SECONDS} s of uncounted ` +
            'turns (connections opened, statements prepared) and with the pool keeping every ' +
            'connection it opened (`min` = `max`), the pool closed after it. Checkpoints/s ' +
            'counts rows added to `checkpoints` (a turn stores 4). ' +
            "\"prepared\" is ours with `preparedStatements: 'on'` (what `'auto'` chooses on a direct " +
            'connection), "unprepared" with `\'off\'`; the Unix socket is ' +
            '`postgresql://…@/db?host=/var/run/postgresql`. ' +
            statementsLine,
          '',
          cpu.available
            ? 'PostgreSQL CPU per turn: time on CPU of the backends serving the pool (found by ' +
              '`application_name` in `pg_stat_activity`, read from `/proc/<pid>/schedstat`, or ' +
              'utime + stime of `/proc/<pid>/stat`) over the round, divided by the turns; not the ' +
              "server's shared processes (WAL writer, checkpointer, autovacuum). Turns/s per core " +
              'is 1000 ms over that figure: what one fully busy core would sustain. Node CPU per ' +
              'turn is this process (`process.cpuUsage()`): LangGraph, the saver and the driver.'
            : 'PostgreSQL CPU per turn: not measured (the server is not on this machine).',
          '',
          "`MemorySaver` runs the same graph with no database: LangGraph's own cost in Node, the " +
            'ceiling for any saver in this process. "Answering on a later event-loop turn" is the ' +
            'same `MemorySaver` with each call sent and answered after a `setImmediate`, as a ' +
            "round trip is: LangGraph's cost once its saver does I/O, the ceiling for any database " +
            'saver in this process. `pgbench` (`INSERT` of a 1 kB row, one statement ' +
            'per transaction, extended protocol, 2 threads, same number of clients) is what the ' +
            'server takes when no Node work competes for the cores.',
          '',
          '**Goals**',
          '',
          ...goals,
        ],
      };
    } finally {
      await prepared.close();
      await unprepared.close();
      await socket?.close();
      await upstream.close();
      await database.drop();
    }
  },
};
