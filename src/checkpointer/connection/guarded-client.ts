import type pg from 'pg';
import { isPreparedStatementConflict, markFromOurConnection } from '../common/database-errors';

/** What the pool must know about a connection before taking it back. */
export interface ConnectionCondition {
  /** The connection saw a prepared-statement conflict (26000, 42P05) and must not be reused. */
  readonly mustDiscard: boolean;
}

/** Whether `client` is a guarded connection that must be discarded on release. */
export function mustDiscard(client: object): boolean {
  return (client as Partial<ConnectionCondition>).mustDiscard === true;
}

/**
 * `Base` (a `pg.Client` class) with three guards every pooled connection needs:
 * - a permanent `error` listener. pg-pool listens only while a connection is idle; a checked-out
 *   connection that dies (failover, `pg_terminate_backend`, a cut network) would otherwise emit
 *   an unhandled `error` and crash the process.
 * - a failed query on a connection already lost gets the loss as its `cause`. Upstream's `put`
 *   runs `ROLLBACK` after a failure, which on a dead connection fails with a code-less "not
 *   queryable" error that would hide the real, retryable one.
 * - a prepared-statement conflict marks the connection `mustDiscard`, so the pool closes it
 *   instead of handing the same broken session to the next caller.
 */
export function guardClient(Base: typeof pg.Client): typeof pg.Client {
  return class GuardedClient extends Base implements ConnectionCondition {
    private conflicted = false;
    private lost: unknown;

    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', (error: unknown) => {
        this.lost ??= error;
      });
    }

    get mustDiscard(): boolean {
      return this.conflicted;
    }

    // pg's query() has a dozen overloads (text, config, callback, submittable); this one sees them all.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(...args: any[]): any {
      const query = super.query.bind(this) as (...queryArgs: unknown[]) => unknown;
      const params: unknown[] = args;
      const last = params[params.length - 1];
      if (typeof last === 'function') {
        params[params.length - 1] = (error: unknown, result: unknown) =>
          (last as (e: unknown, r: unknown) => void)(error ? this.observe(error) : error, result);
        return query(...params);
      }
      const result = query(...params);
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          throw this.observe(error);
        });
      }
      // A submittable (cursor, stream) reports its own errors; watch them without altering them.
      if (typeof (result as { on?: unknown } | undefined)?.on === 'function') {
        (result as NodeJS.EventEmitter).on('error', (error: unknown) => this.observe(error));
      }
      return result;
    }

    private observe(error: unknown): unknown {
      markFromOurConnection(error);
      if (isPreparedStatementConflict(error)) this.conflicted = true;
      const bare =
        error instanceof Error && !('cause' in error) && !('code' in error) && this.lost !== error;
      if (bare && this.lost !== undefined) {
        Object.defineProperty(error, 'cause', {
          value: this.lost,
          writable: true,
          configurable: true,
          enumerable: false,
        });
      }
      return error;
    }
  };
}
