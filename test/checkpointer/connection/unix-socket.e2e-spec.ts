/**
 * The module over a Unix socket, for a database on the same host: the socket directory as a URL's
 * `host` parameter or as the discrete `host` option, a real graph run over it, and proof that the
 * backends serving the pool were reached by the socket (no client address), not by TCP.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import {
  CheckpointerHealthIndicator,
  CheckpointerModule,
  ConnectionProvider,
  PoolManager,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import { TEST_DATABASE_URL } from '../../support/database';
import { expectedConversation, runConversations, say } from '../../support/graphs';
import { ON_EMBEDDED_DATABASE } from '../../support/real-postgres';

/** The test server's socket directory (Debian's default), e.g. `TEST_DATABASE_SOCKET_DIR=/tmp`. */
const SOCKET_DIR = process.env.TEST_DATABASE_SOCKET_DIR ?? '/var/run/postgresql';
const server = new URL(TEST_DATABASE_URL);
const PORT = Number(server.port || 5432);
const USER = decodeURIComponent(server.username || 'postgres');
const SOCKET = join(SOCKET_DIR, `.s.PGSQL.${PORT}`);
const HAS_SOCKET = existsSync(SOCKET);

if (!HAS_SOCKET && !ON_EMBEDDED_DATABASE) {
  if (process.env.CI === 'true') throw new Error(`CI=true and no PostgreSQL socket at ${SOCKET}`);
  process.stderr.write(`unix-socket spec skipped: no PostgreSQL socket at ${SOCKET}\n`);
}
const describeOnSocket = HAS_SOCKET && !ON_EMBEDDED_DATABASE ? describe : describe.skip;

/** Whether every backend serving the pool was reached over a Unix socket (no client address). */
async function overSocket(app: INestApplicationContext): Promise<boolean[]> {
  const pools = app.get(PoolManager);
  const held = await Promise.all([pools.pool.connect(), pools.pool.connect()]);
  try {
    return await Promise.all(
      held.map(async (client) => {
        const { rows } = await client.query<{ socket: boolean }>(
          'SELECT inet_client_addr() IS NULL AS socket',
        );
        return rows[0].socket;
      }),
    );
  } finally {
    for (const client of held) client.release();
  }
}

async function conversationsOver(app: INestApplicationContext, prefix: string): Promise<void> {
  const saver = app.get<BaseCheckpointSaver>(getCheckpointerToken());
  const results = await runConversations(saver, { threads: 4, turns: 2, prefix });
  for (const [threadId, messages] of results) {
    expect(messages).toEqual(expectedConversation(2, (turn) => say(threadId, turn)));
  }
}

describeOnSocket('over a Unix socket', () => {
  const fixture = useCheckpointerDatabase('unix_socket', { schema: 'socket' });

  it('boots from a URL naming the socket directory, runs a graph, and its backends see a socket', async () => {
    const url = `postgresql://${encodeURIComponent(USER)}@/${fixture.database.name}?host=${encodeURIComponent(SOCKET_DIR)}&port=${PORT}`;
    const app = await fixture.boot({ connectionString: url, pool: { max: 2 } });
    await conversationsOver(app, 'url');
    expect(await overSocket(app)).toEqual([true, true]);
    expect(app.get(ConnectionProvider).describe()).toBe(
      `postgres://${USER}@/${fixture.database.name}?host=${SOCKET_DIR}&port=${PORT} (schema "socket")`,
    );
    // A socket is a direct connection: prepared statements on.
    expect(app.get(CheckpointerModule).metrics().preparedStatements.active).toBe(true);
    await expect(app.get(CheckpointerHealthIndicator).isHealthy('db')).resolves.toMatchObject({
      db: { status: 'up' },
    });
  });

  it('boots from the discrete host option set to the socket directory', async () => {
    const app = await fixture.boot({
      connectionString: undefined,
      host: SOCKET_DIR,
      port: PORT,
      user: USER,
      database: fixture.database.name,
      pool: { max: 2 },
    });
    await conversationsOver(app, 'discrete');
    expect(await overSocket(app)).toEqual([true, true]);
  });
});
