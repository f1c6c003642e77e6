import pg from 'pg';
import {
  PoolExhaustedError,
  markFromOurConnection,
  markNeverSent,
} from '../common/database-errors';
import { guardClient, mustDiscard } from './guarded-client';
import type { PreparedStatements } from './prepared-statements';

type ConnectCallback = (
  error: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: Error | boolean) => void,
) => void;

/** pg-pool's acquire timeout has no code: this exact message, raised by `connect()`, is how it is known. */
const PG_POOL_ACQUIRE_TIMEOUT = 'timeout exceeded when trying to connect';

/** The settings `ManagedPool` itself reads; the rest of the config goes to pg-pool. */
export interface ManagedPoolConfig extends pg.PoolConfig {
  /** Called once per acquire timeout, for the metrics. */
  readonly onExhausted?: () => void;
  /** The module's named-statement policy; without it, every statement is sent unnamed. */
  readonly preparedStatements?: PreparedStatements;
}

/**
 * The `pg.Pool` that `PoolManager` owns. Every way into it (`connect()`, and `query()`, which
 * checks out through `connect()`) gets:
 * - errors of acquiring or opening a connection marked "never sent", and pg-pool's code-less
 *   acquire timeout turned into a typed `PoolExhaustedError`;
 * - guarded connections (see `guardClient`), discarded on release after a prepared-statement
 *   conflict even when the caller releases them as healthy, and at checkout when they prepared
 *   statements before a schema change made those plans stale;
 * - `retire(successor)`: callers still waiting for a connection, and new ones, are handed to the
 *   successor; connections already checked out finish their work here, then the pool ends.
 */
export class ManagedPool extends pg.Pool {
  private successor: pg.Pool | undefined;
  private readonly waiting = new Set<(successor: pg.Pool) => void>();
  private readonly limits: { readonly max: number; readonly acquireTimeoutMs: number };
  private readonly onExhausted: () => void;

  constructor({ onExhausted, preparedStatements, ...config }: ManagedPoolConfig) {
    // @types/pg types `Client` loosely; ConnectionProvider always passes a pg.Client subclass.
    const Base = (config.Client as typeof pg.Client | undefined) ?? pg.Client;
    super({ ...config, Client: guardClient(Base, preparedStatements) });
    // pg-pool's own defaults, should the config leave them out.
    this.limits = { max: config.max ?? 10, acquireTimeoutMs: config.connectionTimeoutMillis ?? 0 };
    this.onExhausted = onExhausted ?? (() => undefined);
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    const acquired = this.acquire();
    if (callback === undefined) return acquired;
    acquired.then(
      (client) => callback(undefined, client, (release) => client.release(release)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
  }

  /**
   * Sends waiting and future callers to `successor`, and ends this pool once every connection
   * checked out of it has been released. Resolves when it has ended.
   */
  retire(successor: pg.Pool): Promise<void> {
    this.successor = successor;
    for (const handOver of this.waiting) handOver(successor);
    this.waiting.clear();
    return this.end();
  }

  /** A connection to use: one that must be discarded (stale prepared plans) is closed, and another taken. */
  private async acquire(): Promise<pg.PoolClient> {
    for (;;) {
      const client = await this.acquireOne();
      if (!mustDiscard(client)) return client;
      client.release(new Error('discarded: it prepared statements before a schema change'));
    }
  }

  private acquireOne(): Promise<pg.PoolClient> {
    if (this.successor !== undefined) return this.successor.connect();
    return new Promise<pg.PoolClient>((resolve, reject) => {
      let settled = false;
      const handOver = (successor: pg.Pool): void => {
        settled = true;
        successor.connect().then(resolve, reject);
      };
      this.waiting.add(handOver);
      super.connect((error, client) => {
        this.waiting.delete(handOver);
        if (settled) {
          // Handed over meanwhile; a connection that still arrives goes back (and, ending, closes).
          client?.release();
          return;
        }
        settled = true;
        if (client !== undefined && error === undefined) resolve(this.guardRelease(client));
        else reject(this.acquireError(error ?? new Error('pg-pool returned no connection')));
      });
    });
  }

  private acquireError(error: Error): Error {
    if (error.message === PG_POOL_ACQUIRE_TIMEOUT && !('code' in error)) {
      this.onExhausted();
      const { acquireTimeoutMs, max } = this.limits;
      return markNeverSent(new PoolExhaustedError(acquireTimeoutMs, max, { cause: error }));
    }
    return markFromOurConnection(markNeverSent(error));
  }

  /** pg-pool sets `release` anew at every checkout; wrap this checkout's. */
  private guardRelease(client: pg.PoolClient): pg.PoolClient {
    const release = client.release.bind(client);
    client.release = (error?: Error | boolean) =>
      release(
        error || !mustDiscard(client)
          ? error
          : new Error('discarded after a prepared-statement conflict'),
      );
    return client;
  }
}
