/**
 * One turn at a time per thread, across every process on the database, for its owner only
 * (`ThreadTurns`). Two application instances on one database stand in for two replicas; a child
 * process killed mid-turn stands in for a crashed one.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import {
  CheckpointerMetrics,
  ThreadBusyError,
  ThreadDeletedError,
  ThreadNotFoundError,
  ThreadService,
  ThreadTurns,
  TurnLeaseLostError,
  type CheckpointerDatabase,
  getCheckpointerDbToken,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import { acquireTurnLease } from '../../../src/checkpointer/threads/thread-turns.query';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import { eventually } from '../../support/eventually';
import { threeStepGraph } from '../../support/graphs';
import { routeOptions } from '../../support/pooler';
import { describeOnRealPostgres } from '../../support/real-postgres';
import { snapshotModuleTables } from '../../support/table-snapshot';
import { SCHEMA } from './threads.fixture';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const ROOT = join(__dirname, '..', '..', '..');

/** A replica: the module booted on the shared database, with its services. */
function replicaOf(app: INestApplicationContext) {
  const saver = app.get<BaseCheckpointSaver>(getCheckpointerToken());
  return {
    app,
    threads: app.get(ThreadService),
    turns: app.get(ThreadTurns),
    graph: threeStepGraph(saver),
    stats: () => app.get(CheckpointerMetrics).snapshot().turns,
  };
}
type Replica = ReturnType<typeof replicaOf>;

/** A turn as the demo takes one: record the run, then run the graph, inside the thread's turn. */
function turn(replica: Replica, threadId: string, prompt: string, ifBusy?: 'wait' | 'reject') {
  return replica.turns.run(
    ALICE,
    threadId,
    async ({ signal }) => {
      await replica.threads.recordRun({ userEmail: ALICE, threadId, prompt });
      return replica.graph.invoke(
        { messages: [prompt] },
        { configurable: { thread_id: threadId }, signal },
      );
    },
    { ifBusy },
  );
}

