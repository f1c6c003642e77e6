import type pg from 'pg';
import {
  isPreparedStatementConflict,
  markFromOurConnection,
  markStalePreparedPlan,
} from '../common/database-errors';
import { PREPARED_SHAPES_PER_CONNECTION, type PreparedStatements } from './prepared-statements';

/** What the pool must know about a connection before taking it back. */
export interface ConnectionCondition {
  /**
   * The connection must not be reused: it saw a prepared-statement conflict (26000, 42P05), or
   * it prepared statements before a schema change made their plans stale.
   */
  readonly mustDiscard: boolean;
}

/** Whether `client` is a guarded connection that must be discarded on release. */
export function mustDiscard(client: object): boolean {
  return (client as Partial<ConnectionCondition>).mustDiscard === true;
}

type Callback = (error: unknown, result?: unknown) => void;

/** A statement this connection is about to send under a name. */
interface NamedQuery {
  readonly config: pg.QueryConfig & { readonly name: string };
  readonly callback: Callback | undefined;
}

/**
 * `Base` (a `pg.Client` class) with the guards every pooled connection needs:
 * - a permanent `error` listener. pg-pool listens only while a connection is idle; a checked-out
 *   connection that dies (failover, `pg_terminate_backend`, a cut network) would otherwise emit
 *   an unhandled `error` and crash the process.
 * - a failed query on a connection already lost gets the loss as its `cause`. Upstream's `put`
 *   runs `ROLLBACK` after a failure, which on a dead connection fails with a code-less "not
 *   queryable" error that would hide the real, retryable one.
 * - a prepared-statement conflict marks the connection `mustDiscard`, so the pool closes it
 *   instead of handing the same broken session to the next caller.
 *
 * With `statements`, it also names the module's hot statements (see `PreparedStatements`): at
 * most `PREPARED_SHAPES_PER_CONNECTION` names per connection, by a hash of the text. A named
 * statement that meets a conflict outside a transaction turns naming off for the pool and is sent
 * again, unnamed, at once (Parse or Bind failed: nothing ran); inside one, the error goes to the
 * caller's retry. A stale plan (`0A000` on a statement prepared here before) is marked
 * retryable, and the connection, like every one that prepared before it, is discarded.
 */
export function guardClient(
  Base: typeof pg.Client,
  statements?: PreparedStatements,
): typeof pg.Client {
  return class GuardedClient extends Base implements ConnectionCondition {
    private conflicted = false;
    private lost: unknown;
    /** Names this connection may use (bounded), and whether each has run here successfully. */
    private readonly named = new Map<string, boolean>();
    /** `statements.planEpoch` when this connection first named a statement. */
    private namedAtEpoch: number | undefined;

    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', (error: unknown) => {
        this.lost ??= error;
      });
    }

    get mustDiscard(): boolean {
      const stale =
        statements !== undefined &&
        this.namedAtEpoch !== undefined &&
        this.namedAtEpoch < statements.planEpoch;
      return this.conflicted || stale;
    }

    /** How many statement names this connection has used (at most the cap). */
    get namedStatements(): number {
      return this.named.size;
    }

    // pg's query() has a dozen overloads (text, config, callback, submittable); this one sees them all.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(...args: any[]): any {
      const named = this.nameOf(args);
      if (named !== undefined) return this.sendNamed(named);
      const query = super.query.bind(this) as (...queryArgs: unknown[]) => unknown;
      const params: unknown[] = args;
      const last = params[params.length - 1];
      if (typeof last === 'function') {
        params[params.length - 1] = (error: unknown, result: unknown) =>
          (last as Callback)(error ? this.observe(error) : error, result);
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

    /**
     * The statement of `args` under its name, if it is one the module may prepare, naming is on,
     * and this connection has a slot for it; otherwise `undefined` (sent as given).
     */
    private nameOf(args: unknown[]): NamedQuery | undefined {
      if (statements === undefined || !statements.active) return undefined;
      const [first, second, third] = args;
      let config: pg.QueryConfig;
      if (typeof first === 'string') {
        config = { text: first, values: Array.isArray(second) ? (second as unknown[]) : undefined };
      } else if (isPlainConfig(first)) {
        config = Array.isArray(second) ? { ...first, values: second as unknown[] } : { ...first };
      } else {
        return undefined;
      }
      if (!statements.wants(config.text, first)) return undefined;
      const name = statements.nameOf(config.text);
      if (!this.named.has(name)) {
        if (this.named.size >= PREPARED_SHAPES_PER_CONNECTION) return undefined;
        this.named.set(name, false);
        this.namedAtEpoch ??= statements.planEpoch;
      }
      const callback = [second, third].find((arg) => typeof arg === 'function') as
        Callback | undefined;
      return { config: { ...config, name }, callback };
    }

    private sendNamed({ config, callback }: NamedQuery): Promise<unknown> | undefined {
      const ranHereBefore = this.named.get(config.name) === true;
      const send = super.query.bind(this) as (config: pg.QueryConfig) => Promise<unknown>;
      const sent = send(config).then(
        (result) => {
          this.named.set(config.name, true);
          return result;
        },
        (error: unknown) => {
          if (isPreparedStatementConflict(error)) {
            this.conflicted = true;
            statements?.conflict((error as { code?: string }).code);
            // Outside a transaction block, the failed Parse or Bind ran nothing: send it unnamed.
            if (this.getTransactionStatus() === 'I') {
              return send({ ...config, name: undefined }).catch((again: unknown) => {
                throw this.observe(again);
              });
            }
          } else if ((error as { code?: string }).code === '0A000' && ranHereBefore) {
            markStalePreparedPlan(error);
            statements?.planInvalidated(this.namedAtEpoch ?? 0);
          }
          throw this.observe(error);
        },
      );
      if (callback === undefined) return sent;
      sent.then(
        (result) => callback(undefined, result),
        (error: unknown) => callback(error),
      );
      return undefined;
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

/** A query config object with text (not a submittable, not already named, not simple-protocol). */
function isPlainConfig(value: unknown): value is pg.QueryConfig {
  if (typeof value !== 'object' || value === null) return false;
  const config = value as Partial<pg.QueryConfig> & { submit?: unknown; queryMode?: unknown };
  return (
    typeof config.text === 'string' &&
    config.name === undefined &&
    config.submit === undefined &&
    config.queryMode === undefined
  );
}
