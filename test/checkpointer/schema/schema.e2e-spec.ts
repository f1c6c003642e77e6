/**
 * SchemaService: migrations under an advisory lock, in the configured schema; no DDL when the
 * schema is current (so a role without CREATE rights boots); 'verify' and 'skip' modes; eight
 * replicas booting at once on an empty database.
 */
import { randomBytes } from 'node:crypto';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import pg from 'pg';
import {
  type CheckpointerModuleOptions,
  SchemaNotCurrentError,
  SchemaService,
} from '../../../src/checkpointer';
import { createMigrations } from '../../../src/checkpointer/schema/migrations';
import { bootCheckpointer } from '../../support/app';
import { itOnRealPostgres } from '../../support/real-postgres';
import { createTestDatabase, type TestDatabase, urlOfDatabase } from '../../support/database';

/** Our own migrations, in the order they run. */
const OUR_MIGRATIONS = Object.keys(createMigrations('public')).sort();

let database: TestDatabase;

beforeEach(async () => {
  database = await createTestDatabase('schema');
});

afterEach(async () => {
  await database.drop();
});

function options(extra: Partial<CheckpointerModuleOptions> = {}): CheckpointerModuleOptions {
  return { connectionString: database.url, schema: 'agents', ...extra };
}

async function tablesIn(schema: string): Promise<string[]> {
  const { rows } = await database.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
    [schema],
  );
  return rows.map((r) => r.table_name);
}

/** Records every DDL command run in the database from now on. */
async function recordDdl(): Promise<() => Promise<string[]>> {
  await database.query(`
    CREATE TABLE public.ddl_log (tag text NOT NULL);
    CREATE FUNCTION public.log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO public.ddl_log VALUES (tg_tag); END $$;
    CREATE EVENT TRIGGER log_ddl ON ddl_command_start EXECUTE FUNCTION public.log_ddl();`);
  return async () =>
    (await database.query<{ tag: string }>('SELECT tag FROM public.ddl_log')).rows.map(
      (r) => r.tag,
    );
}

describe('SchemaService', () => {
  it('creates the checkpoint tables and its own migration table in the configured schema only', async () => {
    const app = await bootCheckpointer(options());
    const status = await app.get(SchemaService).status();
    await app.close();

    expect(status).toEqual({
      schema: 'agents',
      checkpoints: { version: 4, latest: 4, current: true },
      app: { applied: OUR_MIGRATIONS, pending: [], current: true },
      upToDate: true,
    });
    expect(await tablesIn('agents')).toEqual(
      expect.arrayContaining([
        'checkpoint_blobs',
        'checkpoint_migrations',
        'checkpoint_writes',
        'checkpoints',
      ]),
    );
    expect(await tablesIn('public')).toEqual([]);
  });

  itOnRealPostgres('executes no DDL at all when booting on a current schema', async () => {
    await (await bootCheckpointer(options())).close();
    const ddl = await recordDdl();

    const app = await bootCheckpointer(options());
    await app.get(SchemaService).migrate();
    await app.close();

    expect(await ddl()).toEqual([]);
  });

  itOnRealPostgres(
    'boots a role without CREATE rights on a current schema (upstream setup() alone cannot)',
    async () => {
      await (await bootCheckpointer(options())).close();
      const role = `cp_limited_${randomBytes(3).toString('hex')}`;
      await database.query(`
      CREATE ROLE ${role} LOGIN;
      REVOKE CREATE ON DATABASE "${database.name}" FROM PUBLIC;
      GRANT USAGE ON SCHEMA agents TO ${role};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA agents TO ${role};`);
      try {
        const url = new URL(urlOfDatabase(database.name));
        url.username = role;
        const app = await bootCheckpointer(options({ connectionString: url.toString() }));
        expect((await app.get(SchemaService).status()).upToDate).toBe(true);
        await app.close();

        const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
        try {
          await expect(
            new PostgresSaver(pool, undefined, { schema: 'agents' }).setup(),
          ).rejects.toMatchObject({ code: '42501' }); // permission denied for database
        } finally {
          await pool.end();
        }
      } finally {
        await database.query(`DROP OWNED BY ${role}; DROP ROLE ${role};`);
      }
    },
  );

  it("migrations: 'verify' fails the boot with a clear message when the schema is behind", async () => {
    const error = await bootCheckpointer(options({ migrations: 'verify' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SchemaNotCurrentError);
    expect((error as Error).message).toBe(
      `schema "agents" is not current (checkpoint tables at version none, expected 4; ` +
        `pending migrations: ${OUR_MIGRATIONS.join(', ')}). ` +
        `Run the application once with migrations: 'run', or migrate in a separate step.`,
    );
    expect(await tablesIn('agents')).toEqual([]);
  });

  it("migrations: 'verify' boots on a current schema", async () => {
    await (await bootCheckpointer(options())).close();
    const app = await bootCheckpointer(options({ migrations: 'verify' }));
    expect((await app.get(SchemaService).status()).upToDate).toBe(true);
    await app.close();
  });

  it("migrations: 'skip' leaves the database alone", async () => {
    const app = await bootCheckpointer(options({ migrations: 'skip' }));
    expect((await app.get(SchemaService).status()).upToDate).toBe(false);
    await app.close();
    expect(await tablesIn('agents')).toEqual([]);
  });

  itOnRealPostgres(
    'eight replicas booting at once on an empty database all succeed, migrating once',
    async () => {
      const boots = await Promise.allSettled(
        Array.from({ length: 8 }, () => bootCheckpointer(options({ pool: { max: 2 } }))),
      );
      const failures = boots.filter((b) => b.status === 'rejected');
      expect(failures).toEqual([]);
      for (const boot of boots) if (boot.status === 'fulfilled') await boot.value.close();

      const { rows } = await database.query<{ v: number }>(
        'SELECT v FROM agents.checkpoint_migrations ORDER BY v',
      );
      expect(rows.map((r) => r.v)).toEqual([0, 1, 2, 3, 4]);
      const app = await bootCheckpointer(options({ migrations: 'verify' }));
      expect((await app.get(SchemaService).status()).app.applied).toEqual(OUR_MIGRATIONS);
      await app.close();
    },
  );
});