/** A gate a test opens by hand. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describeOnRealPostgres('ThreadTurns across two replicas', () => {
  const fixture = useCheckpointerDatabase('thread_turns', {
    schema: SCHEMA,
    pool: { max: 6 },
    threads: { turnLeaseMs: 2_000, turnWaitMs: 60_000 },
  });
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    a = replicaOf(await fixture.boot());
    b = replicaOf(await fixture.boot());
  });

  it('8 concurrent turns in each replica on one thread: each in the conversation once, its answer right after it', async () => {
    const { threadId } = await a.threads.createThread(ALICE);
    const prompts = Array.from({ length: 16 }, (_, i) => `prompt ${i}`);
    await Promise.all(prompts.map((prompt, i) => turn(i % 2 === 0 ? a : b, threadId, prompt)));

    const { values } = await a.graph.getState({ configurable: { thread_id: threadId } });
    const messages = (values as { messages: string[] }).messages;
    expect(messages).toHaveLength(16 * 4);
    for (let at = 0; at < messages.length; at += 4) {
      const prompt = messages[at];
      // Each turn built on the one before it: its own four messages, in order, nothing between.
      expect(messages.slice(at, at + 4)).toEqual([
        prompt,
        `heard: ${prompt}`,
        `thought about ${at + 2} message(s)`,
        `answer #${at + 4}`,
      ]);
    }
    expect(new Set(messages.filter((m) => m.startsWith('prompt '))).size).toBe(16);
    expect(new Set(messages.filter((m) => m.startsWith('prompt ')))).toEqual(new Set(prompts));
    await expect(a.threads.getThread(ALICE, threadId)).resolves.toMatchObject({ runCount: 16 });
  });

  it("with ifBusy: 'reject', a turn refused while another runs leaves nothing behind", async () => {
    const { threadId } = await a.threads.createThread(ALICE);
    const held = gate();
    const running = gate();
    const first = a.turns.run(ALICE, threadId, async () => {
      running.open();
      await held.opened;
    });
    await running.opened;
    const before = await snapshotModuleTables(fixture.database, SCHEMA);
    const refusals = b.stats().busyRefusals;
    const refused = turn(b, threadId, 'too early', 'reject');
    await expect(refused).rejects.toBeInstanceOf(ThreadBusyError);
    await expect(refused).rejects.toMatchObject({ retryAfterMs: expect.any(Number) });
    expect(b.stats().busyRefusals).toBe(refusals + 1);
    expect(await snapshotModuleTables(fixture.database, SCHEMA)).toEqual(before);
    held.open();
    await first;
    // Free again: the next turn runs at once.
    await expect(turn(b, threadId, 'now', 'reject')).resolves.toBeDefined();
  });

  it('waiting is bounded: past maxWaitMs, and past maxTurnWaiters, a turn is refused', async () => {
    const c = replicaOf(await fixture.boot({ threads: { turnLeaseMs: 2_000, maxTurnWaiters: 2 } }));
    const { threadId } = await a.threads.createThread(ALICE);
    const held = gate();
    const running = gate();
    const first = a.turns.run(ALICE, threadId, async () => {
      running.open();
      await held.opened;
    });
    await running.opened;
    await expect(
      b.turns.run(ALICE, threadId, () => Promise.resolve(), { maxWaitMs: 150 }),
    ).rejects.toBeInstanceOf(ThreadBusyError);

    // Two may wait in replica c; the third, fourth and fifth are refused at once.
    const waiters = Array.from({ length: 5 }, (_, i) =>
      c.turns.run(ALICE, threadId, () => Promise.resolve(i)),
    );
    await eventually('two turns wait in replica c', 2_000, () => c.stats().waiting === 2);
    held.open();
    await first;
    const results = await Promise.allSettled(waiters);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(3);
    for (const r of refused) expect(r.reason).toBeInstanceOf(ThreadBusyError);
    expect(c.stats()).toMatchObject({ waiting: 0, busyRefusals: 3 });
  });

  it("another user's flood at a thread never enters its lock, and the owner's turn runs", async () => {
    const { threadId } = await a.threads.createThread(ALICE);
    const before = a.stats();
    const flood = Array.from({ length: 400 }, () =>
      a.turns.run(BOB, threadId, () => Promise.reject(new Error('never runs'))),
    );
    const owners = turn(a, threadId, 'mine');
    const results = await Promise.allSettled(flood);
    expect(
      results.every((r) => r.status === 'rejected' && r.reason instanceof ThreadNotFoundError),
    ).toBe(true);
    await owners;
    const after = a.stats();
    // None of Bob's 400 waited, was refused as busy, or held the lease.
    expect(after.busyRefusals).toBe(before.busyRefusals);
    expect(after).toMatchObject({ waiting: 0, held: 0 });
  });

  it('a lease taken over mid-turn aborts the turn’s signal with TurnLeaseLostError, and run() rejects with it', async () => {
    const { threadId } = await a.threads.createThread(ALICE);
    let reason: unknown;
    const running = a.turns.run(ALICE, threadId, ({ signal }) => {
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => {
          reason = signal.reason;
          reject(new Error('Abort'));
        }),
      );
    });
    await eventually('the turn holds the lease', 2_000, () => a.stats().held === 1);
    const lost = a.stats().leasesLost;
    // What a replica stalled past its lease finds: another turn holds the thread now.
    await fixture.database.query(
      `UPDATE ${SCHEMA}.users_thread_turns SET holder = gen_random_uuid() WHERE thread_id = $1`,
      [threadId],
    );
    await expect(running).rejects.toBeInstanceOf(TurnLeaseLostError);
    expect(reason).toBeInstanceOf(TurnLeaseLostError);
    expect(a.stats().leasesLost).toBe(lost + 1);
  });

  it('the lease of a thread deleted after the turn was admitted is never taken', async () => {
    const { threadId } = await a.threads.createThread(ALICE);
    await a.threads.deleteThread(ALICE, threadId);
    const outcome = await acquireTurnLease(
      a.app.get<Kysely<CheckpointerDatabase>>(getCheckpointerDbToken()),
      SCHEMA,
      threadId,
      randomUUID(),
      2_000,
    ).executeTakeFirstOrThrow();
    expect(outcome).toEqual({ writable: false, holder: null });
    const { rows } = await fixture.database.query(
      `SELECT * FROM ${SCHEMA}.users_thread_turns WHERE thread_id = $1`,
      [threadId],
    );
    expect(rows).toEqual([]);
  });

  it('a deletion never waits for the running turn; the turn ends with ThreadDeletedError', async () => {
    const { threadId } = await a.threads.createThread(ALICE);
    await turn(a, threadId, 'first');
    const midTurn = gate();
    const deleted = gate();
    const running = a.turns.run(ALICE, threadId, async ({ signal }) => {
      midTurn.open();
      await deleted.opened;
      return a.graph.invoke(
        { messages: ['late'] },
        { configurable: { thread_id: threadId }, signal },
      );
    });
    await midTurn.opened;
    await b.threads.deleteThread(ALICE, threadId); // returns while the turn still holds the lease
    deleted.open();
    await expect(running).rejects.toBeInstanceOf(ThreadDeletedError);
    await expect(turn(b, threadId, 'after')).rejects.toBeInstanceOf(ThreadDeletedError);
    await expect(b.turns.run(BOB, threadId, () => Promise.resolve())).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
  });
});

describeOnRealPostgres('ThreadTurns and a process killed mid-turn', () => {
  const LEASE_MS = 1_500;
  const fixture = useCheckpointerDatabase('turns_killed', {
    schema: SCHEMA,
    threads: { turnLeaseMs: LEASE_MS },
  });
  let holder: ChildProcess | undefined;

  beforeAll(async () => {
    // The child runs the built library, as a deployed replica would.
    await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
  }, 120_000);

  afterEach(() => {
    holder?.kill('SIGKILL');
  });

  it('its thread is free again within turnLeaseMs', async () => {
    const replica = replicaOf(await fixture.boot());
    const { threadId } = await replica.threads.createThread(ALICE);
    const url = routeOptions({ connectionString: fixture.database.url }).connectionString!;
    holder = spawn(
      process.execPath,
      [join(ROOT, 'test/support/turn-holder.cjs'), url, SCHEMA, ALICE, threadId, String(LEASE_MS)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    holder.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    holder.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually('the other process holds the turn', 30_000, () => output.includes('holding'));
    // While it lives, the thread is busy.
    await expect(turn(replica, threadId, 'blocked', 'reject')).rejects.toBeInstanceOf(
      ThreadBusyError,
    );

    holder.kill('SIGKILL');
    const killedAt = performance.now();
    await turn(replica, threadId, 'after the crash');
    const waitedMs = performance.now() - killedAt;
    // Free within the lease (plus a poll and a round trip), not the turn's whole wait budget.
    expect(waitedMs).toBeLessThan(LEASE_MS + 2_000);
    await expect(replica.threads.getThread(ALICE, threadId)).resolves.toMatchObject({
      runCount: 1,
    });
    await sleep(0);
  });
});
