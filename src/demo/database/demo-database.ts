import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';
import {
  type CheckpointerModuleOptions,
  PoolManager,
  checkpointerOptionsFromEnv,
} from '../../checkpointer';
import type { DemoEnvironment } from '../config/demo.environment';
import { EmbeddedDatabase } from './embedded-database';

/** The environment variables that select a database server. */
export const DATABASE_VARIABLES = [
  'DATABASE_URL',
  'PGHOST',
  'PGPORT',
  'PGUSER',
  'PGPASSWORD',
  'PGDATABASE',
  'PGSSLMODE',
] as const;

/**
 * Where the embedded database may run: it has no authentication (any local process that finds its
 * port gets in, with any password), so production must name a real server.
 */
const EMBEDDED_ENVIRONMENTS: readonly DemoEnvironment['NODE_ENV'][] = ['development', 'test'];

/**
 * Chooses the demo's database: the configured server (`DATABASE_URL` or `PG*`), or, when none is
 * configured and NODE_ENV is development or test, the embedded PGlite database, started here and
 * stopped at shutdown once the checkpointer's pool has closed. In production, no database
 * configured is an error at boot that says what to set.
 */
@Injectable()
export class DemoDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger('DemoDatabase');
  private embedded: EmbeddedDatabase | undefined;
  private chosen: 'configured' | 'embedded' | undefined;

  constructor(
    private readonly config: ConfigService<DemoEnvironment, true>,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** Which database the demo runs on, once `checkpointerOptions()` has chosen. */
  get kind(): 'configured' | 'embedded' | undefined {
    return this.chosen;
  }

  /** The checkpointer's options for the chosen database. */
  async checkpointerOptions(): Promise<CheckpointerModuleOptions> {
    const schema = this.config.get('CHECKPOINTER_SCHEMA', { infer: true });
    const env = Object.fromEntries(
      DATABASE_VARIABLES.map((name) => [
        name,
        this.config.get<string>(name as keyof DemoEnvironment),
      ]),
    );
    if (env.DATABASE_URL !== undefined || env.PGHOST !== undefined) {
      const migrationConnectionString = this.config.get('MIGRATION_DATABASE_URL', { infer: true });
      this.chosen = 'configured';
      return { ...checkpointerOptionsFromEnv(env), schema, migrationConnectionString };
    }
    const nodeEnv = this.config.get('NODE_ENV', { infer: true });
    if (!EMBEDDED_ENVIRONMENTS.includes(nodeEnv)) {
      throw new Error(
        `No database configured and NODE_ENV is ${nodeEnv}: set DATABASE_URL (or PGHOST, with ` +
          'PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE as needed). The embedded PGlite ' +
          'database accepts any password on its loopback port, so it runs only when NODE_ENV is ' +
          `${EMBEDDED_ENVIRONMENTS.join(' or ')}.`,
      );
    }
    const dataDir = this.config.get('DEMO_DATA_DIR', { infer: true });
    this.embedded = await EmbeddedDatabase.start({
      dataDir,
      // The pool then finds its connections refused: requests answer 503, readiness is down.
      onFailure: (error) =>
        this.logger.error(
          `The embedded database stopped unexpectedly (${error.message}): requests answer 503 ` +
            'until the app is restarted.',
        ),
    });
    this.chosen = 'embedded';
    this.logger.warn(
      `No DATABASE_URL or PGHOST set: using the embedded PGlite database in ${dataDir} ` +
        '(development only: one connection, no authentication, no statement timeouts).',
    );
    // PGlite is one session: one pooled connection (plus the dedicated migration connection).
    return { connectionString: this.embedded.url, schema, pool: { max: 1 } };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.embedded === undefined) return;
    // Nest shuts the global CheckpointerModule down after this module, so its pool would still
    // hold connections to the server stopped here ("an idle connection was lost" on every stop).
    // PoolManager.end() ends the pool once; its own hook then finds it ended.
    await this.moduleRef.get(PoolManager, { strict: false }).end();
    await this.embedded.stop();
    this.embedded = undefined;
  }
}
