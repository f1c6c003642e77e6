import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import pg from 'pg';
import {
  CheckpointerModule,
  type CheckpointerModuleOptions,
  getCheckpointerToken,
} from '../../src/checkpointer';

/** A saver under test and how to release what it holds. */
export interface SaverUnderTest {
  readonly saver: BaseCheckpointSaver;
  close(): Promise<void>;
}

/**
 * Ours, exactly as an application gets it: the saver injected by `CheckpointerModule` in a Nest
 * application context (which also migrates `schema` if needed).
 */
export async function bootOurs(
  connectionString: string,
  schema: string,
  extra: Partial<CheckpointerModuleOptions> = {},
): Promise<SaverUnderTest & { readonly app: INestApplicationContext }> {
  const app = await NestFactory.createApplicationContext(
    CheckpointerModule.forRoot({ connectionString, schema, logger: false, ...extra }),
    { logger: false },
  );
  return {
    app,
    saver: app.get<BaseCheckpointSaver>(getCheckpointerToken()),
    close: () => app.close(),
  };
}

/**
 * Upstream `PostgresSaver` on a pool of its own, as its README sets it up (`application_name`
 * only so that its backends can be found, `min` only to keep them for a CPU count).
 */
export function upstreamSaver(
  connectionString: string,
  schema: string,
  max = 10,
  extra: Pick<pg.PoolConfig, 'application_name' | 'min'> = {},
): SaverUnderTest {
  const pool = new pg.Pool({ connectionString, max, ...extra });
  pool.on('error', () => undefined);
  return { saver: new PostgresSaver(pool, undefined, { schema }), close: () => pool.end() };
}

/** The socket directory of a server on this machine (`BENCH_SOCKET_DIR`, default Debian's). */
const SOCKET_DIR = process.env.BENCH_SOCKET_DIR ?? '/var/run/postgresql';

/**
 * `databaseUrl` (a server on this machine, over TCP) as a Unix-socket URL
 * (`postgresql://user@/db?host=/var/run/postgresql&port=5432`), or `undefined` when the server
 * is elsewhere or its socket is not in `BENCH_SOCKET_DIR`.
 */
export function unixSocketUrl(databaseUrl: string): string | undefined {
  const url = new URL(databaseUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return undefined;
  const port = url.port || '5432';
  if (!existsSync(join(SOCKET_DIR, `.s.PGSQL.${port}`))) return undefined;
  const user =
    url.username === '' ? '' : `${url.username}${url.password ? `:${url.password}` : ''}@`;
  return `postgresql://${user}${url.pathname}?host=${encodeURIComponent(SOCKET_DIR)}&port=${port}`;
}
