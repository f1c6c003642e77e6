/**
 * RetryInterceptor + @Retryable over HTTP, with real database errors: a handler's first attempt
 * terminates its own backend (`pg_terminate_backend(pg_backend_pid())`, SQLSTATE 57P01, what a
 * failover or an administrator does to a connection).
 */
import { Controller, Get, type INestApplication, Post } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { type Kysely, sql } from 'kysely';
import request from 'supertest';
import {
  CheckpointerModule,
  type CheckpointerDatabase,
  InjectCheckpointerDb,
  PoolManager,
  RetryInterceptor,
  RetryPolicy,
  Retryable,
} from '../../../src/checkpointer';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { routeOptions } from '../../support/pooler';
import { describeOnRealPostgres } from '../../support/real-postgres';

@Controller('probe')
class ProbeController {
  /** Calls per route, reset before each test. */
  readonly calls = new Map<string, number>();

  constructor(@InjectCheckpointerDb() private readonly db: Kysely<CheckpointerDatabase>) {}

  /** Loses its connection on the first `failures` calls of `route`, then answers. */
  private async flaky(route: string, failures = 1): Promise<{ calls: number }> {
    const calls = (this.calls.get(route) ?? 0) + 1;
    this.calls.set(route, calls);
    if (calls <= failures)
      await sql`SELECT pg_terminate_backend(pg_backend_pid())`.execute(this.db);
    else await sql`SELECT 1`.execute(this.db);
    return { calls };
  }

  @Get('read')
  @Retryable()
  read() {
    return this.flaky('read');
  }

  @Post('create')
  @Retryable()
  create() {
    return this.flaky('create');
  }

  @Post('upsert')
  @Retryable({ idempotent: true })
  upsert() {
    return this.flaky('upsert');
  }

  @Get('undecorated')
  undecorated() {
    return this.flaky('undecorated');
  }

  @Get('down')
  @Retryable({ maxAttempts: 3, retryAfterSeconds: 7 })
  down() {
    return this.flaky('down', Number.POSITIVE_INFINITY);
  }

  /** Its own HTTP call (a model's, say) is reset on the first call; the database is never touched. */
  @Get('upstream-reset')
  @Retryable()
  upstreamReset() {
    const calls = (this.calls.get('upstream-reset') ?? 0) + 1;
    this.calls.set('upstream-reset', calls);
    if (calls === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    return { calls };
  }

  @Get('broken')
  @Retryable()
  async broken() {
    this.calls.set('broken', (this.calls.get('broken') ?? 0) + 1);
    return sql`SELECT * FROM no_such_table`.execute(this.db);
  }
}

describeOnRealPostgres('RetryInterceptor over HTTP', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let probe: ProbeController;

  beforeAll(async () => {
    database = await createTestDatabase('interceptor');
    const moduleRef = await Test.createTestingModule({
      imports: [
        CheckpointerModule.forRoot(routeOptions({ connectionString: database.url, logger: false })),
      ],
      controllers: [ProbeController],
      providers: [{ provide: APP_INTERCEPTOR, useExisting: RetryInterceptor }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    probe = app.get(ProbeController);
  });

  beforeEach(() => {
    probe.calls.clear();
  });

  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  describe('RetryInterceptor', () => {
    it('re-runs a GET handler after a transient database error', async () => {
      const retries = app.get(RetryPolicy).retries;
      await request(app.getHttpServer()).get('/probe/read').expect(200, { calls: 2 });
      expect(app.get(RetryPolicy).retries).toBe(retries + 1);
    });

    it('never re-runs a POST by default: answers 503 with Retry-After instead', async () => {
      const response = await request(app.getHttpServer()).post('/probe/create').expect(503);
      expect(response.headers['retry-after']).toBe('2'); // retry.maxDelayMs 2000, in seconds
      expect(response.body).toMatchObject({ statusCode: 503 });
      expect(JSON.stringify(response.body)).not.toMatch(/terminat|postgres/i); // no driver detail
      expect(probe.calls.get('create')).toBe(1);
    });

    it('re-runs a POST marked idempotent', async () => {
      await request(app.getHttpServer()).post('/probe/upsert').expect(201, { calls: 2 });
    });

    it('leaves handlers without @Retryable alone', async () => {
      await request(app.getHttpServer()).get('/probe/undecorated').expect(500);
      expect(probe.calls.get('undecorated')).toBe(1);
    });

    it('answers 503 with Retry-After once the attempts are spent', async () => {
      const givenUp = app.get(RetryPolicy).givenUp;
      const response = await request(app.getHttpServer()).get('/probe/down').expect(503);
      expect(response.headers['retry-after']).toBe('7');
      expect(probe.calls.get('down')).toBe(3);
      expect(app.get(RetryPolicy).givenUp).toBe(givenUp + 1);
    });

    it('a socket error of the handler’s own (not our connection) never replaces the pool', async () => {
      const pools = app.get(PoolManager);
      const recreations = pools.generation;
      await request(app.getHttpServer()).get('/probe/upstream-reset').expect(200, { calls: 2 });
      expect(pools.generation).toBe(recreations);
      // ...while our own lost connection still does (a failover).
      await request(app.getHttpServer()).get('/probe/read').expect(200);
      expect(pools.generation).toBe(recreations + 1);
    });

    it('does not retry a permanent error, nor turn it into a 503', async () => {
      await request(app.getHttpServer()).get('/probe/broken').expect(500);
      expect(probe.calls.get('broken')).toBe(1);
    });
  });
});
