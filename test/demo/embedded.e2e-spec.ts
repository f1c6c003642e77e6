/**
 * The zero-setup path: with no DATABASE_URL or PGHOST, the demo runs on an embedded PGlite
 * database in DEMO_DATA_DIR, says so once, keeps its data across restarts, and refuses a second
 * app on the same directory while the first runs (a lock left by a dead process is taken over).
 * With a database configured, the embedded one is never started. (Each PGlite boot costs seconds
 * and ~0.7 GB: this file boots it twice.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DemoDatabase } from '../../src/demo/database/demo-database';
import { EmbeddedDatabase } from '../../src/demo/database/embedded-database';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { type DemoApp, type DemoEnv, bootDemoApp } from '../support/demo-app';
import { LogCapture } from '../support/log-capture';
import type { ThreadDetailBody } from './demo.fixture';

const ALICE = 'alice@example.com';

let dataRoot: string;
const apps: DemoApp[] = [];

beforeAll(() => {
  dataRoot = mkdtempSync(join(tmpdir(), 'demo-embedded-'));
});

afterAll(async () => {
  // Whatever a failed test left open.
  for (const app of apps) await app.close().catch(() => undefined);
  rmSync(dataRoot, { recursive: true, force: true });
});

async function boot(env: DemoEnv, logs?: LogCapture): Promise<DemoApp> {
  const demo = await bootDemoApp(env, { logger: logs });
  apps.push(demo);
  return demo;
}

async function close(demo: DemoApp): Promise<void> {
  apps.splice(apps.indexOf(demo), 1);
  await demo.close();
}

/** Creates Alice's thread through `POST /threads`; its id. */
async function newThread(demo: DemoApp): Promise<string> {
  const response = await demo.http().post('/threads').set('Authorization', demo.bearer(ALICE));
  expect(response.status).toBe(201);
  return (response.body as { thread_id: string }).thread_id;
}

async function say(demo: DemoApp, threadId: string, prompt: string, token = demo.tokenFor(ALICE)) {
  const response = await demo
    .http()
    .post(`/threads/${threadId}/runs`)
    .set('Authorization', `Bearer ${token}`)
    .send({ prompt });
  expect(response.status).toBe(201);
  return (response.body as { reply: string }).reply;
}

it('no database configured: embedded PGlite in DEMO_DATA_DIR, persistent, locked while in use', async () => {
  const dataDir = join(dataRoot, 'pglite');
  // What `npm start` sees on a fresh machine: no database, no secret, development.
  const env: DemoEnv = { NODE_ENV: 'development', JWT_SECRET: undefined, DEMO_DATA_DIR: dataDir };
  // A lock left behind by a process that died is taken over.
  const lockFile = `${dataDir}.lock`;
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  writeFileSync(lockFile, String(dead));
  const logs = new LogCapture();
  const first = await boot(env, logs);

  expect(first.app.get(DemoDatabase).kind).toBe('embedded');
  const said = logs.of('DemoDatabase').map((line) => [line.level, line.message]);
  expect(said).toEqual([
    ['warn', expect.stringContaining(`embedded PGlite database in ${dataDir}`)],
  ]);
  expect(said[0][1]).toMatch(/development only/);
  // A development secret was generated beside the data, readable by its owner only, and the log
  // says how to mint a token (never the secret itself).
  const secretFile = join(dataRoot, 'dev-jwt-secret');
  expect(statSync(secretFile).mode & 0o777).toBe(0o600);
  expect(logs.of('Auth').map((line) => line.message)).toEqual([
    expect.stringContaining('npm run token -- alice@example.com'),
  ]);
  expect(logs.text()).not.toContain(readFileSync(secretFile, 'utf8').trim());

  const kept = await newThread(first);
  expect(await say(first, kept, 'Hello')).toBe(
    'You said "Hello". This is message 2 of this conversation.',
  );
  const ready = await first.http().get('/health/ready');
  expect(ready.status).toBe(200);
  expect(ready.body.info.checkpointer).toMatchObject({ status: 'up', saver: 'postgres' });

  // A second app on the same directory while the first runs is refused, naming the holder.
  expect(readFileSync(lockFile, 'utf8')).toMatch(new RegExp(`^${process.pid} [0-9a-f]+\n$`));
  await expect(bootDemoApp(env)).rejects.toThrow(
    `the embedded database is in use by process ${process.pid}`,
  );
  // ...and its failure took nothing from the first.
  expect(await say(first, kept, 'Still me')).toBe(
    'You said "Still me". This is message 4 of this conversation.',
  );

  const token = first.tokenFor(ALICE);
  await close(first);
  expect(existsSync(lockFile)).toBe(false);

  // Started again on the same directory: the same data, and the same development secret (a token
  // minted before the restart still works).
  const againLogs = new LogCapture();
  const again = await boot(env, againLogs);
  expect(again.app.get(DemoDatabase).kind).toBe('embedded');
  const detail = await again.http().get(`/threads/${kept}`).set('Authorization', `Bearer ${token}`);
  expect(detail.status).toBe(200);
  expect((detail.body as ThreadDetailBody).messages.map((m) => m.content)).toEqual([
    'Hello',
    'You said "Hello". This is message 2 of this conversation.',
    'Still me',
    'You said "Still me". This is message 4 of this conversation.',
  ]);
  expect(await say(again, kept, 'Back', token)).toBe(
    'You said "Back". This is message 6 of this conversation.',
  );
  await close(again);
  expect(existsSync(lockFile)).toBe(false);
  // The pool closed before the embedded server stopped: nothing failed or was lost on the way
  // down; the only warnings are the two development notices of the boot.
  const warnings = againLogs.lines
    .filter((line) => line.level === 'error' || line.level === 'warn')
    .map((line) => `${line.level} ${line.context}`)
    .sort();
  expect(warnings).toEqual(['warn Auth', 'warn DemoDatabase']);
});

describe('a database configured', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('demo_configured');
  });

  afterAll(async () => {
    await database.drop();
  });

  const asUrl = (db: TestDatabase): DemoEnv => ({ DATABASE_URL: db.url });
  const asPgVariables = (db: TestDatabase): DemoEnv => {
    const url = new URL(db.url);
    return {
      PGHOST: url.hostname,
      PGPORT: url.port || '5432',
      PGUSER: decodeURIComponent(url.username),
      PGPASSWORD: decodeURIComponent(url.password) || undefined,
      PGDATABASE: url.pathname.slice(1),
      PGSSLMODE: 'disable',
    };
  };

  it.each([
    ['DATABASE_URL', asUrl],
    ['PGHOST and the other PG* variables', asPgVariables],
  ])('by %s: the embedded database is never started', async (_how, variables) => {
    const start = jest.spyOn(EmbeddedDatabase, 'start');
    const dataDir = join(dataRoot, 'never-used', 'pglite');
    try {
      const demo = await boot({ ...variables(database), DEMO_DATA_DIR: dataDir });
      expect(demo.app.get(DemoDatabase).kind).toBe('configured');
      expect(start).not.toHaveBeenCalled();
      expect(existsSync(join(dataRoot, 'never-used'))).toBe(false);
      expect(await say(demo, await newThread(demo), 'Configured')).toMatch(
        /^You said "Configured"/,
      );
      await close(demo);
    } finally {
      start.mockRestore();
    }
  });
});
