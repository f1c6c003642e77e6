/**
 * The embedded database's worker failing after the app started (PGlite crashing, or its worker
 * exiting): logged once, the process stays up, requests answer 503 and readiness is down, and the
 * app still shuts down, releasing the lock. (Each case boots PGlite: seconds and ~0.7 GB.)
 */
import type { Worker } from 'node:worker_threads';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DemoDatabase } from '../../src/demo/database/demo-database';
import type { EmbeddedDatabase } from '../../src/demo/database/embedded-database';
import { bootDemoApp } from '../support/demo-app';
import { eventually } from '../support/eventually';
import { LogCapture } from '../support/log-capture';

let dataRoot: string;

beforeAll(() => {
  dataRoot = mkdtempSync(join(tmpdir(), 'demo-embedded-failure-'));
});

afterAll(() => {
  rmSync(dataRoot, { recursive: true, force: true });
});

/** The embedded database's worker thread (private: reached into, to break it). */
function workerOf(database: DemoDatabase): Worker {
  const embedded = (database as unknown as { embedded: EmbeddedDatabase }).embedded;
  return (embedded as unknown as { worker: Worker }).worker;
}

it.each([
  [
    'its worker throws (as a PGlite abort would)',
    async (worker: Worker) => {
      // What Node does with an uncaught error in a worker: 'error', then the thread ends.
      worker.emit('error', new Error('RuntimeError: Aborted(). Build with -sASSERTIONS'));
      await worker.terminate();
    },
    'RuntimeError: Aborted()',
  ],
  [
    'its worker exits',
    async (worker: Worker) => {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage('stop'); // the worker's own shutdown, not asked for by the app
      await exited;
    },
    'its worker exited with code 0',
  ],
])('%s: logged, 503s and readiness down, the process lives on', async (_case, breakIt, reason) => {
  const dataDir = join(dataRoot, `pglite-${reason.length}`);
  const logs = new LogCapture();
  const demo = await bootDemoApp(
    { NODE_ENV: 'development', DEMO_DATA_DIR: dataDir },
    { logger: logs },
  );
  let closed = false;
  try {
    const alice = demo.bearer('alice@example.com');
    const created = await demo.http().post('/threads').set('Authorization', alice);
    expect(created.status).toBe(201);
    const path = `/threads/${(created.body as { thread_id: string }).thread_id}/runs`;
    const say = () => demo.http().post(path).set('Authorization', alice).send({ prompt: 'hi' });
    expect((await say()).status).toBe(201);

    await breakIt(workerOf(demo.app.get(DemoDatabase)));

    await eventually('readiness reports the database down', 10_000, async () => {
      return (await demo.http().get('/health/ready')).status === 503;
    });
    const refused = await say();
    expect({ status: refused.status, body: refused.body as unknown }).toEqual({
      status: 503,
      body: {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'The database is temporarily unavailable; retry later.',
      },
    });
    expect((await demo.http().get('/health/live')).status).toBe(200);
    expect(logs.of('DemoDatabase').filter((line) => line.level === 'error')).toEqual([
      expect.objectContaining({
        message: expect.stringContaining(`stopped unexpectedly (${reason}`),
      }),
    ]);

    // Shutdown does not wait for a worker that is gone, and releases the lock.
    await Promise.race([
      demo.close(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('close() hung')), 15_000)),
    ]);
    closed = true;
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  } finally {
    if (!closed) await demo.close().catch(() => undefined);
  }
});
