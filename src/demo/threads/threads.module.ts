import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { RetryInterceptor } from '../../checkpointer';
import { AuthModule } from '../auth/auth.module';
import { ChatGraphModule } from '../graph/chat-graph.module';
import { ThreadQuota } from '../quota/thread-quota';
import { ChatTurnService } from './chat-turn.service';
import { RunStreamController } from './run-stream.controller';
import { RunsController } from './runs.controller';
import { ThreadsController } from './threads.controller';

/** The chat API: threads, runs and feedback (the services come from the global CheckpointerModule). */
@Module({
  imports: [AuthModule, ChatGraphModule],
  controllers: [ThreadsController, RunStreamController, RunsController],
  // Handlers marked @Retryable() ride out transient database errors, or answer 503 + Retry-After.
  providers: [
    ChatTurnService,
    ThreadQuota,
    { provide: APP_INTERCEPTOR, useExisting: RetryInterceptor },
  ],
})
export class ThreadsModule {}
