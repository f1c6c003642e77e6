import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CheckpointerModule, type CheckpointerModuleOptions } from '../../src/checkpointer';

/**
 * Boots a Nest application context around `CheckpointerModule.forRoot(options)` (logging off
 * unless a test asks for it) and runs the lifecycle hooks, as a real application would.
 */
export async function bootCheckpointer(
  options: CheckpointerModuleOptions,
): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({
    imports: [CheckpointerModule.forRoot({ logger: false, ...options })],
  }).compile();
  return moduleRef.init();
}
