import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { errorMessage } from '../common/checkpointer.errors';
import { CheckpointerLogger } from '../common/checkpointer.logger';
import { withDeadline } from '../common/deadline';
import { poolView } from '../common/pool-view';
import { ConnectionProvider } from './connection.provider';
import { ManagedPool } from './managed-pool';
import { PreparedStatements } from './prepared-statements';

/** Pool counters, for health checks and metrics. */
export interface PoolStats {
  /** Connections open, idle or checked out. */
  readonly total: number;
  /** Connections open and not checked out. */
  readonly idle: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
}

/**
 * The only owner of the `pg.Pool`. It attaches the `error` listener before anyone can use the pool
 * (an idle connection dropped by the server must never crash the process), hands out a borrowed
 * view of it to the saver and Kysely, replaces it when its connections are dead (`recreate()`),
 * and ends it exactly once, in `onApplicationShutdown`.
 */
@Injectable()
export class PoolManager implements OnApplicationShutdown {
  /**
   * A view of the managed pool for code that must never own it (the saver, Kysely): queries and
   * checkouts go to the live pool, and `end()` does nothing, because both `PostgresSaver.end()`
   * and `Kysely.destroy()` would otherwise end the pool under everyone else.
   */
  readonly borrowedPool: pg.Pool;
  /** Whether connections name the module's hot statements, and which (outlives pool replacements). */
  readonly preparedStatements: PreparedStatements;
  private current: ManagedPool;
  private ended: Promise<void> | undefined;
  private replacements = 0;
  private exhaustions = 0;
  /** Replaced pools still finishing the work checked out of them. */
  private readonly retiring = new Set<Promise<void>>();

  constructor(
    private readonly connection: ConnectionProvider,
    private readonly logger: CheckpointerLogger,
  ) {
    this.preparedStatements = new PreparedStatements(
      connection.preparedStatements,
      connection.declaresPooler,
      logger,
    );
    this.current = this.createPool();
    // end() resolves without ending anything: the owner ends the pool, exactly once.
    this.borrowedPool = poolView(() => this.current, { end: () => Promise.resolve() });
  }

  /** The live pool. Do not end it: `PoolManager` does, at shutdown. */
  get pool(): pg.Pool {
    return this.current;
  }

  /** Whether the pool has been ended (the application is shutting down). */
  get isEnded(): boolean {
    return this.ended !== undefined;
  }

  /**
   * How many times the pool has been replaced by `recreate()`. Read it before a unit of work and
   * pass it to `recreate()` after a failure, so failures of work that began on an already replaced
   * pool do not replace the new one.
   */
  get generation(): number {
    return this.replacements;
  }

  /** Checkouts that failed with `PoolExhaustedError` since boot. */
  get acquireTimeouts(): number {
    return this.exhaustions;
  }

  stats(): PoolStats {
    const pool = this.current;
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }

  /**
   * Round-trips `SELECT pg_backend_pid()` and returns the latency in milliseconds. Bounded twice:
   * on the server by a transaction-local `statement_timeout`, and on the client by `timeoutMs` for
   * the whole call. A ping that times out or fails discards its connection instead of returning
   * it to the pool, so a stuck ping can never hold a pooled connection. The pid answered, against
   * the one the connection was given at startup, tells `preparedStatements` whether a pooler is
   * in between (the boot's ping decides `'auto'`).
   */
  async ping(timeoutMs = 1000): Promise<number> {
    const started = performance.now();
    const client = await withDeadline(
      this.current.connect(),
      timeoutMs,
      () => new Error(`no connection within ${timeoutMs} ms`),
      (late) => late.release(),
    );
    const remaining = Math.max(1, Math.ceil(timeoutMs - (performance.now() - started)));
    let results: unknown;
    try {
      // One round trip; SET LOCAL keeps the timeout inside this transaction (pooler-safe).
      results = await client.query({
        text: `BEGIN; SET LOCAL statement_timeout = ${remaining}; SELECT pg_backend_pid() AS pid; COMMIT;`,
        query_timeout: remaining,
      } as pg.QueryConfig);
    } catch (error) {
      client.release(asError(error));
      throw error;
    }
    const pid = backendPidOf(results);
    if (pid !== undefined) {
      this.preparedStatements.observeBackend((client as { processID?: number }).processID, pid);
    }
    client.release();
    return performance.now() - started;
  }

  /**
   * Swaps in a fresh pool because the current one's connections look dead (a failover, a cut
   * network): callers waiting for a connection, and every new one, go to the fresh pool at once;
   * work already running on the old pool finishes there, then the old pool is ended. Single-flight:
   * with `observedGeneration` (see `generation`), only the first of many concurrent failures
   * replaces the pool. Returns whether it did. Never after shutdown began.
   */
  recreate(reason: string, observedGeneration?: number): boolean {
    if (this.ended !== undefined) return false;
    if (observedGeneration !== undefined && observedGeneration !== this.replacements) return false;
    const old = this.current;
    this.current = this.createPool();
    this.replacements += 1;
    this.logger.warn(
      `connections look dead (${this.connection.redact(reason)}): replaced the connection pool ` +
        `(replacement ${this.replacements}); work already running finishes on the old one`,
    );
    const drained: Promise<void> = old
      .retire(this.current)
      .then(
        () => this.logger.debug('replaced connection pool closed'),
        (error: unknown) =>
          this.logger.error(
            `closing a replaced connection pool failed: ${this.connection.redact(errorMessage(error))}`,
          ),
      )
      .finally(() => this.retiring.delete(drained));
    this.retiring.add(drained);
    return true;
  }

  /**
   * Ends the pool once (and waits for replaced pools still finishing their work); later calls
   * return the same promise. Called at application shutdown.
   */
  end(): Promise<void> {
    this.ended ??= Promise.all([
      this.current.end().then(
        () => this.logger.debug('connection pool closed'),
        (error: unknown) =>
          this.logger.error(
            `closing the connection pool failed: ${this.connection.redact(errorMessage(error))}`,
          ),
      ),
      ...this.retiring,
    ]).then(() => undefined);
    return this.ended;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.end();
  }

  private createPool(): ManagedPool {
    const pool = new ManagedPool({
      ...this.connection.poolConfig,
      preparedStatements: this.preparedStatements,
      onExhausted: () => {
        this.exhaustions += 1;
      },
    });
    pool.on('error', (error) => {
      this.logger.warn(
        `an idle connection was lost (${this.connection.redact(errorMessage(error))}); it is replaced on next use`,
      );
    });
    pool.on('connect', () =>
      this.logger.debug(`connection opened (pool total ${pool.totalCount})`),
    );
    pool.on('remove', () => this.logger.debug(`connection closed (pool total ${pool.totalCount})`));
    return pool;
  }
}

/** The pid of the ping's `SELECT pg_backend_pid()`, the third of its four results. */
function backendPidOf(results: unknown): number | undefined {
  const select = Array.isArray(results)
    ? (results[2] as pg.QueryResult<{ pid?: unknown }> | undefined)
    : undefined;
  const pid = select?.rows[0]?.pid;
  return typeof pid === 'number' ? pid : undefined;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
