import pg from 'pg';
import { TcpProxy } from './tcp-proxy';
import { TEST_DATABASE_URL } from './database';
import { describeOnRealPostgres } from './real-postgres';

/** The fault-injection proxy itself: the other fault tests are only as good as it is. */
describeOnRealPostgres('TcpProxy', () => {
  let proxy: TcpProxy;
  const target = new URL(TEST_DATABASE_URL);

  beforeEach(async () => {
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
  });

  afterEach(async () => {
    await proxy.close();
  });

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: proxy.urlFor(TEST_DATABASE_URL) });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  it('forwards a PostgreSQL session', async () => {
    const client = await connect();
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
    expect(proxy.openConnections).toBe(1);
    await client.end();
  });

  it('cutAll() kills open sessions', async () => {
    const client = await connect();
    proxy.cutAll();
    await expect(client.query('SELECT 1')).rejects.toThrow();
  });

  it('refuse() closes new connections until the time is up or allow()', async () => {
    proxy.refuse(60_000);
    await expect(connect()).rejects.toThrow();
    proxy.allow();
    const client = await connect();
    await client.end();
  });

  it('adds latency in each direction', async () => {
    const client = await connect();
    const time = async () => {
      const started = performance.now();
      for (let i = 0; i < 5; i += 1) await client.query('SELECT 1');
      return (performance.now() - started) / 5;
    };
    proxy.latencyMs = 20;
    // One round trip crosses the proxy twice, each way delayed by 20 ms.
    expect(await time()).toBeGreaterThanOrEqual(40);
    await client.end();
  });
});
