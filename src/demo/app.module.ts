import { type DynamicModule, Module } from '@nestjs/common';
import { ConditionalModule, ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { CheckpointerModule } from '../checkpointer';
import {
  type DemoEnvironment,
  isDevelopment,
  validateDemoEnvironment,
} from './config/demo.environment';
import { DemoDatabase } from './database/demo-database';
import { DemoDatabaseModule } from './database/demo-database.module';
import { DevModule } from './dev/dev.module';
import { HealthController } from './health/health.controller';
import { ThreadsModule } from './threads/threads.module';

/** The demo application: the module used exactly as a user would use it. */
@Module({})
export class AppModule {
  /**
   * Built when called, not when this file is imported, so the environment is read and validated
   * at boot (a bad variable fails `NestFactory.create` with the one error listing every problem).
   */
  static register(): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, validate: validateDemoEnvironment }),
        TerminusModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<DemoEnvironment, true>) => ({
            gracefulShutdownTimeoutMs: config.get('SHUTDOWN_GRACE_MS', { infer: true }),
          }),
        }),
        CheckpointerModule.forRootAsync({
          isGlobal: true,
          imports: [DemoDatabaseModule],
          inject: [DemoDatabase, ConfigService],
          useFactory: async (
            database: DemoDatabase,
            config: ConfigService<DemoEnvironment, true>,
          ) => {
            const turnWaitMs = config.get('TURN_WAIT_MS', { infer: true });
            return {
              ...(await database.checkpointerOptions()),
              // Unset: the library's default. Threads are created by POST /threads only (the
              // library's default, threads.createOnFirstRun false): ids are never the client's.
              ...(turnWaitMs === undefined ? {} : { threads: { turnWaitMs } }),
            };
          },
        }),
        ThreadsModule,
        // POST /dev/token: registered in development only (a 404 anywhere else).
        ConditionalModule.registerWhen(DevModule, isDevelopment),
      ],
      controllers: [HealthController],
    };
  }
}
