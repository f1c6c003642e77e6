import { resolveCheckpointerOptions } from '../options/options.resolver';
import { ConnectionProvider } from './connection.provider';

function provider(options: Record<string, unknown>): ConnectionProvider {
  return new ConnectionProvider(resolveCheckpointerOptions(options));
}

describe('ConnectionProvider', () => {
  it('maps the options onto one pg.PoolConfig', () => {
    const config = provider({
      connectionString: 'postgres://app:pw@db:6543/agents',
      pool: { max: 7, min: 1, idleTimeoutMs: 5, maxLifetimeSeconds: 60, acquireTimeoutMs: 1234 },
      connection: {
        keepAlive: false,
        keepAliveInitialDelayMs: 99,
        statementTimeoutMs: 3000,
        idleInTransactionSessionTimeoutMs: 4000,
        applicationName: 'my-agent',
      },
    }).poolConfig;
    expect(config).toMatchObject({
      connectionString: 'postgres://app:pw@db:6543/agents',
      max: 7,
      min: 1,
      idleTimeoutMillis: 5,
      maxLifetimeSeconds: 60,
      connectionTimeoutMillis: 1234,
      keepAlive: false,
      keepAliveInitialDelayMillis: 99,
      statement_timeout: 3000,
      idle_in_transaction_session_timeout: 4000,
      application_name: 'my-agent',
    });
  });

  it('sends no timeout startup parameters unless asked (transaction poolers reject them)', () => {
    const config = provider({ host: 'db', user: 'app', database: 'agents' }).poolConfig;
    expect(config).not.toHaveProperty('statement_timeout');
    expect(config).not.toHaveProperty('idle_in_transaction_session_timeout');
    expect(config).toMatchObject({ host: 'db', port: 5432, user: 'app', database: 'agents' });
  });

  it('bounds each client connect by connectTimeoutMs, separately from the acquire timeout', () => {
    const config = provider({
      host: 'db',
      connection: { connectTimeoutMs: 321 },
      pool: { acquireTimeoutMs: 9999 },
    }).poolConfig;
    const ClientClass = config.Client as unknown as new (c: object) => {
      _connectionTimeoutMillis: number;
    };
    expect(new ClientClass({ host: 'db' })._connectionTimeoutMillis).toBe(321);
  });

  it('describes the target without the password', () => {
    const p = provider({
      connectionString: 'postgres://app:s3cret@db.internal:6543/agents',
      schema: 'lg',
    });
    expect(p.describe()).toBe('postgres://app@db.internal:6543/agents (schema "lg")');
    expect(p.target).toEqual({ host: 'db.internal', port: 6543, database: 'agents', user: 'app' });
  });

  it('redacts the password and URL credentials from driver messages', () => {
    const p = provider({ host: 'db', user: 'app', password: 's3cret', database: 'x' });
    expect(p.redact('auth failed with s3cret at postgres://app:other@db/x')).toBe(
      'auth failed with *** at postgres://app:***@db/x',
    );
  });
});
