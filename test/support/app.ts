import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CheckpointerModule, type CheckpointerModuleOptions } from '../../src/checkpointer';
import { routeOptions } from './pooler';

/**
 * Boots a Nest application context around `CheckpointerModule.forRoot(options)` (logging off
 * unless a test asks for it; `logger` receives Nest's log lines) and runs the lifecycle hooks, as
 * a real application would. Under `npm run test:pgbouncer` the module reaches the test server
 * through PgBouncer (`routeOptions`).
 */
export async function bootCheckpointer(
  options: CheckpointerModuleOptions,
  { logger }: { logger?: LoggerService } = {},
): Promise<INestApplicationContext> {
  const builder = Test.createTestingModule({
    imports: [CheckpointerModule.forRoot(routeOptions({ logger: false, ...options }))],
  });
  if (logger !== undefined) builder.setLogger(logger);
  const moduleRef = await builder.compile();
  return moduleRef.init();
}
