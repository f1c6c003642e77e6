import type { INestApplication } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../../src/demo/app.module';
import { configureDemoApp } from '../../src/demo/bootstrap';

/** The secret the e2e apps sign and verify tokens with. */
export const E2E_JWT_SECRET = 'e2e-secret-0123456789abcdef0123456789';

/** Environment variables the demo reads; each boot sets exactly these. */
const DEMO_VARIABLES = [
  'NODE_ENV',
  'JWT_SECRET',
  'DATABASE_URL',
  'MIGRATION_DATABASE_URL',
  'PGHOST',
  'PGPORT',
  'PGUSER',
  'PGPASSWORD',
  'PGDATABASE',
  'PGSSLMODE',
  'CHECKPOINTER_SCHEMA',
  'DEMO_DATA_DIR',
  'PORT',
  'HOST',
] as const;

export type DemoEnv = Partial<Record<(typeof DEMO_VARIABLES)[number], string>>;

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
 * given environment (and nothing else from the process's), and initializes it.
 */
export async function bootDemoApp(env: DemoEnv): Promise<DemoApp> {
  const saved = new Map(DEMO_VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of DEMO_VARIABLES) delete process.env[name];
  Object.assign(process.env, { NODE_ENV: 'test', JWT_SECRET: E2E_JWT_SECRET, ...env });
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register()] }).compile();
    const app = configureDemoApp(moduleRef.createNestApplication({ logger: false }));
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
