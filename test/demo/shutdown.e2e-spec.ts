/**
 * Graceful shutdown with requests in flight: the app listens on a real port, its pool goes
 * through a TCP proxy that delays every packet (so each request is still running when the app is
 * told to close), and `app.close()` is called as SIGTERM would. The requests complete with their
 * answers and their writes, readiness answers 503 "shutting_down" meanwhile, and then the pool is
 * ended and every connection closed. Needs a real server (the proxy).
 */
import type { Server } from 'node:http';
import request from 'supertest';
import { PoolManager } from '../../src/checkpointer';
import { TEST_DATABASE_URL } from '../support/database';
import { eventually } from '../support/eventually';
import { describeOnRealPostgres } from '../support/real-postgres';
import { TcpProxy } from '../support/tcp-proxy';
import { checkpointRows } from '../checkpointer/threads/threads.fixture';
import {
  type DemoFixture,
  DEMO_SCHEMA,
  type ThreadDetailBody,
  createThread,
  startDemo,
} from './demo.fixture';

const ALICE = 'alice@example.com';
const server = new URL(TEST_DATABASE_URL);
/** Each way: every round trip to PostgreSQL takes at least twice this. */
const LATENCY_MS = 100;

describeOnRealPostgres('graceful shutdown', () => {
  let proxy: TcpProxy;
  let fixture: DemoFixture;

  beforeAll(async () => {
    proxy = await TcpProxy.start({ host: server.hostname, port: Number(server.port || 5432) });
    fixture = await startDemo('demo_shutdown', (database) => ({
      DATABASE_URL: proxy.urlFor(database.url),
      MIGRATION_DATABASE_URL: database.url,
    }));
  });

  afterAll(async () => {
    await fixture.close();
    await proxy.close();
  });

  it('requests in flight complete, readiness says shutting down, then the pool is closed', async () => {
    const { demo, database } = fixture;
    const alice = demo.bearer(ALICE);
    const ongoing = await createThread(demo, ALICE);
    const newOne = await createThread(demo, ALICE);
    const seed = await demo
      .http()
      .post(`/threads/${ongoing}/runs`)
      .set('Authorization', alice)
      .send({ prompt: 'first' });
    expect(seed.status).toBe(201);

    await demo.app.listen(0, '127.0.0.1');
    const url = await demo.app.getUrl();
    const pools = demo.app.get(PoolManager);
    let received = 0;
    (demo.app.getHttpServer() as Server).on('request', () => {
      received += 1;
    });
    let closing = false;
    /** Sends a request and records whether its answer came after the app began to close. */
    const inFlight = (pending: request.Test) =>
      pending.then((response) => ({ response, afterClose: closing }));

    proxy.latencyMs = LATENCY_MS;
    const http = request(url);
    const requests = [
      inFlight(
        http.post(`/threads/${newOne}/runs`).set('Authorization', alice).send({ prompt: 'hi' }),
      ),
      inFlight(
        http
          .post(`/threads/${ongoing}/runs`)
          .set('Authorization', alice)
          .send({ prompt: 'second' }),
      ),
      inFlight(http.get(`/threads/${ongoing}`).set('Authorization', alice)),
      inFlight(
        http
          .put(`/runs/${seed.body.runId}/sentiment`)
          .set('Authorization', alice)
          .send({ sentiment: true }),
      ),
      inFlight(http.post('/threads').set('Authorization', alice).send({ title: 'Later' })),
      inFlight(http.get('/health/ready')),
    ];
    // Every request is being handled (past the HTTP parser, into the app) before the close.
    await eventually('every request received', 10_000, () => received === requests.length, 1);
    closing = true;
    const closed = demo.app.close();

    const [started, continued, read, rated, created, ready] = await Promise.all(requests);
    await closed;

    expect([started, continued, read, rated, created].map((r) => r.afterClose)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect({ status: started.response.status, body: started.response.body }).toEqual({
      status: 201,
      body: {
        runId: expect.any(String),
        threadId: newOne,
        reply: 'You said "hi". This is message 2 of this conversation.',
      },
    });
    expect(continued.response.status).toBe(201);
    expect(continued.response.body.reply).toBe(
      'You said "second". This is message 4 of this conversation.',
    );
    expect(read.response.status).toBe(200);
    expect((read.response.body as ThreadDetailBody).full_prompt).toBe('first');
    expect(rated.response.status).toBe(200);
    expect(rated.response.body.sentiment).toBe(true);
    expect(created.response.status).toBe(201);
    expect(created.response.body).toMatchObject({ title: 'Later', run_count: 0 });

    // Readiness was asked before the close and answered after it: 503, shutting down.
    expect({
      status: ready.response.status,
      retryAfter: ready.response.headers['retry-after'],
      body: ready.response.body.status,
    }).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/), body: 'shutting_down' });

    // The pool is ended, and every connection through the proxy is gone.
    expect(pools.isEnded).toBe(true);
    await eventually('no connection left open', 5_000, () => proxy.openConnections === 0);
    // The server no longer accepts connections.
    await expect(request(url).get('/health/live')).rejects.toThrow(/ECONNREFUSED/);

    // What the in-flight requests wrote is there: their runs, the rating, the new turns, the new
    // thread.
    const { rows } = await database.query<{
      thread_id: string;
      prompt: string;
      sentiment: boolean;
    }>(
      `SELECT thread_id, prompt, sentiment FROM ${DEMO_SCHEMA}.users_threads_runs
        ORDER BY prompt`,
    );
    expect(rows).toEqual([
      { thread_id: ongoing, prompt: 'first', sentiment: true },
      { thread_id: newOne, prompt: 'hi', sentiment: null },
      { thread_id: ongoing, prompt: 'second', sentiment: null },
    ]);
    const titled = await database.query(
      `SELECT 1 FROM ${DEMO_SCHEMA}.users_threads WHERE thread_id = $1 AND title = 'Later'`,
      [created.response.body.thread_id],
    );
    expect(titled.rows).toHaveLength(1);
    const checkpoints = await checkpointRows(database, newOne, DEMO_SCHEMA);
    expect(checkpoints.checkpoints).toBeGreaterThan(0);
  });
});
