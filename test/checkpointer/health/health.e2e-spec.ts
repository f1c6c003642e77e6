/**
 * CheckpointerHealthIndicator and CheckpointerMetrics: what they report up, down, slow, behind on
 * its schema, and on the in-memory fallback (the cases that need the fault proxy run on a real
 * server only). The outage cases (down within 2 s, up within 2 s of the return) are in
 * faults.e2e-spec.ts.
 */
import {
  Controller,
  Get,
  type INestApplication,
  type INestApplicationContext,
} from '@nestjs/common';
import pg from 'pg';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  CheckpointerHealthIndicator,
  CheckpointerMetrics,
  CheckpointerModule,
  type CheckpointerModuleOptions,
  PoolManager,
  SchemaService,
} from '../../../src/checkpointer';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import { TEST_DATABASE_URL } from '../../support/database';
import { eventually } from '../../support/eventually';
import { itOnRealPostgres } from '../../support/real-postgres';
import { TcpProxy } from '../../support/tcp-proxy';
import { routeOptions } from '../../support/pooler';

const server = new URL(TEST_DATABASE_URL);
const fixture = useCheckpointerDatabase('health', { schema: 'health' });
/** The last app booted. */
let app: INestApplicationContext | undefined;

async function boot(options: Partial<CheckpointerModuleOptions> = {}) {
  app = await fixture.boot(options);
  return app;
}

describe('CheckpointerHealthIndicator', () => {
  it('up: latency, pool counters, a current schema and the saver kind', async () => {
    const health = (await boot()).get(CheckpointerHealthIndicator);
    const result = await health.isHealthy('checkpointer');
    expect(result).toEqual({
      checkpointer: {
        status: 'up',
        saver: 'postgres',
        latencyMs: expect.any(Number),
        pool: { total: expect.any(Number), idle: expect.any(Number), waiting: 0 },
        schema: {
          name: 'health',
          current: true,
          checkpointsVersion: 4,
          checkpointsLatest: 4,
          pendingMigrations: [],
        },
      },
    });
  });

  it('reads the schema status at most once per 10 s, however often it is asked', async () => {
    const running = await boot();
    const status = jest.spyOn(running.get(SchemaService), 'status');
    const health = running.get(CheckpointerHealthIndicator);
    // The status the boot's migration step established serves the first 10 s.
    for (let i = 0; i < 5; i += 1) await health.isHealthy('checkpointer');
    expect(status).toHaveBeenCalledTimes(0);
    const later = jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 10_001);
    try {
      for (let i = 0; i < 5; i += 1) await health.isHealthy('checkpointer');
    } finally {
      later.mockRestore();
    }
    expect(status).toHaveBeenCalledTimes(1);
  });

  it('down when the schema is behind this version of the module', async () => {
    await fixture.close(await boot({ schema: 'behind' }));
    await fixture.database.query('DELETE FROM behind.checkpoint_migrations WHERE v = 4');
    const health = (await boot({ schema: 'behind', migrations: 'skip' })).get(
      CheckpointerHealthIndicator,
    );
    const result = await health.isHealthy('checkpointer');
    expect(result.checkpointer).toMatchObject({
      status: 'down',
      message: 'schema "behind" is not current',
      schema: { current: false, checkpointsVersion: 3, checkpointsLatest: 4 },
    });
  });

  itOnRealPostgres(
    'a ping slower than timeoutMs is down, and does not keep a pooled connection',
    async () => {
      const proxy = await TcpProxy.start({
        host: server.hostname,
        port: Number(server.port || 5432),
      });
      try {
        const running = await boot({
          connectionString: proxy.urlFor(fixture.database.url),
          migrationConnectionString: fixture.database.url,
        });
        const health = running.get(CheckpointerHealthIndicator);
        expect((await health.isHealthy('checkpointer')).checkpointer.status).toBe('up');
        proxy.latencyMs = 400; // 800 ms per round trip
        const result = await health.isHealthy('checkpointer', { timeoutMs: 300 });
        expect(result.checkpointer).toMatchObject({ status: 'down', saver: 'postgres' });
        const pools = running.get(PoolManager);
        await eventually('no connection checked out after the timed-out ping', 2000, () => {
          const { total, idle, waiting } = pools.stats();
          return total === idle && waiting === 0;
        });
        proxy.latencyMs = 0;
        await eventually('up again once the latency is gone', 2000, async () => {
          return (await health.isHealthy('checkpointer')).checkpointer.status === 'up';
        });
      } finally {
        if (app !== undefined) await fixture.close(app);
        await proxy.close();
      }
    },
  );

  itOnRealPostgres('the in-memory fallback is reported down', async () => {
    const proxy = await TcpProxy.start({
      host: server.hostname,
      port: Number(server.port || 5432),
    });
    proxy.refuse(60_000);
    try {
      const running = await boot({
        connectionString: proxy.urlFor(fixture.database.url),
        fallback: 'memory',
        retryAttempts: 0,
      });
      const result = await running.get(CheckpointerHealthIndicator).isHealthy('checkpointer');
      expect(result.checkpointer).toMatchObject({ status: 'down', saver: 'memory' });
      expect(running.get(CheckpointerMetrics).snapshot()).toMatchObject({
        saver: 'memory',
        schema: null,
      });
    } finally {
      if (app !== undefined) await fixture.close(app);
      await proxy.close();
    }
  });
});

