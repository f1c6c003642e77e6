import { Inject, Injectable } from '@nestjs/common';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { SchemaNotCurrentError, errorMessage } from '../common/checkpointer.errors';
import { CheckpointerLogger } from '../common/checkpointer.logger';
import type { ResolvedCheckpointerOptions } from '../options/checkpointer.options';
import { getCheckpointerOptionsToken } from '../common/checkpointer.tokens';
import { ConnectionProvider } from '../connection/connection.provider';
import { PoolManager } from '../connection/pool.manager';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, createMigrations } from './migrations';
import { quoteIdentifier } from '../common/sql-identifier';
import { latestUpstreamCheckpointVersion } from './upstream-migrations';
import { acquireMigrationLock, releaseMigrationLock } from './migration-lock';

/** Where the schema stands, from `SchemaService.status()`. */
export interface SchemaStatus {
  readonly schema: string;
  /** Upstream `PostgresSaver` tables, versioned in `checkpoint_migrations`. */
  readonly checkpoints: {
    /** Highest applied version, or `null` when the tables do not exist yet. */
    readonly version: number | null;
    /** Latest version the installed upstream package knows (`null`: could not be determined). */
    readonly latest: number | null;
    readonly current: boolean;
  };
  /** Our own tables, versioned by Kysely's migrator. */
  readonly app: {
    readonly applied: readonly string[];
    readonly pending: readonly string[];
    readonly current: boolean;
  };
  /** Both parts are current: booting would execute no DDL. */
  readonly upToDate: boolean;
}

/**
 * A status `SchemaService` established by migrating or verifying, numbered so a reader can tell
 * which of two statuses is newer (see `SchemaService.established`).
 */
export interface EstablishedSchemaStatus {
  readonly status: SchemaStatus;
  /** `Date.now()` when it was read. */
  readonly readAt: number;
  /** `1` for the first status established, then `2`, ...: a larger number is a newer status. */
  readonly generation: number;
}

interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/**
 * Keeps the schema current: upstream `PostgresSaver.setup()` for the checkpoint tables and a
 * Kysely `Migrator` for ours, both in the configured schema. `prepare()` does what `migrations`
 * says ('run' | 'verify' | 'skip'); the module's boot sequence calls it once the database answers
 * (`checkpointer.providers.ts`).
 *
 * Migrating holds a session advisory lock on a dedicated connection (`migration-lock.ts`, the
 * wait bounded by `migrationLockTimeoutMs`), so replicas booting together migrate one at a time
 * (upstream `setup()` alone races: duplicate-key errors on `CREATE SCHEMA` and
 * `checkpoint_migrations`). An up-to-date schema is detected with plain reads first, so a normal
 * boot executes no DDL and a role without CREATE rights can boot.
 */
@Injectable()
export class SchemaService {
  private readonly latestCheckpointVersion: number | undefined;
  private lastEstablished: EstablishedSchemaStatus | undefined;

  constructor(
    @Inject(getCheckpointerOptionsToken()) private readonly options: ResolvedCheckpointerOptions,
    private readonly connection: ConnectionProvider,
    private readonly pools: PoolManager,
    private readonly logger: CheckpointerLogger,
  ) {
    this.latestCheckpointVersion = latestUpstreamCheckpointVersion(options.schema);
  }

  /**
   * The status the last `migrate()` (or `'verify'` at boot) ended with, read on the connection
   * that migrated. Whoever caches `status()` (the health indicator, the metrics) compares its
   * `generation` with the one current when their read began: a read that began before the
   * migration finished may have seen the schema before it, and must not outlive it. Published
   * here, rather than pushed to the caches, because schema/ sits below health/ and never imports it.
   */
  get established(): EstablishedSchemaStatus | undefined {
    return this.lastEstablished;
  }

  /** Versions applied and pending, read without taking any lock. */
  async status(): Promise<SchemaStatus> {
    return this.readStatus(this.pools.pool);
  }

  /**
   * Brings the schema up to date under the advisory lock; a no-op (no lock, no DDL) when it
   * already is. Returns the status afterwards.
   */
  async migrate(): Promise<SchemaStatus> {
    const before = await this.status();
    if (before.upToDate) {
      this.logger.debug(`schema "${this.options.schema}" is current; nothing to migrate`);
      return this.establish(before);
    }
    return this.connection.withClient(async (client) => {
      this.logger.debug(`schema "${this.options.schema}": taking the migration lock`);
      await acquireMigrationLock(client, {
        schema: this.options.schema,
        timeoutMs: this.options.migrationLockTimeoutMs,
        warn: (message) => this.logger.warn(message),
      });
      try {
        // Another replica may have migrated while we waited for the lock.
        const locked = await this.readStatus(client);
        if (!locked.checkpoints.current) await this.migrateCheckpointTables(client, locked);
        if (!locked.app.current) await this.migrateAppTables(client);
        return this.establish(await this.readStatus(client));
      } finally {
        await releaseMigrationLock(client, this.options.schema);
      }
    });
  }

