import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import type { CheckpointerModuleOptions } from '../../src/checkpointer';
import { bootCheckpointer } from './app';
import { createTestDatabase, type TestDatabase } from './database';

/** What `useCheckpointerDatabase()` gives a spec file. */
export interface CheckpointerFixture {
  /** The spec file's scratch database (created in `beforeAll`). */
  readonly database: TestDatabase;
  /**
   * Boots `CheckpointerModule` on the database (the fixture's defaults, then `options`). An app
   * booted inside a test is closed after that test; one booted in `beforeAll`, after all tests.
   */
  boot(
    options?: Partial<CheckpointerModuleOptions>,
    settings?: { logger?: LoggerService },
  ): Promise<INestApplicationContext>;
  /** Closes `app` now (a restart inside a test); the fixture will not close it again. */
  close(app: INestApplicationContext): Promise<void>;
}

/**
 * The setup most database specs share: a scratch database for the file, the module booted on it
 * as often as a test needs, every app closed and the database dropped afterwards. Call it at the
 * top of the file, or inside a `describeOnRealPostgres` block (a skipped block creates nothing).
 *
 * @example
 * const fixture = useCheckpointerDatabase('health', { schema: 'health' });
 * it('is up', async () => { const app = await fixture.boot({ pool: { max: 2 } }); ... });
 */
export function useCheckpointerDatabase(
  label: string,
  defaults: Partial<CheckpointerModuleOptions> = {},
): CheckpointerFixture {
  let database: TestDatabase | undefined;
  let inTest = false;
  const bootedInTest = new Set<INestApplicationContext>();
  const bootedForFile = new Set<INestApplicationContext>();

  const closeAll = async (apps: Set<INestApplicationContext>) => {
    const closing = [...apps];
    apps.clear();
    for (const app of closing) await app.close();
  };

  beforeAll(async () => {
    database = await createTestDatabase(label);
  });
  beforeEach(() => {
    inTest = true;
  });
  afterEach(async () => {
    inTest = false;
    await closeAll(bootedInTest);
  });
  afterAll(async () => {
    await closeAll(bootedForFile);
    await database?.drop();
  });

  return {
    get database(): TestDatabase {
      if (database === undefined) throw new Error('the fixture database exists from beforeAll on');
      return database;
    },
    async boot(options = {}, settings = {}) {
      const app = await bootCheckpointer(
        { connectionString: this.database.url, ...defaults, ...options },
        settings,
      );
      (inTest ? bootedInTest : bootedForFile).add(app);
      return app;
    },
    async close(app) {
      bootedInTest.delete(app);
      bootedForFile.delete(app);
      await app.close();
    },
  };
}