describe('CheckpointerHealthIndicator under Terminus', () => {
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

  itOnRealPostgres('200 while the database answers, 503 (never 500) once it does not', async () => {
    const proxy = await TcpProxy.start({
      host: server.hostname,
      port: Number(server.port || 5432),
    });
    const moduleRef = await Test.createTestingModule({
      imports: [
        TerminusModule,
        CheckpointerModule.forRoot({
          connectionString: proxy.urlFor(fixture.database.url),
          migrationConnectionString: fixture.database.url,
          schema: 'health',
          logger: false,
        }),
      ],
      controllers: [HealthController],
    }).compile();
    const http: INestApplication = moduleRef.createNestApplication({ logger: false });
    await http.init();
    try {
      const ok = await request(http.getHttpServer()).get('/health/ready').expect(200);
      expect(ok.body).toMatchObject({ status: 'ok', info: { checkpointer: { status: 'up' } } });
      proxy.refuse(60_000);
      const down = await request(http.getHttpServer()).get('/health/ready').expect(503);
      expect(down.body).toMatchObject({
        status: 'error',
        error: { checkpointer: { status: 'down', saver: 'postgres' } },
      });
    } finally {
      proxy.allow();
      await http.close();
      await proxy.close();
    }
  });
});

describe('CheckpointerMetrics', () => {
  it('pool counters, retry counters, recreations and migration versions', async () => {
    const running = await boot();
    const metrics = running.get(CheckpointerMetrics);
    const first = metrics.snapshot();
    expect(first).toMatchObject({
      saver: 'postgres',
      pool: { max: 10, recreations: 0, acquireTimeouts: 0, waiting: 0 },
      retry: { retries: 0, givenUp: 0 },
    });
    // Schema versions are read in the background, never waited for.
    await eventually('schema versions read', 2000, () => metrics.snapshot().schema !== null);
    expect(metrics.snapshot().schema).toEqual({
      current: true,
      checkpointsVersion: 4,
      checkpointsLatest: 4,
      appliedMigrations: expect.any(Array),
      pendingMigrations: [],
      readAt: expect.any(Number),
    });
    running.get(PoolManager).recreate('test');
    expect(metrics.snapshot().pool.recreations).toBe(1);
    // The same numbers, straight from the module.
    expect(running.get(CheckpointerModule).metrics()).toEqual(metrics.snapshot());
  });
});

describe('CheckpointerMetrics scraped while the module boots', () => {
  /** A monitoring exporter that scrapes from the moment it exists, as prom-client's collect() does. */
  const scraper = {
    provide: 'SCRAPER',
    inject: [CheckpointerMetrics],
    useFactory: (metrics: CheckpointerMetrics) => setInterval(() => metrics.snapshot(), 5),
  };

  itOnRealPostgres(
    'readiness is up right after the migration, though a scrape read the schema before it',
    async () => {
      // Another replica holds the migration lock, so scrapes read the empty schema meanwhile.
      const holder = new pg.Client({ connectionString: fixture.database.url });
      await holder.connect();
      await holder.query(
        `SELECT pg_advisory_lock(hashtext('checkpointer_migration'), hashtext('scraped'))`,
      );
      const release = setTimeout(() => {
        void holder.query(
          `SELECT pg_advisory_unlock(hashtext('checkpointer_migration'), hashtext('scraped'))`,
        );
      }, 500);
      const moduleRef = await Test.createTestingModule({
        imports: [
          CheckpointerModule.forRoot(
            routeOptions({
              connectionString: fixture.database.url,
              schema: 'scraped',
              logger: false,
            }),
          ),
        ],
        providers: [scraper],
      }).compile();
      const running = await moduleRef.init();
      try {
        const health = await running.get(CheckpointerHealthIndicator).isHealthy('checkpointer');
        expect(health.checkpointer).toMatchObject({ status: 'up', schema: { current: true } });
        expect(running.get(CheckpointerMetrics).snapshot().schema).toMatchObject({
          current: true,
        });
      } finally {
        clearInterval(running.get<NodeJS.Timeout>('SCRAPER'));
        clearTimeout(release);
        await running.close();
        await holder.end();
      }
    },
  );
});
