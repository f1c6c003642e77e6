// src/app.module.ts
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { CheckpointerModule } from 'nestjs-langgraph-checkpointer';
import { ChatGraph, HealthController } from './chat.js';

@Module({
  imports: [
    ConfigModule.forRoot(),
    TerminusModule,
    CheckpointerModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        connectionString: config.getOrThrow<string>('DATABASE_URL'),
        schema: 'agents',
      }),
    }),
  ],
  controllers: [HealthController],
  providers: [ChatGraph],
})
export class AppModule {}
