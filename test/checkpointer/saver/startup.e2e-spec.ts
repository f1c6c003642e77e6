/**
 * Boot behaviour when the database is unreachable: bounded, logged retries, then one clear error
 * naming host, port and database (never the password), or the opt-in in-memory fallback. When the
 * server answers and refuses (credentials, authorization, no such database), no retry: one
 * attempt, and an error that says what to check.
 */
import net from 'node:net';
import { HealthIndicatorService } from '@nestjs/terminus';
import { MemorySaver } from '@langchain/langgraph-checkpoint';
import {
  CHECKPOINTER_LOG_CONTEXT,
  CheckpointerConfigError,
  CheckpointerConnectionError,
  CheckpointerHealthIndicator,
  SchemaService,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import { randomBytes } from 'node:crypto';
import { bootCheckpointer } from '../../support/app';
import { TEST_DATABASE_URL, createTestDatabase, urlOfDatabase } from '../../support/database';
import { queryOnce } from '../../support/server-database';
import { FakePostgres, type Refusal } from '../../support/fake-postgres';
import { LogCapture } from '../../support/log-capture';
import { itOnRealPostgres } from '../../support/real-postgres';

const PASSWORD = 'hunter2-do-not-log';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server that accepts TCP connections and never answers: a black-holed database. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let logs: LogCapture;

beforeEach(() => {
  logs = new LogCapture();
});

describe('boot with an unreachable database', () => {
  it('retries a bounded number of times, logging each try, then names host, port and database', async () => {
    const port = await closedPort();
    const started = performance.now();
    const boot = bootCheckpointer(
      {
        host: '127.0.0.1',
        port,
        user: 'app',
        password: PASSWORD,
        database: 'agents',
        retryAttempts: 2,
        retryDelayMs: 200,
        logger: true,
      },
      { logger: logs },
    );

    const error = await boot.then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;

    expect(error).toBeInstanceOf(CheckpointerConnectionError);
    const message = (error as Error).message;
    expect(message).toContain(`host 127.0.0.1, port ${port}, database "agents"`);
    expect(message).toContain('after 3 attempt(s)');
    expect(message).toContain('ECONNREFUSED');
    expect((error as CheckpointerConnectionError).attempts).toBe(3);
    // Two pauses of 200 ms, and refused connections fail fast: bounded, not hanging.
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(5_000);

    const tries = logs.of(CHECKPOINTER_LOG_CONTEXT).filter((l) => l.level === 'warn');
    expect(tries.map((l) => l.message)).toEqual([
      expect.stringMatching(/unreachable \(attempt 1\/3\).*retrying in 200 ms/),
      expect.stringMatching(/unreachable \(attempt 2\/3\).*retrying in 200 ms/),
    ]);
    expect(logs.text()).not.toContain(PASSWORD);
    expect(message).not.toContain(PASSWORD);
  });

  it('bounds each attempt by connectTimeoutMs when the server never answers', async () => {
    const blackhole = await silentServer();
    try {
      const started = performance.now();
      await expect(
        bootCheckpointer({
          connectionString: `postgres://app:${PASSWORD}@127.0.0.1:${blackhole.port}/agents`,
          retryAttempts: 1,
          retryDelayMs: 100,
          connection: { connectTimeoutMs: 300 },
        }),
      ).rejects.toThrow(
        new RegExp(`host 127\\.0\\.0\\.1, port ${blackhole.port}, database "agents" after 2`),
      );
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(2 * 300 + 100);
      expect(elapsed).toBeLessThan(5_000);
    } finally {
      await blackhole.close();
    }
  });

  it("with fallback: 'memory', boots on an in-memory saver, warns loudly, and reports down", async () => {
    const app = await bootCheckpointer(
      {
        host: '127.0.0.1',
        port: await closedPort(),
        user: 'app',
        database: 'agents',
        retryAttempts: 0,
        fallback: 'memory',
        logger: true,
      },
      { logger: logs },
    );
    try {
      expect(app.get(getCheckpointerToken())).toBeInstanceOf(MemorySaver);
      const loud = logs.of(CHECKPOINTER_LOG_CONTEXT).filter((l) => l.level === 'error');
      expect(loud).toHaveLength(1);
      expect(loud[0].message).toMatch(/IN-MEMORY checkpointer.*NOT persisted/);
      const health = await app.get(CheckpointerHealthIndicator).isHealthy('checkpointer');
      expect(health).toEqual({
        checkpointer: expect.objectContaining({ status: 'down', saver: 'memory' }),
      });
      // Migrations were not attempted against a database that is not there.
      expect(logs.text()).toContain('schema: skipped, the module runs on the in-memory fallback');
      expect(app.get(SchemaService)).toBeDefined();
      expect(app.get(HealthIndicatorService)).toBeDefined();
    } finally {
      await app.close();
    }
  });

  it('logger: false silences the module entirely', async () => {
    await expect(
      bootCheckpointer(
        {
          host: '127.0.0.1',
          port: await closedPort(),
          user: 'app',
          database: 'agents',
          retryAttempts: 1,
          retryDelayMs: 10,
          logger: false,
        },
        { logger: logs },
      ),
    ).rejects.toBeInstanceOf(CheckpointerConnectionError);
    expect(logs.of(CHECKPOINTER_LOG_CONTEXT)).toEqual([]);
  });

  it('invalid options fail the boot with the one error listing every problem', async () => {
    await expect(
      bootCheckpointer({ host: 'db', port: 'abc' as unknown as number, pool: { max: 0 } }),
    ).rejects.toThrow(
      new CheckpointerConfigError([
        'port must be an integer 1-65535, got "abc"',
        'pool.max must be an integer >= 1, got 0',
      ]),
    );
  });
});

/** Boots against `port` with startup retries that would take a minute, and returns the failure. */
async function refusedBoot(
  target: { port: number; database?: string; user?: string; host?: string },
  extra: Record<string, unknown> = {},
) {
  const started = performance.now();
  const error = await bootCheckpointer(
    {
      host: target.host ?? '127.0.0.1',
      port: target.port,
      user: target.user ?? 'app',
      password: PASSWORD,
      database: target.database ?? 'agents',
      retryAttempts: 5,
      retryDelayMs: 10_000,
      logger: true,
      ...extra,
    },
    { logger: logs },
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error: error as CheckpointerConnectionError, elapsed: performance.now() - started };
}

describe('boot refused by PostgreSQL', () => {
  let server: FakePostgres | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each<[string, Refusal, string]>([
    [
      'a wrong password (28P01)',
      {
        code: '28P01',
        message: 'password authentication failed for user "app"',
        askPassword: true,
      },
      'refused the credentials of user "app" (28P01 invalid_password: password authentication failed for user "app"): check the user and password',
    ],
    [
      'no pg_hba.conf entry (28000)',
      {
        code: '28000',
        message:
          'no pg_hba.conf entry for host "127.0.0.1", user "app", database "agents", no encryption',
      },
      'refused user "app" (28000 invalid_authorization_specification: no pg_hba.conf entry for host "127.0.0.1", user "app", database "agents", no encryption): check that the role exists and that pg_hba.conf admits it from this host',
    ],
  ])(
    '%s: one attempt, a message that says what to check, no password',
    async (_, refusal, says) => {
      server = await FakePostgres.start(refusal);
      const { error, elapsed } = await refusedBoot({ port: server.port });

      expect(error).toBeInstanceOf(CheckpointerConnectionError);
      expect(error.message).toBe(
        `PostgreSQL at host 127.0.0.1, port ${server.port}, database "agents" ${says}. ` +
          'Not retried: retrying cannot fix it.',
      );
      expect(error).toMatchObject({ attempts: 1, code: refusal.code, permanent: true });
      expect(server.startups).toBe(1);
      expect(elapsed).toBeLessThan(5_000);
      if (refusal.askPassword === true) expect(server.passwords).toEqual([PASSWORD]);
      expect(logs.of(CHECKPOINTER_LOG_CONTEXT).filter((l) => l.level === 'warn')).toEqual([]);
      expect(logs.text()).not.toContain(PASSWORD);
      expect(`${error.message} ${String(error.cause)}`).not.toContain(PASSWORD);
    },
  );

  it('a server asking for a SCRAM password and none configured (or an empty one): one attempt, says what to set', async () => {
    server = await FakePostgres.start({
      code: '28P01',
      message: 'password authentication failed',
      askScram: true,
    });
    for (const password of [undefined, '']) {
      const started = performance.now();
      const error = (await bootCheckpointer(
        {
          host: '127.0.0.1',
          port: server.port,
          user: 'app',
          ...(password === undefined ? {} : { password }),
          database: 'agents',
          retryAttempts: 5,
          retryDelayMs: 10_000,
          logger: true,
        },
        { logger: logs },
      ).catch((e: unknown) => e)) as CheckpointerConnectionError;
      expect(error).toBeInstanceOf(CheckpointerConnectionError);
      expect(error).toMatchObject({ attempts: 1, code: undefined, permanent: true });
      expect(error.message).toBe(
        `PostgreSQL at host 127.0.0.1, port ${server.port}, database "agents" asks user "app" ` +
          'for a password and none is set (pg: SASL: SCRAM-SERVER-FIRST-MESSAGE: client password ' +
          'must be a string): set connection.password, or the password in connectionString. ' +
          'Not retried: retrying cannot fix it.',
      );
      expect(performance.now() - started).toBeLessThan(5_000);
    }
    expect(server.startups).toBe(2);
    expect(logs.of(CHECKPOINTER_LOG_CONTEXT).filter((l) => l.level === 'warn')).toEqual([]);
  });

  it("even with fallback: 'memory' it fails at once: a refusal is a mistake to fix, not an outage to ride out", async () => {
    server = await FakePostgres.start({ code: '28P01', message: 'password authentication failed' });
    const error = await bootCheckpointer(
      {
        host: '127.0.0.1',
        port: server.port,
        user: 'app',
        password: PASSWORD,
        database: 'agents',
        retryAttempts: 5,
        retryDelayMs: 10_000,
        fallback: 'memory',
        logger: true,
      },
      { logger: logs },
    ).catch((e: unknown) => e as CheckpointerConnectionError);
    expect(error).toBeInstanceOf(CheckpointerConnectionError);
    expect(error).toMatchObject({ permanent: true, code: '28P01' });
    expect(server.startups).toBe(1);
    expect(logs.text()).not.toContain('FALLBACK');
    expect(logs.text()).not.toContain(PASSWORD);
  });

  itOnRealPostgres('a database that does not exist (3D000): one attempt, named', async () => {
    const server = new URL(urlOfDatabase('postgres'));
    const missing = `cp_missing_${randomBytes(4).toString('hex')}`;
    const { error, elapsed } = await refusedBoot({
      host: server.hostname,
      port: Number(server.port || 5432),
      user: decodeURIComponent(server.username) || 'postgres',
      database: missing,
    });
    expect(error).toBeInstanceOf(CheckpointerConnectionError);
    expect(error.message).toBe(
      `PostgreSQL at host ${server.hostname}, port ${server.port || 5432} has no database "${missing}" ` +
        `(3D000 invalid_catalog_name: database "${missing}" does not exist): check the database name, or create it. ` +
        'Not retried: retrying cannot fix it.',
    );
    expect(error).toMatchObject({ attempts: 1, code: '3D000', permanent: true });
    expect(elapsed).toBeLessThan(5_000);
    expect(logs.text()).not.toContain(PASSWORD);
  });

  itOnRealPostgres(
    'a role without CONNECT on the database (42501): one attempt, named',
    async () => {
      const database = await createTestDatabase('no_connect');
      const role = `cp_no_connect_${randomBytes(3).toString('hex')}`;
      await database.query(
        `CREATE ROLE ${role} LOGIN; REVOKE CONNECT ON DATABASE "${database.name}" FROM PUBLIC`,
      );
      try {
        const url = new URL(database.url);
        const { error } = await refusedBoot({
          host: url.hostname,
          port: Number(url.port || 5432),
          user: role,
          database: database.name,
        });
        expect(error.message).toBe(
          `PostgreSQL at host ${url.hostname}, port ${url.port || 5432}, database "${database.name}" ` +
            `refused user "${role}" the CONNECT privilege (42501 insufficient_privilege: permission denied for database "${database.name}"): ` +
            `grant it with GRANT CONNECT ON DATABASE "${database.name}" TO "${role}". Not retried: retrying cannot fix it.`,
        );
        expect(error).toMatchObject({ attempts: 1, code: '42501', permanent: true });
      } finally {
        await database.drop();
        await queryOnce(TEST_DATABASE_URL, `DROP ROLE ${role}`);
      }
    },
  );
});
