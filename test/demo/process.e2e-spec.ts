/**
 * The demo as a user runs it, in processes of its own: `npm run token -- alice@example.com`
 * (which builds) prints a token, `node dist/main.js` boots from the environment, accepts that
 * token, and on SIGTERM shuts down cleanly. No JWT_SECRET and NODE_ENV=development, as on a fresh
 * machine: the token script and the app share the generated development secret.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { DEMO_SCHEMA } from './demo.fixture';

const run = promisify(execFile);
/** SHUTDOWN_GRACE_MS of the spawned app. */
const GRACE_MS = 1500;
const ROOT = join(__dirname, '..', '..');

let database: TestDatabase;
let dataRoot: string;
let env: NodeJS.ProcessEnv;
let token: string;
/** A token minted for exactly JWT_MAX_TTL_SECONDS (the default, a day). */
let dayToken: string;

/** A port free right now on 127.0.0.1 (the app's PORT must be 1-65535, not 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The process's environment without any demo variable, plus `demo`. */
function environment(demo: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = { ...process.env };
  for (const name of Object.keys(inherited)) {
    if (/^(PG|DATABASE_URL|MIGRATION_DATABASE_URL|JWT_SECRET|DEMO_|CHECKPOINTER_)/.test(name)) {
      delete inherited[name];
    }
  }
  return { ...inherited, NODE_ENV: 'development', ...demo };
}

beforeAll(async () => {
  database = await createTestDatabase('demo_process');
  dataRoot = mkdtempSync(join(tmpdir(), 'demo-process-'));
  env = environment({
    DATABASE_URL: database.url,
    CHECKPOINTER_SCHEMA: DEMO_SCHEMA,
    DEMO_DATA_DIR: join(dataRoot, 'pglite'),
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
  });
  // Exactly what the README tells a new user to run (it builds first).
  const { stdout } = await run('npm', ['run', '--silent', 'token', '--', 'alice@example.com'], {
    cwd: ROOT,
    env,
  });
  token = stdout.trim();
});

afterAll(async () => {
  await database.drop();
  rmSync(dataRoot, { recursive: true, force: true });
});

it('npm run token prints one signed token for the email, and nothing else', () => {
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, number>);
  expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
  expect(payload).toEqual({
    email: 'alice@example.com',
    iat: expect.any(Number),
    exp: expect.any(Number),
  });
  expect(payload.exp - payload.iat).toBe(12 * 3600);
});

it('the token script says how to use it when the email is missing', async () => {
  const failed = run('node', ['dist/demo/token.js'], { cwd: ROOT, env }).catch(
    (error: { code?: number; stdout?: string; stderr?: string }) => error,
  );
  await expect(failed).resolves.toMatchObject({
    code: 2,
    stdout: '',
    stderr: expect.stringContaining('usage: npm run token -- <email>'),
  });
});

it('the token script refuses an expiry past JWT_MAX_TTL_SECONDS, or one it cannot read', async () => {
  const mint = (...args: string[]) =>
    run('node', ['dist/demo/token.js', 'alice@example.com', ...args], { cwd: ROOT, env }).catch(
      (error: { code?: number; stdout?: string; stderr?: string }) => error,
    );
  await expect(mint('25h')).resolves.toMatchObject({
    code: 2,
    stdout: '',
    stderr: expect.stringContaining('longer than JWT_MAX_TTL_SECONDS (86400 s)'),
  });
  await expect(mint('12')).resolves.toMatchObject({
    code: 2,
    stdout: '',
    stderr: expect.stringContaining('expires-in must be a whole number with a unit'),
  });
  // Exactly the cap is a token the app accepts (the next describe's app shares the secret).
  const { stdout } = await run('node', ['dist/demo/token.js', 'alice@example.com', '1d'], {
    cwd: ROOT,
    env,
  });
  const payload = JSON.parse(Buffer.from(stdout.trim().split('.')[1], 'base64url').toString()) as {
    iat: number;
    exp: number;
  };
  expect(payload.exp - payload.iat).toBe(86_400);
  dayToken = stdout.trim();
});

describe('node dist/main.js', () => {
  let app: ChildProcess;
  let output = '';
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  const base = () => `http://127.0.0.1:${env.PORT}`;

  beforeAll(async () => {
    // With a grace period after SIGTERM, as behind a load balancer.
    app = spawn('node', ['dist/main.js'], {
      cwd: ROOT,
      env: { ...env, SHUTDOWN_GRACE_MS: String(GRACE_MS) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    app.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) =>
      app.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await eventually(
      'the app answers /health/ready 200',
      30_000,
      async () => {
        if (app.exitCode !== null) throw new Error(`the app exited early:\n${output}`);
        const response = await fetch(`${base()}/health/ready`).catch(() => undefined);
        return response?.status === 200;
      },
      100,
    );
  });

  afterAll(() => {
    if (app.exitCode === null && app.signalCode === null) app.kill('SIGKILL');
  });

  it('accepts the token from npm run token, and refuses one signed with another secret', async () => {
    // As the README's quick start: create a thread, then run on it.
    const created = await fetch(`${base()}/threads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(created.status).toBe(201);
    const { thread_id: threadId } = (await created.json()) as { thread_id: string };
    const turn = await fetch(`${base()}/threads/${threadId}/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Hello!' }),
    });
    expect(turn.status).toBe(201);
    const longest = await fetch(`${base()}/threads`, {
      headers: { authorization: `Bearer ${dayToken}` },
    });
    expect(longest.status).toBe(200);
    expect(await turn.json()).toEqual({
      runId: expect.any(String),
      threadId,
      reply: 'You said "Hello!". This is message 2 of this conversation.',
    });

    // Another data directory, another generated secret: its tokens are not this app's.
    const { stdout } = await run('node', ['dist/demo/token.js', 'alice@example.com'], {
      cwd: ROOT,
      env: { ...env, DEMO_DATA_DIR: join(dataRoot, 'elsewhere', 'pglite') },
    });
    const foreign = await fetch(`${base()}/threads`, {
      headers: { authorization: `Bearer ${stdout.trim()}` },
    });
    expect(foreign.status).toBe(401);
  });

  it('logs where it listens and how to get a token, never the secret', () => {
    expect(output).toContain(`listening on http://127.0.0.1:${env.PORT}`);
    expect(output).toContain('npm run token -- alice@example.com');
    const secret = readFileSync(join(dataRoot, 'dev-jwt-secret'), 'utf8').trim();
    expect(output).not.toContain(secret);
  });

  it('shuts down cleanly on SIGTERM: drains with readiness 503, then the hooks run and it ends', async () => {
    app.kill('SIGTERM');
    // During the grace period it still serves: not ready (shutting down), but alive.
    let ready: Response | undefined;
    await eventually(
      'readiness reports shutting down',
      GRACE_MS,
      async () => {
        ready = await fetch(`${base()}/health/ready`);
        return ready.status === 503;
      },
      50,
    );
    expect(await ready?.json()).toMatchObject({ status: 'shutting_down' });
    expect((await fetch(`${base()}/health/live`)).status).toBe(200);
    const exit = await exited;
    // Nest runs the shutdown hooks, then re-raises the signal on itself.
    expect([exit, output]).toEqual([{ code: null, signal: 'SIGTERM' }, expect.any(String)]);
    expect(output).not.toMatch(/\bERROR\b/);
    // The pool was ended by its shutdown hook, and every connection of it is gone.
    expect(output).toContain('connection pool closed');
    const { rows } = await database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    expect(rows).toEqual([{ n: 0 }]);
  });
});
