/**
 * The README's application with the probes test/compat/run.mjs drives. `COMPAT_RETRY_WIRING` says
 * how RetryInterceptor is applied (one way per process: both at once would nest two retry loops).
 */
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { parseRetryWiring, withProbes } from './probes.module.js';

async function bootstrap() {
  const wiring = parseRetryWiring(process.env.COMPAT_RETRY_WIRING);
  const app = await NestFactory.create(withProbes(AppModule, wiring));
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
}
void bootstrap();
