/**
 * Deleted means gone, over HTTP: issue 9's reproduction on the demo. Alice posts a turn and
 * deletes its thread 0-19 ms later (the turn reads its thread's limits before its first write,
 * so the offsets reach past that), both requests in flight together, 40 times; one attempt in
 * four deletes only once the graph has written its first checkpoint, so that however slow the
 * machine, some deletions land while a graph is between its writes. Before the fix the
 * running graph wrote after the delete, and Bob, posting to the same id, read Alice's messages.
 * Now: no row of the thread is left in any table, the turn answers 201 or 410 (never 500), and
 * neither Bob nor Alice can read anything of it or record a run on it, on any route.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import { CheckpointerModule } from '../../src/checkpointer';
import { eventually } from '../support/eventually';
import {
  type DemoFixture,
  DEMO_SCHEMA,
  NO_ROWS,
  actingAs,
  createThread,
  expectStatus,
  inFlight,
  protectedRoutes,
  send,
  startDemo,
  threadRows,
} from './demo.fixture';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const SECRET = 'my secret plans';

let fixture: DemoFixture;

beforeAll(async () => {
  fixture = await startDemo('demo_deletion_race');
});

afterAll(async () => {
  await fixture.close();
});

const notFound = (message: string) => ({ statusCode: 404, error: 'Not Found', message });

/** Every route on `threadId` (and the run `runId`) as `email`: `method path` to status and body. */
async function everyRoute(email: string, threadId: string, runId: string) {
  const answers: Record<string, { status: number; body: unknown }> = {};
  const texts: string[] = [];
  for (const route of protectedRoutes(threadId, runId)) {
    if (route.path === '/threads') continue; // POST /threads names no thread
    const response: Response = await send(fixture.demo, route, fixture.demo.bearer(email));
    answers[`${route.method} ${route.path.replace(threadId, ':id')}`] = {
      status: response.status,
      body: response.body,
    };
    texts.push(response.text);
  }
  return { answers, texts: texts.join('\n') };
}

it('a turn and its deletion in flight together, 40 times: nothing left, nothing readable, no run recordable', async () => {
  const alice = actingAs(fixture.demo, ALICE);
  const metrics = () => fixture.demo.app.get(CheckpointerModule).metrics();
  const refusedBefore = metrics().deletedThreadWrites;
  const outcomes: Record<number, number> = {};
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const threadId = await createThread(fixture.demo, ALICE);
    const turn = inFlight(alice.post(`/threads/${threadId}/runs`, { prompt: SECRET }));
    if (attempt % 4 === 3) {
      const written = async () => (await threadRows(fixture.database, threadId)).checkpoints > 0;
      await eventually('the graph writes its first checkpoint', 10_000, written, 2);
    } else {
      await sleep(attempt % 20);
    }
    expectStatus(await alice.delete(`/threads/${threadId}`), 200);
    // Once the deletion has answered, nothing of the conversation exists, the turn still running
    // or not. (Only the turn's own lease may still be there: a turn admitted just before the
    // deletion takes it just after, and gives it back as it ends. Nothing reads it.)
    expect({ ...(await threadRows(fixture.database, threadId)), users_thread_turns: 0 }).toEqual(
      NO_ROWS,
    );

    const answered = await turn;
    // The turn either finished before the deletion or was stopped by it: never a 500.
    expect({ status: answered.status, body: answered.body as unknown }).toEqual(
      answered.status === 201
        ? { status: 201, body: expect.objectContaining({ threadId }) }
        : {
            status: 410,
            body: { statusCode: 410, error: 'Gone', message: `thread "${threadId}" was deleted` },
          },
    );
    outcomes[answered.status] = (outcomes[answered.status] ?? 0) + 1;
    expect(await threadRows(fixture.database, threadId)).toEqual(NO_ROWS);

    // Bob, on every route: the thread does not exist for him, as for any id nobody has.
    const runId = (answered.body as { runId?: string }).runId ?? randomUUID();
    const thread = 'thread ":id" not found'.replace(':id', threadId);
    const bob = await everyRoute(BOB, threadId, runId);
    expect(bob.answers).toEqual({
      'post /threads/:id/runs': { status: 404, body: notFound(thread) },
      'get /threads?limit=5': { status: 200, body: { threads: [], next_cursor: null } },
      'get /threads?page=1&limit=5': {
        status: 200,
        body: { threads: [], total_count: 0, page: 1, limit: 5, has_more: false },
      },
      'get /threads/:id': { status: 404, body: notFound(thread) },
      'patch /threads/:id': { status: 404, body: notFound(thread) },
      'delete /threads/:id': { status: 404, body: notFound(thread) },
      [`put /runs/${runId}/sentiment`]: { status: 404, body: notFound(`run ${runId} not found`) },
      'get /threads/:id/sentiments': { status: 404, body: notFound(thread) },
      'post /threads/:id/runs/stream': { status: 404, body: notFound(thread) },
    });
    // Alice: gone (410) where she would write on it, not found where she would read it.
    const gone = { statusCode: 410, error: 'Gone', message: `thread "${threadId}" was deleted` };
    const own = await everyRoute(ALICE, threadId, runId);
    expect(own.answers).toEqual({
      'post /threads/:id/runs': { status: 410, body: gone },
      'get /threads?limit=5': { status: 200, body: expect.any(Object) },
      'get /threads?page=1&limit=5': { status: 200, body: expect.any(Object) },
      'get /threads/:id': { status: 404, body: notFound(thread) },
      'patch /threads/:id': { status: 404, body: notFound(thread) },
      'delete /threads/:id': { status: 410, body: gone },
      [`put /runs/${runId}/sentiment`]: { status: 404, body: notFound(`run ${runId} not found`) },
      'get /threads/:id/sentiments': { status: 404, body: notFound(thread) },
      'post /threads/:id/runs/stream': { status: 410, body: gone },
    });
    // Her listing never shows it; no answer, hers or Bob's, carries a word of the conversation.
    expect(own.texts).not.toContain(`"thread_id":"${threadId}"`);
    expect(`${bob.texts}\n${own.texts}`).not.toContain(SECRET);
    // No run was recorded by any of those requests; the deletion's marker stays.
    expect(await threadRows(fixture.database, threadId)).toEqual(NO_ROWS);
    const marker = await fixture.database.query(
      `SELECT 1 FROM ${DEMO_SCHEMA}.users_threads_deleted WHERE thread_id = $1`,
      [threadId],
    );
    expect(marker.rows).toHaveLength(1);
  }
  // The race was run: the deletion caught turns in flight, graphs among them (the attempts that
  // waited for a first checkpoint), whose late checkpoints the saver refused.
  expect(outcomes[410]).toBeGreaterThan(0);
  expect((outcomes[201] ?? 0) + outcomes[410]).toBe(40);
  expect(metrics().deletedThreadWrites).toBeGreaterThan(refusedBefore);
  expect(metrics().turns).toMatchObject({ waiting: 0, held: 0 });
});
