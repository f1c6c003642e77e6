import type { Provider } from '@nestjs/common';
import { Kysely, PostgresDialect } from 'kysely';
import { CHECKPOINTER_MODULE_OPTIONS } from './checkpointer.module-definition';
import type {
  CheckpointerModuleOptions,
  ResolvedCheckpointerOptions,
} from './options/checkpointer.options';
import { resolveCheckpointerOptions } from './options/options.resolver';
import {
  getCheckpointerDbToken,
  getCheckpointerOptionsToken,
  getCheckpointerToken,
} from './common/checkpointer.tokens';
import { PoolManager } from './connection/pool.manager';
import { CheckpointerFactory } from './saver/checkpointer.factory';
import type { CheckpointerDatabase } from './schema/database';

/** Validates the raw options once, at boot; every provider injects the resolved form. */
export const resolvedOptionsProvider: Provider = {
  provide: getCheckpointerOptionsToken(),
  useFactory: (options: CheckpointerModuleOptions) => resolveCheckpointerOptions(options),
  inject: [CHECKPOINTER_MODULE_OPTIONS],
};

/** The LangGraph saver, built (after the database answers) by `CheckpointerFactory`. */
export const saverProvider: Provider = {
  provide: getCheckpointerToken(),
  useFactory: (factory: CheckpointerFactory) => factory.create(),
  inject: [CheckpointerFactory],
};

/**
 * Kysely over the borrowed pool, scoped to the configured schema. `destroy()` on it cannot end
 * the pool (the borrowed pool's `end()` is a no-op); `PoolManager` closes it at shutdown.
 */
export const kyselyProvider: Provider = {
  provide: getCheckpointerDbToken(),
  useFactory: (pools: PoolManager, options: ResolvedCheckpointerOptions) =>
    new Kysely<CheckpointerDatabase>({
      dialect: new PostgresDialect({ pool: pools.borrowedPool }),
    }).withSchema(options.schema),
  inject: [PoolManager, getCheckpointerOptionsToken()],
};
