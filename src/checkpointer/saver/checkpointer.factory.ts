import { Inject, Injectable } from '@nestjs/common';
import { type BaseCheckpointSaver, MemorySaver } from '@langchain/langgraph-checkpoint';
import { CheckpointerConnectionError, errorMessage } from '../common/checkpointer.errors';
import { CheckpointerLogger } from '../common/checkpointer.logger';
import type { ResolvedCheckpointerOptions } from '../options/checkpointer.options';
import { getCheckpointerOptionsToken } from '../common/checkpointer.tokens';
import { ConnectionProvider } from '../connection/connection.provider';
import { PoolManager } from '../connection/pool.manager';
import { classifyDatabaseError } from '../common/database-errors';
import { RetryPolicy } from '../resilience/retry.policy';
import { permanentRefusal } from './connection-refusal';
import { PostgresCheckpointer } from './postgres-checkpointer';

/** Which saver the module runs on: PostgreSQL, or the opt-in in-memory fallback. */
export type SaverKind = 'postgres' | 'memory';

/**
 * Builds the saver over the managed pool. At boot it waits for PostgreSQL with bounded, logged
 * retries; if the database stays unreachable it fails the boot with a message naming host, port
 * and database, or, only when `fallback: 'memory'` is set, provides an in-memory saver with a loud
 * warning. A server that refuses for good (credentials, authorization, no such database:
 * `connection-refusal.ts`) is not retried: the first refusal ends the wait. It never ends the pool (a failed boot is cleaned up by the boot sequence,
 * `checkpointer.providers.ts`).
 */
@Injectable()
export class CheckpointerFactory {
  private saverKind: SaverKind | undefined;

  constructor(
    @Inject(getCheckpointerOptionsToken()) private readonly options: ResolvedCheckpointerOptions,
    private readonly connection: ConnectionProvider,
    private readonly pools: PoolManager,
    private readonly logger: CheckpointerLogger,
    private readonly retry: RetryPolicy,
  ) {}

  /** The kind of saver built, once `create()` has run. */
  get kind(): SaverKind | undefined {
    return this.saverKind;
  }

  async create(): Promise<BaseCheckpointSaver> {
    try {
      await this.waitForDatabase();
    } catch (error) {
      // The fallback rides out an outage; a server refusing the credentials or the database for
      // good is a configuration mistake that an in-memory saver would only hide.
      const permanent = error instanceof CheckpointerConnectionError && error.permanent;
      if (this.options.fallback !== 'memory' || permanent) throw error;
      this.logger.error(
        `FALLBACK: ${errorMessage(error)}. Running on an IN-MEMORY checkpointer (fallback: 'memory'): ` +
          'conversations are NOT persisted and are lost on restart; health reports this module down.',
      );
      this.saverKind = 'memory';
      return new MemorySaver(this.options.serde);
    }
    this.saverKind = 'postgres';
    return new PostgresCheckpointer(
      this.pools.borrowedPool,
      this.options.serde,
      // Every process on this database refuses writes to deleted threads.
      { schema: this.options.schema, refuseDeletedThreads: true },
      this.retry,
    );
  }

  private async waitForDatabase(): Promise<void> {
    const attempts = this.options.retryAttempts + 1;
    const where = this.connection.describe();
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.pools.ping(this.options.connection.connectTimeoutMs);
        this.logger.log(`connected to ${where}`);
        return;
      } catch (error) {
        const redact = (message: string) => this.connection.redact(message);
        // The server answered and said no (wrong password, no such database): say so, at once.
        const refusal = permanentRefusal(error, this.connection.target, redact);
        if (refusal !== undefined) {
          throw new CheckpointerConnectionError(refusal.message, attempt, {
            cause: error,
            code: refusal.code,
            permanent: true,
          });
        }
        const reason = redact(errorMessage(error));
        if (attempt >= attempts) {
          const { host, port, database } = this.connection.target;
          throw new CheckpointerConnectionError(
            `could not reach PostgreSQL at host ${host}, port ${port}, database "${database}" ` +
              `after ${attempts} attempt(s): ${reason}`,
            attempts,
            { cause: error, code: classifyDatabaseError(error).code },
          );
        }
        this.logger.warn(
          `PostgreSQL at ${where} unreachable (attempt ${attempt}/${attempts}): ${reason}; ` +
            `retrying in ${this.options.retryDelayMs} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs));
      }
    }
  }
}
