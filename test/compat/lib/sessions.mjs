import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppProcess } from './app.mjs';
import { expect } from './report.mjs';

// A fixture's real processes, one after another on one database, each checked over HTTP and at
// its SIGTERM. `context`: { dir, env, logFile, label, report, proxy, database, apps }.

/**
 * Three processes on one database: the README's own main.js; the probes with
 * `@UseInterceptors(RetryInterceptor)`; after a restart, the probes with `APP_INTERCEPTOR`, which
 * must see the conversation the previous process wrote.
 */
export async function drive(context) {
  const thread = `compat-${randomBytes(4).toString('hex')}`;
  const text = `hello from ${path.basename(context.dir)}`;
  await session(context, 'README main.js', { entry: 'dist/main.js' }, []);
  await session(
    context,
    '@UseInterceptors',
    { entry: 'dist/probes/main.js', wiring: 'UseInterceptors' },
    [
      ['POST a LangGraph turn', (app) => postTurn(app, thread, text)],
      ['a real 57P01 is retried', (app) => retriesTermination(app, 'use-interceptors')],
      [
        'a non-database ECONNRESET leaves the pool alone',
        (app) => leavesPoolAlone(app, 'use-interceptors'),
      ],
    ],
  );
  await session(
    context,
    'APP_INTERCEPTOR',
    { entry: 'dist/probes/main.js', wiring: 'APP_INTERCEPTOR' },
    [
      ['after the restart, GET shows the turn', (app) => showsTurn(app, thread, text)],
      ['a real 57P01 is retried', (app) => retriesTermination(app, 'app-interceptor')],
      [
        'a non-database ECONNRESET leaves the pool alone',
        (app) => leavesPoolAlone(app, 'app-interceptor'),
      ],
      [
        '/health/ready is 503 with the database cut, 200 once back',
        (app) => readinessFollowsDatabase(app, context.proxy),
      ],
    ],
  );
}

/** Boots one process, runs `steps` against it, then stops it with SIGTERM and checks the exit. */
async function session(context, name, { entry, wiring }, steps) {
  const { label, report } = context;
  let app;
  const booted = await report.check(
    label(`${name}: node ${entry} boots (forRootAsync from ConfigService), /health/ready 200`),
    async () => {
      app = await AppProcess.spawn({
        cwd: context.dir,
        entry,
        env: wiring === undefined ? context.env : { ...context.env, COMPAT_RETRY_WIRING: wiring },
        logFile: context.logFile,
      });
      context.apps.push(app); // its output is searched for the password even if it never boots
      await app.ready();
    },
  );
  const all = [
    ...steps.map(([step]) => step),
    'SIGTERM: clean exit, every connection closed, 0 backends left',
  ];
  if (!booted) {
    for (const step of all) report.skip(label(`${name}: ${step}`), 'the process did not boot');
    return;
  }
  for (const [step, fn] of steps) await report.check(label(`${name}: ${step}`), () => fn(app));
  await report.check(label(`${name}: ${all.at(-1)}`), () => stopsCleanly(app, context));
}

async function postTurn(app, thread, text) {
  const { status, body } = await app.request('POST', `/chat/${thread}`, { text });
  expect(status === 201 && body.reply === 'message 2', `got ${status} ${JSON.stringify(body)}`);
}

async function showsTurn(app, thread, text) {
  const { status, body } = await app.request('GET', `/chat/${thread}`);
  const expected = JSON.stringify([text, 'message 2']);
  expect(
    status === 200 && JSON.stringify(body.messages) === expected,
    `got ${status} ${JSON.stringify(body)}`,
  );
}

async function metrics(app) {
  const { status, body } = await app.request('GET', '/probes/metrics');
  expect(status === 200, `/probes/metrics answered ${status}`);
  return body;
}

async function retriesTermination(app, probes) {
  const { status, body } = await app.request('GET', `/probes/${probes}/terminate`);
  expect(
    status === 200 && body.attempts === 2,
    `expected 200 after 2 attempts, got ${status} ${JSON.stringify(body)}`,
  );
  return '200 after 2 attempts';
}

async function leavesPoolAlone(app, probes) {
  const before = (await metrics(app)).pool.recreations;
  const { status, body } = await app.request('GET', `/probes/${probes}/econnreset`);
  const after = (await metrics(app)).pool.recreations;
  const answer = `answered ${status} ${JSON.stringify(body)}`;
  expect(
    after === before,
    `pool.recreations ${before} -> ${after}: the pool was replaced for an error that never touched it (${answer})`,
  );
  return `${answer}, pool.recreations unchanged`;
}

async function readinessFollowsDatabase(app, proxy) {
  proxy.cut();
  try {
    const { status } = await app.request('GET', '/health/ready');
    expect(status === 503, `with the database cut, /health/ready answered ${status}`);
  } finally {
    proxy.allow();
  }
  const recovered = await eventually(
    async () => (await app.request('GET', '/health/ready')).status === 200,
    10_000,
  );
  expect(recovered, '/health/ready did not return to 200 within 10 s of the database coming back');
}

/**
 * SIGTERM: the process exits by itself (0, or the re-raised signal, as Nest's shutdown hooks do),
 * every connection it had open ended with PostgreSQL's Terminate message (the pool was ended, not
 * dropped by the dying process), and no backend of its database is left.
 */
async function stopsCleanly(app, { proxy, database }) {
  // A readiness ping first, so the pool holds a connection whose closing can be watched.
  const { status } = await app.request('GET', '/health/ready');
  expect(status === 200, `/health/ready answered ${status} before the SIGTERM`);
  const open = [...proxy.openConnections()];
  expect(open.length > 0, 'no connection open through the proxy before the SIGTERM');
  const exit = await app.stop('SIGTERM');
  expect(exit.code === 0 || exit.signal === 'SIGTERM', `exited with ${JSON.stringify(exit)}`);
  await Promise.race([Promise.all(open.map((connection) => connection.closed)), sleep(5000)]);
  const dropped = open.filter((connection) => !connection.saidGoodbye).length;
  expect(dropped === 0, `${dropped} of ${open.length} connection(s) closed without Terminate`);
  const gone = await eventually(async () => (await database.backends()) === 0, 5000);
  expect(gone, `${await database.backends()} backend(s) still connected 5 s after the exit`);
  return `exit ${exit.signal ?? exit.code}, ${open.length} connection(s) ended with Terminate`;
}

/** Polls `condition` every 100 ms until it holds or `ms` pass. */
async function eventually(condition, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}
