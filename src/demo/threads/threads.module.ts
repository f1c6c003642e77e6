import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ChatGraphModule } from '../graph/chat-graph.module';
import { RunsController } from './runs.controller';
import { ThreadsController } from './threads.controller';

/** The chat API: threads, runs and feedback (the services come from the global CheckpointerModule). */
@Module({
  imports: [AuthModule, ChatGraphModule],
  controllers: [ThreadsController, RunsController],
})
export class ThreadsModule {}
