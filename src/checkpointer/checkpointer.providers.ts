import type { Provider } from '@nestjs/common';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { Kysely, PostgresDialect } from 'kysely';
import { CHECKPOINTER_MODULE_OPTIONS } from './checkpointer.module-definition';
import { CheckpointerLogger } from './common/checkpointer.logger';
import {
  getCheckpointerDbToken,
  getCheckpointerOptionsToken,
  getCheckpointerToken,
} from './common/checkpointer.tokens';
import { PoolManager } from './connection/pool.manager';
import type {
  CheckpointerModuleOptions,
  ResolvedCheckpointerOptions,
} from './options/checkpointer.options';
import { resolveCheckpointerOptions } from './options/options.resolver';
import { CheckpointerFactory } from './saver/checkpointer.factory';
import type { CheckpointerDatabase } from './schema/database';
import { SchemaService } from './schema/schema.service';
import { frequentThreadStatements } from './threads/frequent-statements';

/** Validates the raw options once, at boot; every provider injects the resolved form. */
export const resolvedOptionsProvider: Provider = {
  provide: getCheckpointerOptionsToken(),
  useFactory: (options: CheckpointerModuleOptions) => resolveCheckpointerOptions(options),
  inject: [CHECKPOINTER_MODULE_OPTIONS],
};

/**
 * The boot sequence, in one place, as the factory of the saver everyone injects (so nothing can
 * use the saver before it has run):
 * 1. `CheckpointerFactory` waits for PostgreSQL (bounded, logged retries) and builds the saver,
 *    or the opt-in in-memory fallback;
 * 2. on PostgreSQL, `SchemaService.prepare()` migrates or verifies the schema (`migrations`).
 *
 * A failure at any step ends the pool, once, and fails the boot: Nest runs no shutdown hook for
 * an application that never finished booting, so nobody else would.
 */
export async function bootCheckpointer(
  factory: CheckpointerFactory,
  schema: SchemaService,
  pools: PoolManager,
  logger: CheckpointerLogger,
): Promise<BaseCheckpointSaver> {
  try {
    const saver = await factory.create();
    if (factory.kind === 'memory') {
      logger.warn('schema: skipped, the module runs on the in-memory fallback');
    } else {
      await schema.prepare();
    }
    return saver;
  } catch (error) {
    await pools.end();
    throw error;
  }
}

/** The LangGraph saver, once the boot sequence (`bootCheckpointer`) has run. */
export const saverProvider: Provider = {
  provide: getCheckpointerToken(),
  useFactory: bootCheckpointer,
  inject: [CheckpointerFactory, SchemaService, PoolManager, CheckpointerLogger],
};

/**
 * Kysely over the borrowed pool, scoped to the configured schema. `destroy()` on it cannot end
 * the pool (the borrowed pool's `end()` is a no-op); `PoolManager` closes it at shutdown. The
 * texts of the threads' frequent statements, compiled by this very instance, are the ones the
 * pool may prepare (`preparedStatements`); anything else sent through it stays unnamed.
 */
export const kyselyProvider: Provider = {
  provide: getCheckpointerDbToken(),
  useFactory: (pools: PoolManager, options: ResolvedCheckpointerOptions) => {
    const db = new Kysely<CheckpointerDatabase>({
      dialect: new PostgresDialect({ pool: pools.borrowedPool }),
    }).withSchema(options.schema);
    pools.preparedStatements.allow(frequentThreadStatements(db, options.schema));
    return db;
  },
  inject: [PoolManager, getCheckpointerOptionsToken()],
};
