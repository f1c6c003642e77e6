import { Body, Controller, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Retryable, SentimentService } from '../../checkpointer';
import { UserEmail } from '../auth/authenticated-user';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { RunIdParams, SentimentBody } from './thread.requests';

/** Feedback on answers: only the owner of a run's thread may rate it. */
@ApiTags('runs')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Retryable()
@Controller('runs')
export class RunsController {
  constructor(private readonly sentiments: SentimentService) {}

  @Put(':runId/sentiment')
  async setSentiment(
    @UserEmail() userEmail: string,
    @Param() { runId }: RunIdParams,
    @Body() { sentiment }: SentimentBody,
  ) {
    const run = await this.sentiments.setSentiment(userEmail, runId, sentiment);
    return {
      run_id: run.runId,
      thread_id: run.threadId,
      sentiment: run.sentiment,
      sentiment_at: run.sentimentAt?.toISOString() ?? null,
    };
  }
}
