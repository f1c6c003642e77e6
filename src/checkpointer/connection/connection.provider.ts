import { Inject, Injectable } from '@nestjs/common';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import type {
  PreparedStatementsMode,
  ResolvedCheckpointerOptions,
} from '../options/checkpointer.options';
import { CHECKPOINTER_DEFAULTS } from '../options/options.table';
import { getCheckpointerOptionsToken } from '../common/checkpointer.tokens';

/** Where the module connects, without credentials: safe for logs and error messages. */
export interface ConnectionTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

/**
 * Turns the options into ONE `pg.PoolConfig` (URL or discrete fields, timeouts, keepalive, a
 * unique `application_name`, TLS), opens dedicated connections for DDL and advisory locks, and
 * describes the target with the password redacted. Owns nothing long-lived.
 */
@Injectable()
export class ConnectionProvider {
  /** The resolved settings of every pooled connection. Contains the password: never log it. */
  readonly poolConfig: pg.PoolConfig;
  /** Host, port, database and user of the main target. */
  readonly target: ConnectionTarget;

  constructor(
    @Inject(getCheckpointerOptionsToken()) private readonly options: ResolvedCheckpointerOptions,
  ) {
    this.poolConfig = this.buildPoolConfig();
    this.target = targetOf(options.target.connectionString, options.target);
  }

  /** The schema every table lives in (validated identifier). */
  get schema(): string {
    return this.options.schema;
  }

  /** `application_name` of this module's connections, to find them in `pg_stat_activity`. */
  get applicationName(): string {
    return this.options.connection.applicationName;
  }

  /** `preparedStatements` as configured (`PreparedStatements` decides what `'auto'` means). */
  get preparedStatements(): PreparedStatementsMode {
    return this.options.preparedStatements;
  }

  /**
   * Whether the options say the main target is a pooler: `migrationConnectionString` exists for
   * deployments whose main target is one (session locks and DDL go around it).
   */
  get declaresPooler(): boolean {
    return this.options.migrationConnectionString !== undefined;
  }

  /**
   * e.g. `postgres://app@db.internal:5432/agents (schema "public")`, or for a Unix socket
   * `postgres://app@/agents?host=/var/run/postgresql&port=5432 (schema "public")`: never the password.
   */
  describe(): string {
    const { user, host, port, database } = this.target;
    const where = host.startsWith('/')
      ? `postgres://${user}@/${database}?host=${host}&port=${port}`
      : `postgres://${user}@${host}:${port}/${database}`;
    return `${where} (schema "${this.schema}")`;
  }

  /**
   * Runs `fn` on a dedicated, non-pooled connection, closed afterwards whatever happens. For DDL
   * and session advisory locks, which must not go through a transaction pooler: when
   * `migrationConnectionString` is set, that direct URL is used instead of the main target.
   */
  async withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client(this.directClientConfig());
    // A dedicated connection dropped by the server emits 'error'; unhandled, it would crash the process.
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Removes the password, and any credentials in URLs, from a driver message. */
  redact(message: string): string {
    let redacted = message.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
    const password = this.options.target.password;
    if (typeof password === 'string' && password.length > 0) {
      redacted = redacted.split(password).join('***');
    }
    return redacted;
  }

  private buildPoolConfig(): pg.PoolConfig {
    const { pool, connection } = this.options;
    return {
      ...this.targetConfig(this.options.target.connectionString),
      max: pool.max,
      min: pool.min,
      idleTimeoutMillis: pool.idleTimeoutMs,
      maxLifetimeSeconds: pool.maxLifetimeSeconds,
      // pg-pool bounds both the wait for a free client and the opening of a new one by this.
      connectionTimeoutMillis: pool.acquireTimeoutMs,
      // ...while each client bounds its own connect by connectTimeoutMs.
      Client: clientWithConnectTimeout(connection.connectTimeoutMs),
      ...this.sessionConfig(),
    };
  }

  private directClientConfig(): pg.ClientConfig {
    return {
      ...this.targetConfig(
        this.options.migrationConnectionString ?? this.options.target.connectionString,
      ),
      ...this.sessionConfig(),
      connectionTimeoutMillis: this.options.connection.connectTimeoutMs,
    };
  }

  private targetConfig(connectionString: string | undefined): pg.ClientConfig {
    const t = this.options.target;
    const ssl = t.ssl === undefined ? {} : { ssl: t.ssl };
    if (connectionString !== undefined) return { connectionString, ...ssl };
    return {
      host: t.host,
      port: t.port,
      user: t.user,
      password: t.password,
      database: t.database,
      ...ssl,
    };
  }

  /** Settings every connection carries, pooled or dedicated. */
  private sessionConfig(): pg.ClientConfig {
    const c = this.options.connection;
    return {
      application_name: c.applicationName,
      keepAlive: c.keepAlive,
      keepAliveInitialDelayMillis: c.keepAliveInitialDelayMs,
      // Only sent when set: transaction poolers reject startup parameters they do not know.
      ...(c.statementTimeoutMs !== undefined ? { statement_timeout: c.statementTimeoutMs } : {}),
      ...(c.idleInTransactionSessionTimeoutMs !== undefined
        ? { idle_in_transaction_session_timeout: c.idleInTransactionSessionTimeoutMs }
        : {}),
    };
  }
}

/** A `pg.Client` whose own connect timeout differs from the pool's acquire timeout. */
function clientWithConnectTimeout(connectTimeoutMs: number): typeof pg.Client {
  return class ConnectTimeoutClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      const base = typeof config === 'string' ? { connectionString: config } : (config ?? {});
      const withTimeout: pg.ClientConfig = { ...base, connectionTimeoutMillis: connectTimeoutMs };
      // pg-pool hands its Client the password as a NON-enumerable property (to keep it out of
      // logs), which the spread above drops: without this, pooled connections sent no password.
      if ('password' in base) {
        Object.defineProperty(withTimeout, 'password', {
          value: base.password,
          enumerable: false,
          writable: true,
          configurable: true,
        });
      }
      super(withTimeout);
    }
  };
}

function targetOf(
  connectionString: string | undefined,
  fields: { host?: string; port?: number; user?: string; database?: string },
): ConnectionTarget {
  if (connectionString !== undefined) {
    const parsed = parseConnectionString(connectionString);
    return {
      host: parsed.host ?? 'localhost',
      port: parsed.port ? Number(parsed.port) : CHECKPOINTER_DEFAULTS.port,
      database: parsed.database ?? parsed.user ?? '(default)',
      user: parsed.user ?? '(default)',
    };
  }
  return {
    host: fields.host ?? 'localhost',
    port: fields.port ?? CHECKPOINTER_DEFAULTS.port,
    database: fields.database ?? fields.user ?? '(default)',
    user: fields.user ?? '(default)',
  };
}