  /**
   * Brings the schema to where `migrations` says: `'run'` migrates (see `migrate()`), `'verify'`
   * fails with `SchemaNotCurrentError` unless it is current, `'skip'` does nothing. Called once
   * at boot, by the module's boot sequence.
   */
  async prepare(): Promise<void> {
    switch (this.options.migrations) {
      case 'skip':
        this.logger.log(`schema: migrations skipped by configuration ('skip')`);
        return;
      case 'verify': {
        const status = this.establish(await this.status());
        if (!status.upToDate) throw new SchemaNotCurrentError(describeLag(status));
        this.logger.debug(`schema "${status.schema}" verified current`);
        return;
      }
      case 'run': {
        const status = await this.migrate();
        // When upstream's latest version cannot be determined, setup() ran anyway: accept it.
        const checkpointsDone = status.checkpoints.current || status.checkpoints.latest === null;
        if (!checkpointsDone || status.checkpoints.version === null || !status.app.current) {
          throw new SchemaNotCurrentError(describeLag(status));
        }
      }
    }
  }

  private establish(status: SchemaStatus): SchemaStatus {
    const generation = (this.lastEstablished?.generation ?? 0) + 1;
    this.lastEstablished = { status, readAt: Date.now(), generation };
    return status;
  }

  private async migrateCheckpointTables(client: pg.Client, status: SchemaStatus): Promise<void> {
    this.logger.log(
      `schema "${status.schema}": checkpoint tables at version ${status.checkpoints.version ?? 'none'}, running upstream setup()`,
    );
    // setup() only needs connect()/release(): hand it the locked connection, never a pool.
    const lockedConnection = {
      connect: () => Promise.resolve(asPoolClient(client)),
    } as unknown as pg.Pool;
    await new PostgresSaver(lockedConnection, undefined, { schema: this.options.schema }).setup();
  }

  private async migrateAppTables(client: pg.Client): Promise<void> {
    const db = new Kysely<unknown>({
      dialect: new PostgresDialect({
        pool: {
          connect: () => Promise.resolve(asPoolClient(client)),
          end: () => Promise.resolve(),
        },
      }),
    }).withSchema(this.options.schema);
    const { error, results } = await new Migrator({
      db,
      provider: { getMigrations: () => Promise.resolve(createMigrations(this.options.schema)) },
      migrationTableSchema: this.options.schema,
      migrationTableName: MIGRATION_TABLE,
      migrationLockTableName: MIGRATION_LOCK_TABLE,
    }).migrateToLatest();
    for (const result of results ?? []) {
      this.logger.log(
        `schema "${this.options.schema}": migration ${result.migrationName} ${result.status}`,
      );
    }
    // Kysely's migrator reports failures instead of throwing them.
    if (error !== undefined) {
      throw new Error(`schema "${this.options.schema}": migration failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  private async readStatus(db: Queryable): Promise<SchemaStatus> {
    const schema = this.options.schema;
    const q = quoteIdentifier(schema);
    const tables = await db.query<{ checkpoints: boolean; app: boolean }>(
      `SELECT to_regclass($1) IS NOT NULL AS checkpoints, to_regclass($2) IS NOT NULL AS app`,
      [`${q}.checkpoint_migrations`, `${q}.${quoteIdentifier(MIGRATION_TABLE)}`],
    );
    const exists = tables.rows[0];
    const version = exists.checkpoints
      ? (await db.query<{ v: number | null }>(`SELECT max(v) AS v FROM ${q}.checkpoint_migrations`))
          .rows[0].v
      : null;
    const applied = exists.app
      ? (
          await db.query<{ name: string }>(
            `SELECT name FROM ${q}.${quoteIdentifier(MIGRATION_TABLE)} ORDER BY name`,
          )
        ).rows.map((r) => r.name)
      : [];
    const pending = Object.keys(createMigrations(this.options.schema))
      .sort()
      .filter((name) => !applied.includes(name));
    const latest = this.latestCheckpointVersion ?? null;
    const checkpointsCurrent = version !== null && latest !== null && version >= latest;
    return {
      schema,
      checkpoints: { version, latest, current: checkpointsCurrent },
      app: { applied, pending, current: pending.length === 0 },
      upToDate: checkpointsCurrent && pending.length === 0,
    };
  }
}

/** The dedicated client, shaped like a pooled one whose release() leaves it open. */
function asPoolClient(client: pg.Client): pg.PoolClient {
  return Object.assign(Object.create(null) as object, {
    query: client.query.bind(client),
    release: () => undefined,
  }) as unknown as pg.PoolClient;
}

function describeLag(status: SchemaStatus): string {
  const parts: string[] = [];
  if (!status.checkpoints.current) {
    parts.push(
      `checkpoint tables at version ${status.checkpoints.version ?? 'none'}, expected ${status.checkpoints.latest ?? 'the latest'}`,
    );
  }
  if (!status.app.current) parts.push(`pending migrations: ${status.app.pending.join(', ')}`);
  return `schema "${status.schema}" is not current (${parts.join('; ')}). Run the application once with migrations: 'run', or migrate in a separate step.`;
}
