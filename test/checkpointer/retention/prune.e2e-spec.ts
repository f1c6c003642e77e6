/**
 * `RetentionService.prune`: the latest N checkpoints of every namespace stay, the older ones go
 * with their writes and exactly the blobs no kept checkpoint references, and the thread resumes
 * exactly as before: latest state, pending writes, open interrupts (subgraph and Send included),
 * DeltaChannels, and upstream's pre-v4 pending sends read from a pruned parent.
 */
import type { INestApplicationContext } from '@nestjs/common';
import {
  type BaseCheckpointSaver,
  type Checkpoint,
  MemorySaver,
  TASKS,
  emptyCheckpoint,
  uuid6,
} from '@langchain/langgraph-checkpoint';
import { Command, Send } from '@langchain/langgraph';
import {
  InvalidInputError,
  RetentionService,
  StaleCheckpointError,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import { LogCapture } from '../../support/log-capture';
import {
  agentGraph,
  agentTurn,
  comparable,
  danglingReferences,
  deltaChatGraph,
  orphanWrites,
  threadRows,
} from '../../support/retention-graphs';
import { snapshotModuleTables } from '../../support/table-snapshot';

const SCHEMA = 'agents';

/** The latest `keep` of each namespace among `ids` (`ns/checkpoint_id`). */
function latestPerNamespace(ids: readonly string[], keep: number): string[] {
  const byNs = new Map<string, string[]>();
  for (const id of ids) {
    const ns = id.slice(0, id.lastIndexOf('/'));
    byNs.set(ns, [...(byNs.get(ns) ?? []), id]);
  }
  return [...byNs.values()].flatMap((list) => list.sort().reverse().slice(0, keep)).sort();
}

describe('RetentionService.prune', () => {
  const fixture = useCheckpointerDatabase('retention_prune', { schema: SCHEMA });
  const logs = new LogCapture();
  let app: INestApplicationContext;
  let saver: BaseCheckpointSaver;
  let retention: RetentionService;

  beforeAll(async () => {
    app = await fixture.boot({ logger: true }, { logger: logs });
    saver = app.get<BaseCheckpointSaver>(getCheckpointerToken());
    retention = app.get(RetentionService);
  });

  it('keeps the latest N of every namespace; the thread resumes as before (Send, subgraph, interrupt)', async () => {
    const config = { configurable: { thread_id: 'agent-1' } };
    const ours = agentGraph(saver);
    const reference = agentGraph(new MemorySaver());
    for (const graph of [ours, reference]) {
      for (let turn = 0; turn < 3; turn += 1) await agentTurn(graph, config, `question ${turn}`);
      // The fourth turn stops on the subgraph's interrupt: pending writes and an open interrupt.
      await graph.invoke({ messages: ['question 3'] }, config);
    }
    const before = await threadRows(fixture.database, SCHEMA, 'agent-1');
    const state = comparable(await ours.getState(config, { subgraphs: true }));
    expect(state).toEqual(comparable(await reference.getState(config, { subgraphs: true })));
    expect(JSON.stringify(state)).toContain('confirm'); // the interrupt is open
    const namespaces = new Set(before.checkpoints.map((id) => id.slice(0, id.lastIndexOf('/'))));
    expect(namespaces.size).toBeGreaterThan(4); // the root and one per research subgraph run

    const counts = await retention.prune('agent-1', { keepLatest: 2 });

    const after = await threadRows(fixture.database, SCHEMA, 'agent-1');
    expect(after.checkpoints).toEqual(latestPerNamespace(before.checkpoints, 2));
    // Exactly the blobs the kept checkpoints reference, no more, no fewer.
    expect(after.blobs).toEqual(after.referenced);
    // The kept checkpoints' writes, all of them; none of a pruned checkpoint.
    const kept = new Set(after.checkpoints);
    const keptWrites = before.writes.filter((w) => kept.has(w.split('/').slice(0, 2).join('/')));
    expect(after.writes).toEqual(keptWrites);
    expect(counts).toEqual({
      checkpoints: before.checkpoints.length - after.checkpoints.length,
      checkpoint_blobs: before.blobs.length - after.blobs.length,
      checkpoint_writes: before.writes.length - after.writes.length,
    });
    expect(counts.checkpoints).toBeGreaterThan(10);

    // The same state, pending interrupt included; pruned checkpoints are cleanly not found.
    expect(comparable(await ours.getState(config, { subgraphs: true }))).toEqual(state);
    for (const id of before.checkpoints.filter((c) => !kept.has(c))) {
      const slash = id.lastIndexOf('/');
      const tuple = await saver.getTuple({
        configurable: {
          thread_id: 'agent-1',
          checkpoint_ns: id.slice(0, slash),
          checkpoint_id: id.slice(slash + 1),
        },
      });
      expect(tuple).toBeUndefined();
    }
    // History lists what is kept, parents pointing at pruned checkpoints included.
    const history = [];
    for await (const snapshot of ours.getStateHistory(config)) history.push(snapshot);
    expect(history).toHaveLength(2);

    // Resuming the interrupt, and a whole new turn, give what the unpruned reference gives.
    for (const graph of [ours, reference]) {
      await graph.invoke(new Command({ resume: 'yes to question 3' }), config);
      await agentTurn(graph, config, 'question 4');
    }
    expect(comparable(await ours.getState(config, { subgraphs: true }))).toEqual(
      comparable(await reference.getState(config, { subgraphs: true })),
    );
    expect(await danglingReferences(fixture.database, SCHEMA)).toEqual([]);
    expect(await orphanWrites(fixture.database, SCHEMA)).toBe(0);
  });

  it('a dry run changes nothing and counts exactly what the prune then deletes', async () => {
    const config = { configurable: { thread_id: 'agent-dry' } };
    const graph = agentGraph(saver);
    for (let turn = 0; turn < 2; turn += 1) await agentTurn(graph, config, `q${turn}`);
    const snapshot = await snapshotModuleTables(fixture.database, SCHEMA);

    const dry = await retention.prune('agent-dry', { keepLatest: 1, dryRun: true });
    expect(await snapshotModuleTables(fixture.database, SCHEMA)).toEqual(snapshot);
    expect(dry.checkpoints).toBeGreaterThan(0);
    expect(await retention.prune('agent-dry', { keepLatest: 1 })).toEqual(dry);
    expect(await retention.prune('agent-dry', { keepLatest: 1 })).toEqual({
      checkpoints: 0,
      checkpoint_blobs: 0,
      checkpoint_writes: 0,
    });
  });

  it('logs at INFO with the counts', async () => {
    const graph = agentGraph(saver);
    await agentTurn(graph, { configurable: { thread_id: 'agent-logged' } }, 'hello');
    const { checkpoints } = await retention.prune('agent-logged', { keepLatest: 1 });
    expect(logs.of('CheckpointerModule')).toContainEqual(
      expect.objectContaining({
        level: 'log',
        message: expect.stringMatching(
          new RegExp(
            `pruned thread "agent-logged" \\(keep 1\\): deleted checkpoints=${checkpoints}, checkpoint_blobs=\\d+, checkpoint_writes=\\d+`,
          ),
        ),
      }),
    );
  });

  it('keeps what a DeltaChannel replays: the ancestors back to its last snapshot', async () => {
    const config = { configurable: { thread_id: 'delta-1' } };
    const ours = deltaChatGraph(saver);
    const reference = deltaChatGraph(new MemorySaver());
    for (const graph of [ours, reference]) {
      for (let turn = 0; turn < 30; turn += 1)
        await graph.invoke({ messages: [`m${turn}`] }, config);
    }
    const before = await threadRows(fixture.database, SCHEMA, 'delta-1');
    const expected = (await reference.getState(config)).values;
    expect((await ours.getState(config)).values).toEqual(expected);

    const counts = await retention.prune('delta-1', { keepLatest: 1 });

    // Older checkpoints went (the chain before the last snapshot), the replayed chain stayed.
    const after = await threadRows(fixture.database, SCHEMA, 'delta-1');
    expect(counts.checkpoints).toBeGreaterThan(0);
    expect(after.checkpoints.length).toBeGreaterThan(1);
    expect(after.checkpoints.length).toBeLessThan(before.checkpoints.length);
    expect((await ours.getState(config)).values).toEqual(expected);
    for (const graph of [ours, reference]) {
      for (let turn = 30; turn < 33; turn += 1)
        await graph.invoke({ messages: [`m${turn}`] }, config);
    }
    expect((await ours.getState(config)).values).toEqual((await reference.getState(config)).values);
    expect(((await ours.getState(config)).values as { messages: string[] }).messages).toHaveLength(
      66,
    );

    // The control: a naive keep-latest (every checkpoint but the latest deleted) loses messages.
    const naive = { configurable: { thread_id: 'delta-naive' } };
    for (let turn = 0; turn < 30; turn += 1) await ours.invoke({ messages: [`m${turn}`] }, naive);
    await fixture.database.query(
      `DELETE FROM ${SCHEMA}.checkpoints WHERE thread_id = 'delta-naive' AND checkpoint_id <>
         (SELECT max(checkpoint_id) FROM ${SCHEMA}.checkpoints WHERE thread_id = 'delta-naive')`,
    );
    const lost = ((await ours.getState(naive)).values as { messages: string[] }).messages;
    expect(lost.length).toBeLessThan(60);
  });

  it("keeps a pre-v4 checkpoint's pending sends, which upstream reads from its pruned parent", async () => {
    const threadId = 'legacy-1';
    const at = (checkpoint_id?: string) => ({
      configurable: { thread_id: threadId, checkpoint_ns: '', checkpoint_id },
    });
    const legacy = (id: string): Checkpoint => ({
      ...emptyCheckpoint(),
      v: 3,
      id,
      channel_values: { messages: [`at ${id}`] },
      channel_versions: { messages: id },
    });
    const parentId = uuid6(-1);
    const childId = uuid6(-1);
    const meta = { source: 'loop' as const, step: 1, parents: {} };
    const parent = await saver.put(at(), legacy(parentId), meta, { messages: parentId });
    await saver.putWrites(parent, [[TASKS, new Send('worker', { topic: 'x' })]], 'task-1');
    await saver.putWrites(parent, [['messages', 'a pending write of the parent']], 'task-2');
    await saver.put(parent, legacy(childId), meta, { messages: childId });
    const read = async () => (await saver.getTuple(at(childId)))?.checkpoint.channel_values;
    const sends = await read();
    expect(sends?.[TASKS]).toEqual([
      expect.objectContaining({ node: 'worker', args: { topic: 'x' } }),
    ]);

    expect(await retention.prune(threadId, { keepLatest: 1 })).toEqual({
      checkpoints: 1,
      checkpoint_blobs: 1,
      checkpoint_writes: 1, // the parent's ordinary write; its __pregel_tasks write stays
    });
    expect(await saver.getTuple(at(parentId))).toBeUndefined();
    expect(await read()).toEqual(sends);
  });

  it('a checkpoint built on what a prune deleted is refused, typed, with nothing stored', async () => {
    const config = { configurable: { thread_id: 'stale-1' } };
    const graph = agentGraph(saver);
    for (let turn = 0; turn < 2; turn += 1) await agentTurn(graph, config, `q${turn}`);
    // A writer reads an old checkpoint (a fork, or a turn that lost a race)...
    const history = [];
    for await (const tuple of saver.list(config)) history.push(tuple);
    const old = history.at(-3)!;
    // ...a prune deletes it and the blobs only it referenced...
    await retention.prune('stale-1', { keepLatest: 1 });
    const rowsAfterPrune = await threadRows(fixture.database, SCHEMA, 'stale-1');
    // ...then the writer stores a checkpoint continuing from it, reusing its values: refused.
    const next = { ...old.checkpoint, id: uuid6(-1) };
    await expect(saver.put(old.config, next, old.metadata!, {})).rejects.toBeInstanceOf(
      StaleCheckpointError,
    );
    expect(await threadRows(fixture.database, SCHEMA, 'stale-1')).toEqual(rowsAfterPrune);
    // Writing every value anew is not building on anything gone: stored.
    const versions = Object.fromEntries(
      Object.keys(next.channel_versions).map((channel) => [channel, 1_000_000]),
    );
    const fresh = { ...next, id: uuid6(-1), channel_versions: versions };
    await expect(saver.put(old.config, fresh, old.metadata!, versions)).resolves.toBeDefined();
    expect(await danglingReferences(fixture.database, SCHEMA)).toEqual([]);
  });

  it('needs keepLatest, here or in the options', async () => {
    await expect(retention.prune('agent-1')).rejects.toThrow(
      new InvalidInputError(
        'keepLatest',
        'is required when retention.keepLatestCheckpoints is not set',
      ),
    );
    await expect(retention.prune('agent-1', { keepLatest: 0 })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await expect(retention.prune('', { keepLatest: 1 })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
