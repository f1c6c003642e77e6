/**
 * Another user learns nothing from a thread id, and cannot slow its owner down. On every route,
 * Alice's thread, a thread Alice deleted and an id nobody has answer Bob with the same status,
 * headers and bytes (ids aside); and Bob's requests at Alice's thread are refused before its turn
 * lock (before, the demo's in-process queue made the owner's turn wait behind them).
 */
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { CheckpointerModule, ThreadTurns } from '../../src/checkpointer';
import { eventually } from '../support/eventually';
import {
  type DemoFixture,
  actingAs,
  createThread,
  expectStatus,
  inFlight,
  protectedRoutes,
  send,
  startDemo,
} from './demo.fixture';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

let fixture: DemoFixture;
/** Alice's thread and its last run. */
let alices: { threadId: string; runId: string };
/** A thread Alice deleted, and its run (deleted with it). */
let deleted: { threadId: string; runId: string };
/** An id nobody created, and a run nobody recorded. */
const nobodys = { threadId: randomUUID(), runId: randomUUID() };

/** A thread of Alice's with a run; its id and the run's. */
async function threadWithRun(): Promise<{ threadId: string; runId: string }> {
  const threadId = await createThread(fixture.demo, ALICE);
  const run = await actingAs(fixture.demo, ALICE).post(`/threads/${threadId}/runs`, {
    prompt: 'my secret',
  });
  return { threadId, runId: (expectStatus(run, 201).body as { runId: string }).runId };
}

beforeAll(async () => {
  fixture = await startDemo('demo_privacy');
  alices = await threadWithRun();
  deleted = await threadWithRun();
  expectStatus(await actingAs(fixture.demo, ALICE).delete(`/threads/${deleted.threadId}`), 200);
});

afterAll(async () => {
  await fixture.close();
});

/** What a client can observe of an answer, with the ids it was asked about replaced. */
function observed(response: Response, { threadId, runId }: { threadId: string; runId: string }) {
  const anonymize = (text: string) =>
    text.replaceAll(threadId, '<thread>').replaceAll(runId, '<run>');
  // Only the date, and the ETag (a hash of the body, ids included), differ between any two answers.
  const headers = Object.fromEntries(
    Object.entries(response.headers as Record<string, string>).filter(
      ([name]) => name !== 'date' && name !== 'etag',
    ),
  );
  return {
    status: response.status,
    headers: JSON.parse(anonymize(JSON.stringify(headers))) as unknown,
    body: anonymize(response.text),
  };
}

it("on every route, Alice's thread, her deleted thread and an id nobody has look the same to Bob", async () => {
  const bob = fixture.demo.bearer(BOB);
  const routes = {
    alices: protectedRoutes(alices.threadId, alices.runId),
    deleted: protectedRoutes(deleted.threadId, deleted.runId),
    nobodys: protectedRoutes(nobodys.threadId, nobodys.runId),
  };
  let compared = 0;
  for (const [i, route] of routes.alices.entries()) {
    if (route.path === '/threads') continue; // POST /threads names no thread
    const answers = {
      alices: observed(await send(fixture.demo, route, bob), alices),
      deleted: observed(await send(fixture.demo, routes.deleted[i], bob), deleted),
      nobodys: observed(await send(fixture.demo, routes.nobodys[i], bob), nobodys),
    };
    const where = `${route.method} ${route.route}`;
    expect({ where, answer: answers.deleted }).toEqual({ where, answer: answers.alices });
    expect({ where, answer: answers.nobodys }).toEqual({ where, answer: answers.alices });
    // A 404 on every route that names a thread or a run (the listings are Bob's own, empty).
    expect({ where, status: answers.alices.status }).toEqual({
      where,
      status: route.path.startsWith('/threads?') ? 200 : 404,
    });
    compared += 1;
  }
  expect(compared).toBe(9);
});

it("Bob's flood at Alice's thread never enters its turn lock, and Alice's turn runs", async () => {
  const turnsNow = () => fixture.demo.app.get(CheckpointerModule).metrics().turns;
  const { threadId } = alices;
  // Alice's thread is mid-turn (held here): a request that reached its lock would wait for it,
  // or, past threads.maxTurnWaiters (16), be refused as busy.
  let release: () => void = () => undefined;
  let holding: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const running = fixture.demo.app.get(ThreadTurns).run(ALICE, threadId, async () => {
    holding();
    await new Promise<void>((resolve) => (release = resolve));
  });
  await held;
  const before = turnsNow();
  expect(before).toMatchObject({ held: 1, waiting: 0 });

  // Alice's own turn waits for the held one. Bob's 400 must be answered meanwhile: had they to
  // queue behind her turn (as behind the old in-process queue, taken before ownership was
  // checked), they would hang until it ran.
  const alicesTurn = inFlight(
    actingAs(fixture.demo, ALICE).post(`/threads/${threadId}/runs`, { prompt: 'mine' }),
  );
  await eventually("Alice's turn waits for the held one", 10_000, () => turnsNow().waiting === 1);
  let mostWaiting = 0;
  const flood = Array.from({ length: 400 }, () =>
    inFlight(
      actingAs(fixture.demo, BOB).post(`/threads/${threadId}/runs`, { prompt: 'let me in' }),
    ).then((response) => {
      mostWaiting = Math.max(mostWaiting, turnsNow().waiting);
      return response;
    }),
  );
  const answers = await Promise.all(flood);
  expect(new Set(answers.map((r) => `${r.status} ${r.text}`))).toEqual(
    new Set([
      `404 {"statusCode":404,"error":"Not Found","message":"thread \\"${threadId}\\" not found"}`,
    ]),
  );
  // None of Bob's 400 waited (Alice's turn is the one waiter throughout), none was refused as
  // busy, none held the lease.
  expect(mostWaiting).toBe(1);
  expect(turnsNow()).toMatchObject({
    waiting: 1,
    held: 1,
    busyRefusals: before.busyRefusals,
    leasesLost: before.leasesLost,
  });

  release();
  await running;
  const turn = expectStatus(await alicesTurn, 201);
  expect(turn.body).toMatchObject({ threadId, reply: expect.stringContaining('"mine"') });
  expect(turnsNow()).toEqual({ ...before, held: 0, waiting: 0 });
});
