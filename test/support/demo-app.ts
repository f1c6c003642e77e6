import type { INestApplication, LoggerService } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import request from 'supertest';
import { getCheckpointerToken } from '../../src/checkpointer';
import { AppModule } from '../../src/demo/app.module';
import { configureDemoApp } from '../../src/demo/bootstrap';
import { DATABASE_VARIABLES } from '../../src/demo/database/demo-database';
import { CHAT_GRAPH, type ChatGraph } from '../../src/demo/graph/chat-graph';

/** The secret the e2e apps sign and verify tokens with. */
export const E2E_JWT_SECRET = 'e2e-secret-0123456789abcdef0123456789';

/** Environment variables the demo reads; each boot sets exactly these. */
const DEMO_VARIABLES = [
  'NODE_ENV',
  'JWT_SECRET',
  'JWT_MAX_TTL_SECONDS',
  ...DATABASE_VARIABLES,
  'MIGRATION_DATABASE_URL',
  'CHECKPOINTER_SCHEMA',
  'DEMO_DATA_DIR',
  'PORT',
  'SHUTDOWN_GRACE_MS',
  'HOST',
  'HEALTH_DETAILS',
  'TURN_WAIT_MS',
  'THREAD_MAX_TURNS',
  'THREAD_MAX_STATE_BYTES',
] as const;

/** The environment of one boot; `undefined` leaves a variable unset (e.g. `JWT_SECRET`). */
export type DemoEnv = Partial<Record<(typeof DEMO_VARIABLES)[number], string | undefined>>;

/** Options of `bootDemoApp()`. */
export interface BootDemoAppOptions {
  /** Receives Nest's log lines (e.g. a `LogCapture`). Default: logging off. */
  readonly logger?: LoggerService;
  /**
   * The chat graph instead of the demo's, compiled with the app's saver, as a user overrides
   * `CHAT_GRAPH` with an agent of their own. Default: the demo's graph.
   */
  readonly graph?: (saver: BaseCheckpointSaver) => ChatGraph;
}

/** A booted demo application, with what e2e tests need around it. */
export interface DemoApp {
  readonly app: INestApplication;
  /** supertest against the app's HTTP server. */
  http(): ReturnType<typeof request>;
  /** A valid bearer token for `email`, signed as the app expects. */
  tokenFor(email: string): string;
  /** `Authorization` header value for `email`. */
  bearer(email: string): string;
  close(): Promise<void>;
}

/**
 * Boots the demo's `AppModule` exactly as `main.ts` does (same pipes, filters, OpenAPI), with the
 * given environment (and nothing else from the process's; `NODE_ENV=test` and `E2E_JWT_SECRET`
 * unless `env` says otherwise), and initializes it.
 */
export async function bootDemoApp(
  env: DemoEnv,
  { logger, graph }: BootDemoAppOptions = {},
): Promise<DemoApp> {
  const saved = new Map(DEMO_VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of DEMO_VARIABLES) delete process.env[name];
  const wanted: DemoEnv = { NODE_ENV: 'test', JWT_SECRET: E2E_JWT_SECRET, ...env };
  for (const [name, value] of Object.entries(wanted)) {
    // Assigning undefined to process.env would store the string "undefined".
    if (value !== undefined) process.env[name] = value;
  }
  try {
    const builder = Test.createTestingModule({ imports: [AppModule.register()] });
    if (logger !== undefined) builder.setLogger(logger);
    if (graph !== undefined) {
      builder
        .overrideProvider(CHAT_GRAPH)
        .useFactory({ factory: graph, inject: [getCheckpointerToken()] });
    }
    const moduleRef = await builder.compile();
    const app = configureDemoApp(
      moduleRef.createNestApplication<NestExpressApplication>(
        logger === undefined ? { logger: false } : { logger },
      ),
    );
    await app.init();
    const jwt = app.get(JwtService);
    const tokenFor = (email: string) => jwt.sign({ email });
    return {
      app,
      http: () => request(app.getHttpServer()),
      tokenFor,
      bearer: (email) => `Bearer ${tokenFor(email)}`,
      close: () => app.close(),
    };
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
