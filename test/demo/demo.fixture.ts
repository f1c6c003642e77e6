import { createHmac } from 'node:crypto';
import type { Response } from 'supertest';
import type {
  MessageItem,
  ThreadItem,
  ThreadRunItem,
} from '../../src/demo/threads/thread.responses';
import {
  type BootDemoAppOptions,
  type DemoApp,
  type DemoEnv,
  bootDemoApp,
} from '../support/demo-app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { snapshotModuleTables } from '../support/table-snapshot';

/**
 * The schema the demo specs configure (`CHECKPOINTER_SCHEMA`): not `public`, to prove the app
 * passes it through to the module.
 */
export const DEMO_SCHEMA = 'chat';

/** Every row the app could have written, to prove a request changed nothing. */
export function snapshotDemoTables(database: TestDatabase): Promise<Record<string, unknown[]>> {
  return snapshotModuleTables(database, DEMO_SCHEMA);
}

/** The body of `GET /threads/:threadId`. */
export interface ThreadDetailBody extends ThreadItem {
  readonly messages: MessageItem[];
  readonly runs: ThreadRunItem[];
}

/** The body of `GET /threads?limit&cursor`. */
export interface ThreadPageBody {
  readonly threads: ThreadItem[];
  readonly next_cursor: string | null;
}

/** The body of `GET /threads?page&limit`. */
export interface NumberedPageBody {
  readonly threads: ThreadItem[];
  readonly total_count: number;
  readonly page: number;
  readonly limit: number;
  readonly has_more: boolean;
}

/** The demo app on a database of its own, re-bootable on the same database. */
export interface DemoFixture {
  readonly database: TestDatabase;
  /** The running app; replaced by `restart()`. */
  readonly demo: DemoApp;
  /** Closes the app and boots a new one on the same database and environment. */
  restart(): Promise<DemoApp>;
  /** Closes the app (if still open) and drops the database. */
  close(): Promise<void>;
}

/**
 * Creates a database (`createTestDatabase(prefix)`) and boots the demo on it, in `DEMO_SCHEMA`.
 * `env` adds or overrides variables; as a function it can use the new database (a proxy URL).
 */
export async function startDemo(
  prefix: string,
  env: DemoEnv | ((database: TestDatabase) => DemoEnv) = {},
  options: BootDemoAppOptions = {},
): Promise<DemoFixture> {
  const database = await createTestDatabase(prefix);
  const bootEnv: DemoEnv = {
    DATABASE_URL: database.url,
    CHECKPOINTER_SCHEMA: DEMO_SCHEMA,
    ...(typeof env === 'function' ? env(database) : env),
  };
  let demo: DemoApp;
  try {
    demo = await bootDemoApp(bootEnv, options);
  } catch (error) {
    await database.drop();
    throw error;
  }
  let open = true;
  return {
    database,
    get demo() {
      return demo;
    },
    async restart() {
      if (open) await demo.close();
      open = false;
      demo = await bootDemoApp(bootEnv, options);
      open = true;
      return demo;
    },
    async close() {
      if (open) await demo.close();
      open = false;
      await database.drop();
    },
  };
}

/** A protected route, as the specs call it. */
export interface ProtectedRoute {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The concrete path requested. */
  readonly path: string;
  /** The path as the OpenAPI document names it, e.g. `/threads/{threadId}`. */
  readonly route: string;
  readonly body?: object;
}

/**
 * Every route that requires a user, aimed at `threadId` and `runId` with a valid body, so that the
 * only reason to fail is the one a spec tests. `/threads` is listed in both of its shapes.
 */
export function protectedRoutes(threadId: string, runId: string): ProtectedRoute[] {
  const thread = `/threads/${encodeURIComponent(threadId)}`;
  return [
    {
      method: 'post',
      path: `${thread}/runs`,
      route: '/threads/{threadId}/runs',
      body: { prompt: 'Let me in.' },
    },
    { method: 'get', path: '/threads?limit=5', route: '/threads' },
    { method: 'get', path: '/threads?page=1&limit=5', route: '/threads' },
    { method: 'get', path: thread, route: '/threads/{threadId}' },
    { method: 'patch', path: thread, route: '/threads/{threadId}', body: { title: 'Taken over' } },
    { method: 'delete', path: thread, route: '/threads/{threadId}' },
    {
      method: 'put',
      path: `/runs/${runId}/sentiment`,
      route: '/runs/{runId}/sentiment',
      body: { sentiment: false },
    },
    { method: 'get', path: `${thread}/sentiments`, route: '/threads/{threadId}/sentiments' },
  ];
}

/** Sends `route` with `authorization` (no header when `undefined`). */
export function send(
  demo: DemoApp,
  route: ProtectedRoute,
  authorization: string | undefined,
): Promise<Response> {
  let pending = demo.http()[route.method](route.path);
  if (authorization !== undefined) pending = pending.set('Authorization', authorization);
  return route.body === undefined ? pending : pending.send(route.body);
}

/**
 * A compact JWT signed by hand (HS256 with `secret`, or unsigned when `header.alg` is `none`), so
 * the specs control every part of a forged token instead of trusting a library to make it.
 */
export function handMadeJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret?: string,
): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const signingInput = `${encode(header)}.${encode(payload)}`;
  if (secret === undefined) return `${signingInput}.`;
  const algorithm = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[String(header.alg)];
  if (algorithm === undefined) throw new Error(`handMadeJwt cannot sign ${String(header.alg)}`);
  const signature = createHmac(algorithm, secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/** Seconds since the epoch, as JWT `iat`/`exp` count them. */
export function nowInSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Requests as `email` (a valid bearer token), for the specs that act as one user at a time. */
export function actingAs(demo: DemoApp, email: string) {
  const auth = demo.bearer(email);
  return {
    post: (path: string, body: object) =>
      demo.http().post(path).set('Authorization', auth).send(body),
    get: (path: string) => demo.http().get(path).set('Authorization', auth),
    patch: (path: string, body: object) =>
      demo.http().patch(path).set('Authorization', auth).send(body),
    put: (path: string, body: object) =>
      demo.http().put(path).set('Authorization', auth).send(body),
    delete: (path: string) => demo.http().delete(path).set('Authorization', auth),
  };
}

/** Expects `status`, showing the body when it differs (a bare status mismatch says nothing). */
export function expectStatus(response: Response, status: number): Response {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: response.body,
  });
  return response;
}

/** An ISO-8601 UTC timestamp as `Date.toISOString()` writes it. */
export const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
