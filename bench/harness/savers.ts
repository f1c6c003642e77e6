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

/** Upstream `PostgresSaver` on a pool of its own, as its README sets it up. */
export function upstreamSaver(connectionString: string, schema: string, max = 10): SaverUnderTest {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => undefined);
  return { saver: new PostgresSaver(pool, undefined, { schema }), close: () => pool.end() };
}
