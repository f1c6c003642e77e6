import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './demo/app.module';
import { configureDemoApp } from './demo/bootstrap';
import type { DemoEnvironment } from './demo/config/demo.environment';

async function bootstrap(): Promise<void> {
  const app = configureDemoApp(
    await NestFactory.create<NestExpressApplication>(AppModule.register(), { abortOnError: false }),
  );
  // SIGTERM/SIGINT run the shutdown hooks: readiness turns 503, in-flight requests finish, the pool closes.
  app.enableShutdownHooks();
  const config = app.get<ConfigService<DemoEnvironment, true>>(ConfigService);
  await app.listen(config.get('PORT', { infer: true }), config.get('HOST', { infer: true }));
  const url = await app.getUrl();
  new Logger('Demo').log(`listening on ${url} (API docs: ${url}/docs)`);
}

bootstrap().catch((error: unknown) => {
  new Logger('Demo').error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
