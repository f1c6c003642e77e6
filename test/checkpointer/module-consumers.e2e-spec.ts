/**
 * CheckpointerModule as the application that imports it sees it: every provider it exports,
 * injected in every documented way (class, `@InjectCheckpointer()`/`@InjectCheckpointerDb()`,
 * `@Inject(get…Token())`), from the module that imports it (`forRoot`, `forRootAsync`) and, when
 * it is global, from a feature module that does not; `RetryInterceptor` both as
 * `@UseInterceptors(RetryInterceptor)` (controller and handler) and as
 * `{ provide: APP_INTERCEPTOR, useExisting: RetryInterceptor }`, exercised with a real 57P01.
 *
 * `@UseInterceptors(RetryInterceptor)` makes Nest build a new interceptor in the CONSUMER's
 * injector, so every dependency of the interceptor must be exported by CheckpointerModule.
 */
import {
  Controller,
  type DynamicModule,
  Get,
  Inject,
  type INestApplication,
  Injectable,
  Module,
  UseInterceptors,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import request from 'supertest';
import {
  CheckpointerFactory,
  CheckpointerHealthIndicator,
  CheckpointerMetrics,
  CheckpointerModule,
  type CheckpointerDatabase,
  type CheckpointerModuleOptions,
  ConnectionProvider,
  InjectCheckpointer,
  InjectCheckpointerDb,
  PoolManager,
  PostgresCheckpointer,
  type ResolvedCheckpointerOptions,
  RetentionService,
  RetryInterceptor,
  RetryPolicy,
  Retryable,
  SchemaService,
  SentimentService,
  ThreadTurns,
  ThreadService,
  getCheckpointerDbToken,
  getCheckpointerOptionsToken,
  getCheckpointerToken,
} from '../../src/checkpointer';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { routeOptions } from '../support/pooler';
import { itOnRealPostgres } from '../support/real-postgres';

/** Everything CheckpointerModule exports, injected the way the README and JSDoc show. */
@Injectable()
class EveryProvider {
  constructor(
    @Inject(getCheckpointerOptionsToken()) readonly options: ResolvedCheckpointerOptions,
    @InjectCheckpointer() readonly saver: BaseCheckpointSaver,
    @Inject(getCheckpointerToken()) readonly saverByToken: BaseCheckpointSaver,
    @InjectCheckpointerDb() readonly db: Kysely<CheckpointerDatabase>,
    @Inject(getCheckpointerDbToken()) readonly dbByToken: Kysely<CheckpointerDatabase>,
    readonly connection: ConnectionProvider,
    readonly pools: PoolManager,
    readonly factory: CheckpointerFactory,
    readonly schema: SchemaService,
    readonly retry: RetryPolicy,
    readonly interceptor: RetryInterceptor,
    readonly health: CheckpointerHealthIndicator,
    readonly threads: ThreadService,
    readonly turns: ThreadTurns,
    readonly sentiments: SentimentService,
    readonly retention: RetentionService,
    readonly metrics: CheckpointerMetrics,
  ) {}
}

/** Handler calls per route, so a test can count attempts. */
@Injectable()
class Calls {
  readonly byRoute = new Map<string, number>();

  /** Counts a call of `route`; its first call loses its connection (57P01), later ones answer. */
  async terminateOnce(route: string, db: Kysely<CheckpointerDatabase>): Promise<{ calls: number }> {
    const calls = (this.byRoute.get(route) ?? 0) + 1;
    this.byRoute.set(route, calls);
    if (calls === 1) await sql`SELECT pg_terminate_backend(pg_backend_pid())`.execute(db);
    else await sql`SELECT 1`.execute(db);
    return { calls };
  }
}

/** `@UseInterceptors(RetryInterceptor)` on the controller, as the interceptor's JSDoc shows. */
@Controller('intercepted')
@UseInterceptors(RetryInterceptor)
class InterceptedController {
  constructor(
    private readonly calls: Calls,
    @InjectCheckpointerDb() private readonly db: Kysely<CheckpointerDatabase>,
  ) {}

  @Get()
  @Retryable()
  read() {
    return this.calls.terminateOnce('intercepted', this.db);
  }
}

/** `@UseInterceptors(RetryInterceptor)` on one handler only. */
@Controller('intercepted-handler')
class InterceptedHandlerController {
  constructor(
    private readonly calls: Calls,
    @InjectCheckpointerDb() private readonly db: Kysely<CheckpointerDatabase>,
  ) {}

  @Get()
  @UseInterceptors(RetryInterceptor)
  @Retryable()
  read() {
    return this.calls.terminateOnce('intercepted-handler', this.db);
  }
}

/** For the global registration: no `@UseInterceptors`, only `@Retryable()`. */
@Controller('retryable')
@Retryable()
class RetryableController {
  constructor(
    private readonly calls: Calls,
    @InjectCheckpointerDb() private readonly db: Kysely<CheckpointerDatabase>,
  ) {}

  @Get()
  read() {
    return this.calls.terminateOnce('retryable', this.db);
  }
}

/** The README's readiness route. */
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checkpointer: CheckpointerHealthIndicator,
  ) {}

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.checkpointer.isHealthy('checkpointer')]);
  }
}

/** How the consumer applies RetryInterceptor. */
type Wiring = 'UseInterceptors' | 'APP_INTERCEPTOR';

