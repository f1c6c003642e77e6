/**
 * Boot behaviour when the database is unreachable: bounded, logged retries, then one clear error
 * naming host, port and database (never the password), or the opt-in in-memory fallback.
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
import { bootCheckpointer } from '../../support/app';
import { LogCapture } from '../../support/log-capture';

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
