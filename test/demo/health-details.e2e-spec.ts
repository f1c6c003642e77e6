/**
 * `/health/ready` is unauthenticated: in production it answers its status alone (no driver error
 * text, pool counters or schema versions) unless `HEALTH_DETAILS=true`; development and test show
 * the details. The status codes are the same either way. Needs a real server (the proxy that
 * takes the database away), like outage.spec.ts.
 */
import { TEST_DATABASE_URL } from '../support/database';
import { bootDemoApp } from '../support/demo-app';
import { describeOnRealPostgres } from '../support/real-postgres';
import { TcpProxy } from '../support/tcp-proxy';
import { type DemoFixture, DEMO_SCHEMA, startDemo } from './demo.fixture';

const server = new URL(TEST_DATABASE_URL);
const STATUS_ONLY_UP = { status: 'ok', info: {}, error: {}, details: {} };
const STATUS_ONLY_DOWN = { status: 'error', info: {}, error: {}, details: {} };

describeOnRealPostgres('readiness details', () => {
  let proxy: TcpProxy;
  let production: DemoFixture;

  beforeAll(async () => {
    proxy = await TcpProxy.start({ host: server.hostname, port: Number(server.port || 5432) });
    production = await startDemo('demo_health', (database) => ({
      NODE_ENV: 'production',
      DATABASE_URL: proxy.urlFor(database.url),
      MIGRATION_DATABASE_URL: database.url,
    }));
  });

  afterAll(async () => {
    proxy.allow();
    await production.close();
    await proxy.close();
  });

  it('production: the status alone, up and down, with the same codes', async () => {
    const up = await production.demo.http().get('/health/ready');
    expect({ status: up.status, body: up.body as unknown }).toEqual({
      status: 200,
      body: STATUS_ONLY_UP,
    });

    proxy.refuse(60_000);
    try {
      const down = await production.demo.http().get('/health/ready');
      expect({
        status: down.status,
        retryAfter: down.headers['retry-after'],
        body: down.body as unknown,
      }).toEqual({
        status: 503,
        retryAfter: expect.stringMatching(/^\d+$/),
        body: STATUS_ONLY_DOWN,
      });
      expect(down.text).not.toMatch(/ECONN|127\.0\.0\.1|pool|schema|latency/i);
      expect((await production.demo.http().get('/health/live')).status).toBe(200);
    } finally {
      proxy.allow();
    }
  });

  it.each([
    ['production with HEALTH_DETAILS=true', { NODE_ENV: 'production', HEALTH_DETAILS: 'true' }],
    ['development', { NODE_ENV: 'development' }],
    ['test', { NODE_ENV: 'test' }],
  ])('%s: the details, down with the reason', async (_case, env) => {
    const demo = await bootDemoApp({
      ...env,
      DATABASE_URL: proxy.urlFor(production.database.url),
      MIGRATION_DATABASE_URL: production.database.url,
      CHECKPOINTER_SCHEMA: DEMO_SCHEMA,
    });
    try {
      const up = await demo.http().get('/health/ready');
      expect(up.status).toBe(200);
      expect(up.body).toMatchObject({
        status: 'ok',
        info: {
          checkpointer: { status: 'up', pool: expect.any(Object), schema: expect.any(Object) },
        },
      });
      proxy.refuse(60_000);
      const down = await demo.http().get('/health/ready');
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({
        status: 'error',
        error: { checkpointer: { status: 'down', message: expect.any(String) } },
      });
    } finally {
      proxy.allow();
      await demo.close();
    }
  });

  it('HEALTH_DETAILS=false hides them in development too; anything but true or false is refused', async () => {
    const explicit = await bootDemoApp({
      NODE_ENV: 'development',
      HEALTH_DETAILS: 'false',
      DATABASE_URL: production.database.url,
      CHECKPOINTER_SCHEMA: DEMO_SCHEMA,
    });
    try {
      expect((await explicit.http().get('/health/ready')).body).toEqual(STATUS_ONLY_UP);
    } finally {
      await explicit.close();
    }
    await expect(
      bootDemoApp({ DATABASE_URL: production.database.url, HEALTH_DETAILS: 'yes' }),
    ).rejects.toThrow('HEALTH_DETAILS must be true or false, got "yes"');
  });
});
