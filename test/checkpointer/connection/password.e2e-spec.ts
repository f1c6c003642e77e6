/**
 * A discrete `password` (string or function) reaches the server on every kind of connection. The
 * test server trusts everyone, so a server that asks for a password (`FakePostgres`) shows what
 * the module actually sends. pg-pool hides the password as a non-enumerable property of the
 * options it hands its Client, which an object spread drops.
 */
import {
  ConnectionProvider,
  PoolManager,
  resolveCheckpointerOptions,
} from '../../../src/checkpointer';
import { CheckpointerLogger } from '../../../src/checkpointer/common/checkpointer.logger';
import { FakePostgres } from '../../support/fake-postgres';

const PASSWORD = 'hunter2-do-not-log';

let server: FakePostgres;

beforeEach(async () => {
  server = await FakePostgres.start({
    code: '28P01',
    message: 'password authentication failed for user "app"',
    askPassword: true,
  });
});

afterEach(async () => {
  await server.close();
});

function connection(password: string | (() => Promise<string>)) {
  const options = resolveCheckpointerOptions({
    host: '127.0.0.1',
    port: server.port,
    user: 'app',
    password,
    database: 'agents',
    logger: false,
  });
  const provider = new ConnectionProvider(options);
  return { provider, pools: new PoolManager(provider, new CheckpointerLogger(options)) };
}

describe('the password', () => {
  it.each([
    ['a string', PASSWORD],
    ['a function', () => Promise.resolve(PASSWORD)],
  ] as const)('given as %s, is sent by pooled and dedicated connections', async (_, password) => {
    const { provider, pools } = connection(password);
    try {
      await expect(pools.pool.query('SELECT 1')).rejects.toMatchObject({ code: '28P01' });
      await expect(provider.withClient(() => Promise.resolve())).rejects.toMatchObject({
        code: '28P01',
      });
      expect(server.passwords).toEqual([PASSWORD, PASSWORD]);
    } finally {
      await pools.end();
    }
  });
});
