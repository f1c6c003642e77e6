/**
 * Deletion is final: after `ThreadService.deleteThread` returns, no row of the thread exists in
 * any table, and none can be written later by a graph still running on it, in any process. A
 * write that comes too late fails with `ThreadDeletedError` and stores nothing; nobody can record
 * a run on the id while its marker lasts. `PostgresCheckpointer.deleteThread` (LangGraph's API)
 * keeps upstream's semantics: a reset, no marker.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { INestApplicationContext } from '@nestjs/common';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import {
  CheckpointerMetrics,
  ThreadDeletedError,
  ThreadNotFoundError,
  ThreadService,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import { threeStepGraph } from '../../support/graphs';
import { describeOnRealPostgres } from '../../support/real-postgres';
import { NO_THREAD_ROWS, threadRowCounts } from '../../support/table-snapshot';
import { SCHEMA, checkpointRows, writeCheckpoints } from './threads.fixture';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

describe('deletion is final', () => {
  const fixture = useCheckpointerDatabase('deletion_final', { schema: SCHEMA });
  let app: INestApplicationContext;
  let threads: ThreadService;
  let saver: BaseCheckpointSaver;

  beforeAll(async () => {
    app = await fixture.boot({ pool: { max: 8 } });
    threads = app.get(ThreadService);
    saver = app.get<BaseCheckpointSaver>(getCheckpointerToken());
  });

  it('a turn racing its deletion (0-7 ms apart), 40 times: nothing is left, nothing comes back', async () => {
    const graph = threeStepGraph(saver);
    const outcomes = { finished: 0, refused: 0 };
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const { threadId } = await threads.createThread(ALICE);
      await threads.recordRun({ userEmail: ALICE, threadId, prompt: 'hello' });
      const turn = graph
        .invoke({ messages: ['hello'] }, { configurable: { thread_id: threadId } })
        .then(
          () => (outcomes.finished += 1),
          (error: unknown) => {
            // The running graph ends with the typed error, nothing else.
            expect(error).toBeInstanceOf(ThreadDeletedError);
            outcomes.refused += 1;
          },
        );
      await sleep(attempt % 8);
      await threads.deleteThread(ALICE, threadId);
      // Right after the delete returns, and again once the graph has given up or finished.
      expect(await threadRowCounts(fixture.database, SCHEMA, threadId)).toEqual(NO_THREAD_ROWS);
      await turn;
      expect(await threadRowCounts(fixture.database, SCHEMA, threadId)).toEqual(NO_THREAD_ROWS);

      // Nothing of the old conversation is readable, by anyone; no run can be recorded on it.
      expect(await saver.getTuple({ configurable: { thread_id: threadId } })).toBeUndefined();
      await expect(
        threads.recordRun({ userEmail: ALICE, threadId, prompt: 'again' }),
      ).rejects.toBeInstanceOf(ThreadDeletedError);
      await expect(
        threads.recordRun({ userEmail: BOB, threadId, prompt: 'mine now?' }),
      ).rejects.toBeInstanceOf(ThreadNotFoundError);
      await expect(threads.getThread(BOB, threadId)).rejects.toBeInstanceOf(ThreadNotFoundError);
      expect(await threadRowCounts(fixture.database, SCHEMA, threadId)).toEqual(NO_THREAD_ROWS);
    }
    // Both sides of the race were exercised.
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.finished + outcomes.refused).toBe(40);
  });

  it('a write after the deletion fails typed, stores nothing, and is counted', async () => {
    const { threadId } = await threads.createThread(ALICE);
    await writeCheckpoints(saver, threadId, '', 2);
    await threads.deleteThread(ALICE, threadId);
    const refusedBefore = app.get(CheckpointerMetrics).snapshot().deletedThreadWrites;

    await expect(writeCheckpoints(saver, threadId, '', 1)).rejects.toBeInstanceOf(
      ThreadDeletedError,
    );
    await expect(writeCheckpoints(saver, threadId, 'subgraph:1', 1)).rejects.toThrow(
      `thread "${threadId}" was deleted`,
    );
    await expect(
      saver.putWrites(
        { configurable: { thread_id: threadId, checkpoint_ns: '', checkpoint_id: 'x' } },
        [['messages', 'late']],
        'task',
      ),
    ).rejects.toBeInstanceOf(ThreadDeletedError);
    expect(await checkpointRows(fixture.database, threadId)).toEqual({
      checkpoints: 0,
      checkpoint_blobs: 0,
      checkpoint_writes: 0,
    });
    expect(app.get(CheckpointerMetrics).snapshot().deletedThreadWrites).toBe(refusedBefore + 3);
  });

  it('PostgresCheckpointer.deleteThread (LangGraph’s API) resets a conversation: no marker, the id usable again', async () => {
    const graph = threeStepGraph(saver);
    const config = { configurable: { thread_id: 'reset-me' } };
    await graph.invoke({ messages: ['first'] }, config);
    await saver.deleteThread('reset-me');
    expect((await checkpointRows(fixture.database, 'reset-me')).checkpoints).toBe(0);
    const state = await graph.invoke({ messages: ['fresh start'] }, config);
    expect(state.messages[0]).toBe('fresh start');
    expect(state.messages).toHaveLength(4);
  });
});

describeOnRealPostgres('deletion is final, across processes', () => {
  const fixture = useCheckpointerDatabase('deletion_replicas', { schema: SCHEMA });

  it('a deletion in one instance stops the writes of a graph running in another', async () => {
    const writer = await fixture.boot({ pool: { max: 4 } });
    const deleter = await fixture.boot({ pool: { max: 4 } });
    const threadId = (await writer.get(ThreadService).createThread(ALICE)).threadId;
    const saver = writer.get<BaseCheckpointSaver>(getCheckpointerToken());
    const graph = threeStepGraph(saver);
    const config = { configurable: { thread_id: threadId } };
    await graph.invoke({ messages: ['before'] }, config);

    await deleter.get(ThreadService).deleteThread(ALICE, threadId);
    await expect(graph.invoke({ messages: ['after'] }, config)).rejects.toBeInstanceOf(
      ThreadDeletedError,
    );
    expect(await threadRowCounts(fixture.database, SCHEMA, threadId)).toEqual(NO_THREAD_ROWS);
  });
});