const ROUTES: Record<Wiring, readonly string[]> = {
  UseInterceptors: ['/intercepted', '/intercepted-handler'],
  APP_INTERCEPTOR: ['/retryable'],
};

/** The user's module: it declares the consumers, and imports whatever `imports` says. */
function consumerModule(wiring: Wiring, imports: DynamicModule[]): DynamicModule {
  @Module({})
  class ConsumerModule {}
  return {
    module: ConsumerModule,
    imports: [TerminusModule, ...imports],
    controllers:
      wiring === 'UseInterceptors'
        ? [InterceptedController, InterceptedHandlerController, HealthController]
        : [RetryableController, HealthController],
    providers: [
      EveryProvider,
      Calls,
      ...(wiring === 'APP_INTERCEPTOR'
        ? [{ provide: APP_INTERCEPTOR, useExisting: RetryInterceptor }]
        : []),
    ],
  };
}

/** The root module a registration yields. Global ones put the consumers in a feature module. */
type Registration = (wiring: Wiring, options: CheckpointerModuleOptions) => DynamicModule;

function globalRoot(checkpointer: DynamicModule, wiring: Wiring): DynamicModule {
  @Module({})
  class AppModule {}
  return { module: AppModule, imports: [checkpointer, consumerModule(wiring, [])] };
}

const REGISTRATIONS: Record<string, Registration> = {
  'forRoot, imported by the consumer': (wiring, options) =>
    consumerModule(wiring, [CheckpointerModule.forRoot(options)]),
  'forRootAsync (useFactory), imported by the consumer': (wiring, options) =>
    consumerModule(wiring, [CheckpointerModule.forRootAsync({ useFactory: () => options })]),
  'forRoot({ isGlobal }), consumer in a feature module that does not import it': (
    wiring,
    options,
  ) => globalRoot(CheckpointerModule.forRoot({ ...options, isGlobal: true }), wiring),
  'forRootAsync({ isGlobal }), consumer in a feature module that does not import it': (
    wiring,
    options,
  ) =>
    globalRoot(
      CheckpointerModule.forRootAsync({ useFactory: () => options, isGlobal: true }),
      wiring,
    ),
};

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('consumers');
});

afterAll(async () => {
  await database?.drop();
});

describe.each(Object.entries(REGISTRATIONS))('CheckpointerModule.%s', (_, register) => {
  describe.each(['UseInterceptors', 'APP_INTERCEPTOR'] as const)(
    'RetryInterceptor by %s',
    (wiring) => {
      let app: INestApplication;

      beforeAll(async () => {
        const options = routeOptions({ connectionString: database.url, logger: false });
        const moduleRef = await Test.createTestingModule({
          imports: [register(wiring, options)],
        }).compile();
        app = moduleRef.createNestApplication({ logger: false });
        await app.init();
      });

      afterAll(async () => {
        await app?.close();
      });

      it('boots, and every exported provider is injected and usable', async () => {
        const every = app.get(EveryProvider);
        expect(every.options.schema).toBe('public');
        expect(every.saver).toBeInstanceOf(PostgresCheckpointer);
        expect(every.saverByToken).toBe(every.saver);
        expect(every.dbByToken).toBe(every.db);
        await expect(
          every.saver.getTuple({ configurable: { thread_id: randomUUID() } }),
        ).resolves.toBeUndefined();
        const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(every.db);
        expect(rows).toEqual([{ one: 1 }]);
        expect(every.connection.describe()).toContain(database.name);
        expect(every.pools.stats().total).toBeGreaterThanOrEqual(1);
        expect(every.factory.kind).toBe('postgres');
        expect((await every.schema.status()).upToDate).toBe(true);
        await expect(
          every.retry.run(() => Promise.resolve('done'), { idempotent: true }),
        ).resolves.toBe('done');
        expect(every.interceptor).toBeInstanceOf(RetryInterceptor);
        expect((await every.health.isHealthy('checkpointer')).checkpointer.status).toBe('up');

        const userEmail = 'consumer@example.com';
        const { threadId } = await every.threads.createThread(userEmail);
        const { runId } = await every.turns.run(userEmail, threadId, () =>
          every.threads.recordRun({ userEmail, threadId, prompt: 'hello' }),
        );
        await expect(every.sentiments.setSentiment(userEmail, runId, true)).resolves.toMatchObject({
          runId,
        });
        await expect(every.retention.sweep({ dryRun: true })).resolves.toMatchObject({
          status: 'completed',
          dryRun: true,
        });
        expect(every.metrics.snapshot().saver).toBe('postgres');
        expect(app.get(CheckpointerModule).metrics().saver).toBe('postgres');
      });

      it('answers the README readiness route', async () => {
        await request(app.getHttpServer()).get('/health/ready').expect(200);
      });

      itOnRealPostgres('re-runs a @Retryable() handler after a real 57P01', async () => {
        const calls = app.get(Calls);
        for (const route of ROUTES[wiring]) {
          const retries = app.get(RetryPolicy).retries;
          await request(app.getHttpServer()).get(route).expect(200, { calls: 2 });
          expect(calls.byRoute.get(route.slice(1))).toBe(2);
          expect(app.get(RetryPolicy).retries).toBe(retries + 1);
        }
      });
    },
  );
});
