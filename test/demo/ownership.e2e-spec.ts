/**
 * Another user's thread and runs: every route answers as if they did not exist (404, the same
 * answer as for an id nobody has: `privacy.e2e-spec.ts` compares them byte for byte), and nothing
 * changes, neither in the owner's view nor in any row.
 */
import type { Response } from 'supertest';
import {
  type DemoFixture,
  type ThreadDetailBody,
  createThread,
  protectedRoutes,
  send,
  snapshotDemoTables,
  startDemo,
} from './demo.fixture';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

let fixture: DemoFixture;
let aliceThread: string;
let aliceRuns: string[];

beforeAll(async () => {
  fixture = await startDemo('demo_ownership');
  const { demo } = fixture;
  aliceThread = await createThread(demo, ALICE);
  aliceRuns = [];
  for (const prompt of ['my first secret', 'my second secret']) {
    const run = await demo
      .http()
      .post(`/threads/${aliceThread}/runs`)
      .set('Authorization', demo.bearer(ALICE))
      .send({ prompt });
    expect(run.status).toBe(201);
    aliceRuns.push(run.body.runId);
  }
  const rated = await demo
    .http()
    .put(`/runs/${aliceRuns[0]}/sentiment`)
    .set('Authorization', demo.bearer(ALICE))
    .send({ sentiment: true });
  expect(rated.status).toBe(200);
});

afterAll(async () => {
  await fixture.close();
});

/** Everything Alice can see of her data. */
async function aliceView() {
  const { demo } = fixture;
  const get = async (path: string): Promise<unknown> => {
    const response = await demo.http().get(path).set('Authorization', demo.bearer(ALICE));
    expect(response.status).toBe(200);
    return response.body;
  };
  return {
    thread: await get(`/threads/${aliceThread}`),
    list: await get('/threads'),
    page: await get('/threads?page=1'),
    sentiments: await get(`/threads/${aliceThread}/sentiments`),
  };
}

function answer(response: Response) {
  return { status: response.status, body: response.body };
}

it("every route on Alice's thread and runs answers Bob 404 (or his own empty list), changing nothing", async () => {
  const viewBefore = await aliceView();
  const rowsBefore = await snapshotDemoTables(fixture.database);

  const bob = fixture.demo.bearer(BOB);
  const answers: Record<string, unknown> = {};
  // Every route but POST /threads, which names no thread of Alice's (and creates one of Bob's).
  for (const route of protectedRoutes(aliceThread, aliceRuns[1])) {
    if (route.path === '/threads') continue;
    answers[`${route.method} ${route.path}`] = answer(await send(fixture.demo, route, bob));
  }
  const notFound = (message: string) => ({
    status: 404,
    body: { statusCode: 404, error: 'Not Found', message },
  });
  const threadNotFound = notFound(`thread "${aliceThread}" not found`);
  const thread = `/threads/${aliceThread}`;
  expect(answers).toEqual({
    [`post ${thread}/runs`]: threadNotFound,
    'get /threads?limit=5': { status: 200, body: { threads: [], next_cursor: null } },
    'get /threads?page=1&limit=5': {
      status: 200,
      body: { threads: [], total_count: 0, page: 1, limit: 5, has_more: false },
    },
    [`get ${thread}`]: threadNotFound,
    [`patch ${thread}`]: threadNotFound,
    [`delete ${thread}`]: threadNotFound,
    [`put /runs/${aliceRuns[1]}/sentiment`]: notFound(`run ${aliceRuns[1]} not found`),
    [`get ${thread}/sentiments`]: threadNotFound,
    [`post ${thread}/runs/stream`]: threadNotFound,
  });

  expect(await aliceView()).toEqual(viewBefore);
  expect(await snapshotDemoTables(fixture.database)).toEqual(rowsBefore);
});

it("Bob cannot record one of Alice's run ids on a thread of his own (409), and nothing is recorded", async () => {
  const bobsThread = await createThread(fixture.demo, BOB);
  const rowsBefore = await snapshotDemoTables(fixture.database);
  const response = await fixture.demo
    .http()
    .post(`/threads/${bobsThread}/runs`)
    .set('Authorization', fixture.demo.bearer(BOB))
    .send({ prompt: 'my secret', runId: aliceRuns[0] });
  expect(answer(response)).toEqual({
    status: 409,
    body: {
      statusCode: 409,
      error: 'Conflict',
      message: `run ${aliceRuns[0]} is already recorded for another thread`,
    },
  });
  expect(await snapshotDemoTables(fixture.database)).toEqual(rowsBefore);
});

it('the same email in another case is the same user (emails are compared lowercased)', async () => {
  const response = await fixture.demo
    .http()
    .get(`/threads/${aliceThread}`)
    .set('Authorization', fixture.demo.bearer('Alice@Example.COM'));
  expect(response.status).toBe(200);
  const { runs } = response.body as ThreadDetailBody;
  expect(runs.map((run) => run.run_id)).toEqual(aliceRuns);
});
