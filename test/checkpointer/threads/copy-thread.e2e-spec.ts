/**
 * `ThreadService.copyThread`: a new thread of the same user holding the conversation's latest
 * state (every namespace, open interrupts included), which goes on independently of the original.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { type BaseCheckpointSaver, MemorySaver } from '@langchain/langgraph-checkpoint';
import { Command } from '@langchain/langgraph';
import {
  ThreadDeletedError,
  ThreadNotFoundError,
  ThreadService,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import {
  agentGraph,
  agentTurn,
  comparable,
  danglingReferences,
  deltaChatGraph,
  threadRows,
} from '../../support/retention-graphs';
import { snapshotModuleTables } from '../../support/table-snapshot';

const SCHEMA = 'agents';
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ThreadService.copyThread', () => {
  const fixture = useCheckpointerDatabase('copy_thread', { schema: SCHEMA });
  let app: INestApplicationContext;
  let threads: ThreadService;
  let saver: BaseCheckpointSaver;

  beforeAll(async () => {
    app = await fixture.boot();
    threads = app.get(ThreadService);
    saver = app.get<BaseCheckpointSaver>(getCheckpointerToken());
  });

  it('copies the latest state, open interrupt included; the fork and the original go on apart', async () => {
    const original = await threads.createThread(ALICE, { title: 'Research' });
    const at = (threadId: string) => ({ configurable: { thread_id: threadId } });
    const graph = agentGraph(saver);
    const reference = agentGraph(new MemorySaver());
    for (const g of [graph, reference]) {
      await agentTurn(g, at(original.threadId), 'first');
      await g.invoke({ messages: ['second'] }, at(original.threadId)); // stops on the interrupt
    }
    const rowsOfOriginal = await threadRows(fixture.database, SCHEMA, original.threadId);
    const state = comparable(await graph.getState(at(original.threadId), { subgraphs: true }));

    const copy = await threads.copyThread(ALICE, original.threadId);

    expect(copy).toMatchObject({ title: 'Research', runCount: 0 });
    expect(copy.threadId).toMatch(UUID);
    expect(await threads.countThreads(ALICE)).toBe(2);
    expect((await threads.listThreads(ALICE)).items.map((t) => t.threadId)).toContain(
      copy.threadId,
    );
    // The same state, the subgraph's open interrupt with it; only the latest checkpoints.
    expect(comparable(await graph.getState(at(copy.threadId), { subgraphs: true }))).toEqual(state);
    const rowsOfCopy = await threadRows(fixture.database, SCHEMA, copy.threadId);
    const namespaces = new Set(rowsOfOriginal.checkpoints.map((c) => c.split('/')[0]));
    expect(rowsOfCopy.checkpoints).toHaveLength(namespaces.size);
    expect(rowsOfCopy.blobs).toEqual(rowsOfCopy.referenced);
    expect(await threadRows(fixture.database, SCHEMA, original.threadId)).toEqual(rowsOfOriginal);

    // The copy resumes and goes its own way; the original is untouched by it...
    await graph.invoke(new Command({ resume: 'yes, on the copy' }), at(copy.threadId));
    await agentTurn(graph, at(copy.threadId), 'only on the copy');
    expect(await threadRows(fixture.database, SCHEMA, original.threadId)).toEqual(rowsOfOriginal);
    // ...and resumes as if no copy had been made.
    for (const g of [graph, reference]) {
      await g.invoke(new Command({ resume: 'yes to second' }), at(original.threadId));
    }
    expect(comparable(await graph.getState(at(original.threadId), { subgraphs: true }))).toEqual(
      comparable(await reference.getState(at(original.threadId), { subgraphs: true })),
    );
    const copied = (await graph.getState(at(copy.threadId))).values as { messages: string[] };
    expect(copied.messages).toContain('only on the copy');
    expect(await danglingReferences(fixture.database, SCHEMA)).toEqual([]);
  });

  it('takes a title, and copies the DeltaChannel history the latest state replays', async () => {
    const original = await threads.createThread(ALICE);
    const graph = deltaChatGraph(saver);
    const config = { configurable: { thread_id: original.threadId } };
    for (let turn = 0; turn < 15; turn += 1) await graph.invoke({ messages: [`m${turn}`] }, config);
    const copy = await threads.copyThread(ALICE, original.threadId, { title: '  A  fork ' });
    expect(copy.title).toBe('A fork');
    const values = (await graph.getState(config)).values;
    expect((await graph.getState({ configurable: { thread_id: copy.threadId } })).values).toEqual(
      values,
    );
    expect((values as { messages: string[] }).messages).toHaveLength(30);
  });

  it("another user's thread is not found, a deleted one is deleted; nothing is created", async () => {
    const { threadId } = await threads.createThread(ALICE);
    await agentTurn(agentGraph(saver), { configurable: { thread_id: threadId } }, 'hi');
    const snapshot = await snapshotModuleTables(fixture.database, SCHEMA);
    await expect(threads.copyThread(BOB, threadId)).rejects.toBeInstanceOf(ThreadNotFoundError);
    await expect(threads.copyThread(ALICE, 'no-such-thread')).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
    expect(await snapshotModuleTables(fixture.database, SCHEMA)).toEqual(snapshot);

    await threads.deleteThread(ALICE, threadId);
    const afterDeletion = await snapshotModuleTables(fixture.database, SCHEMA);
    await expect(threads.copyThread(ALICE, threadId)).rejects.toBeInstanceOf(ThreadDeletedError);
    await expect(threads.copyThread(BOB, threadId)).rejects.toBeInstanceOf(ThreadNotFoundError);
    expect(await snapshotModuleTables(fixture.database, SCHEMA)).toEqual(afterDeletion);
  });
});
