import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { CheckpointerModule } from '../checkpointer';
import { AuthModule } from './auth/auth.module';
import { validateDemoEnvironment } from './config/demo.environment';
import { DemoDatabase } from './database/demo-database';
import { DemoDatabaseModule } from './database/demo-database.module';
import { ChatGraphModule } from './graph/chat-graph.module';
import { HealthController } from './health/health.controller';

/** The demo application: the module used exactly as a user would use it. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, validate: validateDemoEnvironment }),
    TerminusModule,
    CheckpointerModule.forRootAsync({
      isGlobal: true,
      imports: [DemoDatabaseModule],
      inject: [DemoDatabase],
      useFactory: (database: DemoDatabase) => database.checkpointerOptions(),
    }),
    AuthModule,
    ChatGraphModule,
  ],
  controllers: [HealthController],
})
export class AppModule {}
