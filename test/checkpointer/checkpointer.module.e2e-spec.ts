import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  type BaseCheckpointSaver,
  JsonPlusSerializer,
  emptyCheckpoint,
} from '@langchain/langgraph-checkpoint';
import { type Kysely, sql } from 'kysely';
import {
  CheckpointerModule,
  type CheckpointerDatabase,
  type CheckpointerModuleOptions,
  InjectCheckpointer,
  InjectCheckpointerDb,
  PoolManager,
  PostgresCheckpointer,
  SchemaService,
  getCheckpointerOptionsToken,
  type ResolvedCheckpointerOptions,
} from '../../src/checkpointer';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { routeOptions } from '../support/pooler';

/** A consumer, injecting what a user's service would. */
@Injectable()
class ChatService {
  constructor(
    @InjectCheckpointer() readonly saver: BaseCheckpointSaver,
    @InjectCheckpointerDb() readonly db: Kysely<CheckpointerDatabase>,
  ) {}
}

@Module({ providers: [ChatService], exports: [ChatService] })
class ChatModule {}

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('module');
});

afterAll(async () => {
  await database.drop();
});

/** Options for the test database, through PgBouncer under `npm run test:pgbouncer`. */
function options(extra: Partial<CheckpointerModuleOptions> = {}): CheckpointerModuleOptions {
  return routeOptions({ connectionString: database.url, logger: false, ...extra });
}

describe('CheckpointerModule wiring', () => {
  it('forRoot: injects the saver and Kysely over the same managed pool', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CheckpointerModule.forRoot(options())],
      providers: [ChatService],
    }).compile();
    const app = await moduleRef.init();
    const chat = app.get(ChatService);
    const pools = app.get(PoolManager);

    expect(chat.saver).toBeInstanceOf(PostgresCheckpointer);
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(chat.db);
    expect(rows[0].pid).toEqual(expect.any(Number));
    // Kysely used the managed pool, not one of its own.
    expect(pools.stats().total).toBeGreaterThanOrEqual(1);
    await expect(
      chat.saver.getTuple({ configurable: { thread_id: 'nobody' } }),
    ).resolves.toBeUndefined();
    await app.close();
  });

  it('forRootAsync with useFactory and inject', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CheckpointerModule.forRootAsync({
          imports: [ConfigLikeModule],
          inject: [DATABASE_URL],
          useFactory: (url: string) => options({ connectionString: url, schema: 'from_factory' }),
        }),
      ],
      providers: [ChatService],
    }).compile();
    const app = await moduleRef.init();
    const resolved = app.get<ResolvedCheckpointerOptions>(getCheckpointerOptionsToken());
    expect(resolved.schema).toBe('from_factory');
    expect((await app.get(SchemaService).status()).upToDate).toBe(true);
    await app.close();
  });

  it('forRootAsync with useClass', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CheckpointerModule.forRootAsync({ imports: [ConfigLikeModule], useClass: OptionsFactory }),
      ],
    }).compile();
    const app = await moduleRef.init();
    expect(app.get<ResolvedCheckpointerOptions>(getCheckpointerOptionsToken()).schema).toBe(
      'from_class',
    );
    await app.close();
  });

  it('forRootAsync with useExisting', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CheckpointerModule.forRootAsync({
          imports: [OptionsFactoryModule],
          useExisting: OptionsFactory,
        }),
      ],
    }).compile();
    const app = await moduleRef.init();
    expect(app.get<ResolvedCheckpointerOptions>(getCheckpointerOptionsToken()).schema).toBe(
      'from_class',
    );
    await app.close();
  });

  it('isGlobal: a feature module injects the saver without importing the module', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CheckpointerModule.forRoot({ ...options(), isGlobal: true }), ChatModule],
    }).compile();
    const app = await moduleRef.init();
    expect(app.get(ChatService).saver).toBeInstanceOf(PostgresCheckpointer);
    await app.close();
  });

  it('without isGlobal, a feature module cannot resolve the saver', async () => {
    await expect(
      Test.createTestingModule({
        imports: [CheckpointerModule.forRoot(options()), ChatModule],
      }).compile(),
    ).rejects.toThrow(/can't resolve dependencies of the ChatService/i);
  });

  it('builds the saver with the configured serde', async () => {
    const base = new JsonPlusSerializer();
    const serde = {
      dumpsTyped: jest.fn((value: unknown) => base.dumpsTyped(value)),
      loadsTyped: jest.fn((type: string, data: Uint8Array | string) => base.loadsTyped(type, data)),
    };
    const moduleRef = await Test.createTestingModule({
      imports: [CheckpointerModule.forRoot(options({ serde }))],
      providers: [ChatService],
    }).compile();
    const app = await moduleRef.init();
    const saver = app.get(ChatService).saver;
    const checkpoint = emptyCheckpoint();
    await saver.put(
      { configurable: { thread_id: 'serde', checkpoint_ns: '' } },
      { ...checkpoint, channel_values: { messages: ['hi'] }, channel_versions: { messages: 1 } },
      { source: 'input', step: -1, parents: {} },
      { messages: 1 },
    );
    expect(serde.dumpsTyped).toHaveBeenCalledWith(['hi']);
    const tuple = await saver.getTuple({ configurable: { thread_id: 'serde' } });
    expect(tuple?.checkpoint.channel_values).toEqual({ messages: ['hi'] });
    expect(serde.loadsTyped).toHaveBeenCalled();
    await app.close();
  });

  it('app.close() ends the pool exactly once, and saver.end() / kysely.destroy() do not end it', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CheckpointerModule.forRoot(options())],
      providers: [ChatService],
    }).compile();
    const app = await moduleRef.init();
    const pools = app.get(PoolManager);
    const chat = app.get(ChatService);
    const end = jest.spyOn(pools.pool, 'end');

    await chat.saver.getTuple({ configurable: { thread_id: 't' } });
    await (chat.saver as PostgresCheckpointer).end();
    await chat.db.destroy();
    expect(end).not.toHaveBeenCalled();
    // Still usable: nobody but PoolManager may end the pool.
    await expect(pools.ping(1000)).resolves.toEqual(expect.any(Number));

    await app.close();
    await pools.end(); // idempotent: a second call must not end it again
    expect(end).toHaveBeenCalledTimes(1);
    expect(pools.pool.ended).toBe(true);
  });
});

const DATABASE_URL = Symbol('DATABASE_URL');

@Module({
  providers: [{ provide: DATABASE_URL, useFactory: () => database.url }],
  exports: [DATABASE_URL],
})
class ConfigLikeModule {}

@Injectable()
class OptionsFactory {
  constructor(@Inject(DATABASE_URL) private readonly url: string) {}

  createCheckpointerOptions(): CheckpointerModuleOptions {
    return routeOptions({ connectionString: this.url, schema: 'from_class', logger: false });
  }
}

@Module({ imports: [ConfigLikeModule], providers: [OptionsFactory], exports: [OptionsFactory] })
class OptionsFactoryModule {}
