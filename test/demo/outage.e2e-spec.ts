/**
 * The database unreachable: the app's pool goes through a TCP proxy that refuses every connection
 * (migrations go direct, as behind a pooler). Every API route and readiness answer 503 with
 * `Retry-After`, liveness stays 200, nothing is half-written; when the database is back, the
 * same app serves again without a restart. Needs a real server (the proxy), like faults.e2e-spec.ts.
 */
import type { Response } from 'supertest';
import { TEST_DATABASE_URL } from '../support/database';
import { eventually } from '../support/eventually';
import { describeOnRealPostgres } from '../support/real-postgres';
import { TcpProxy } from '../support/tcp-proxy';
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
const server = new URL(TEST_DATABASE_URL);

describeOnRealPostgres('database unreachable', () => {
  let proxy: TcpProxy;
  let fixture: DemoFixture;
  let steady: string;
  let runId: string;

  beforeAll(async () => {
    proxy = await TcpProxy.start({ host: server.hostname, port: Number(server.port || 5432) });
    fixture = await startDemo('demo_outage', (database) => ({
      DATABASE_URL: proxy.urlFor(database.url),
      MIGRATION_DATABASE_URL: database.url,
    }));
    const { demo } = fixture;
    steady = await createThread(demo, ALICE);
    const run = await demo
      .http()
      .post(`/threads/${steady}/runs`)
      .set('Authorization', demo.bearer(ALICE))
      .send({ prompt: 'before the outage' });
    expect(run.status).toBe(201);
    runId = run.body.runId;
  });

  afterAll(async () => {
    proxy.allow();
    await fixture.close();
    await proxy.close();
  });

  function outcome(response: Response) {
    return {
      status: response.status,
      retryAfter: response.headers['retry-after'],
      body: response.body,
    };
  }

  it('503 with Retry-After on every route and on readiness, liveness 200; recovery without a restart', async () => {
    const { demo, database } = fixture;
    const alice = demo.bearer(ALICE);
    const rowsBefore = await snapshotDemoTables(database);

    proxy.refuse(60_000); // and cuts the pool's open connections

    const routes = protectedRoutes(steady, runId);
    const during: Record<string, unknown> = {};
    for (const route of routes) {
      during[`${route.method} ${route.path}`] = outcome(await send(demo, route, alice));
    }
    const unavailable = {
      status: 503,
      retryAfter: expect.stringMatching(/^[1-9]\d*$/),
      body: {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'The database is temporarily unavailable; retry later.',
      },
    };
    expect(during).toEqual(
      Object.fromEntries(routes.map((route) => [`${route.method} ${route.path}`, unavailable])),
    );
    // Nothing of the driver's error reaches the client.
    expect(JSON.stringify(during)).not.toMatch(/ECONN|terminated|127\.0\.0\.1|postgres/i);

    expect(outcome(await demo.http().get('/health/ready'))).toEqual({
      status: 503,
      retryAfter: expect.stringMatching(/^[1-9]\d*$/),
      body: expect.objectContaining({
        status: 'error',
        error: { checkpointer: expect.objectContaining({ status: 'down', saver: 'postgres' }) },
      }),
    });
    expect((await demo.http().get('/health/live')).status).toBe(200);
    // The POSTs, PATCH, DELETE and PUT that were refused left no trace.
    expect(await snapshotDemoTables(database)).toEqual(rowsBefore);

    proxy.allow();
    await eventually('/health/ready answers 200 again', 15_000, async () => {
      return (await demo.http().get('/health/ready')).status === 200;
    });

    // The same app, not restarted, serves every route again, from the history it had.
    const turn = await demo
      .http()
      .post(`/threads/${steady}/runs`)
      .set('Authorization', alice)
      .send({ prompt: 'after the outage' });
    expect(turn.status).toBe(201);
    expect(turn.body.reply).toBe(
      'You said "after the outage". This is message 4 of this conversation.',
    );
    const rated = await demo
      .http()
      .put(`/runs/${turn.body.runId}/sentiment`)
      .set('Authorization', alice)
      .send({ sentiment: true });
    expect(rated.status).toBe(200);
    const detail = await demo.http().get(`/threads/${steady}`).set('Authorization', alice);
    expect(detail.status).toBe(200);
    const body = detail.body as ThreadDetailBody;
    expect(body.runs.map((run) => [run.prompt, run.sentiment])).toEqual([
      ['before the outage', null],
      ['after the outage', true],
    ]);
    expect(body.messages).toHaveLength(4);
  });
});
