import { Body, Controller, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Retryable, SentimentService } from '../../checkpointer';
import { UserEmail } from '../auth/authenticated-user';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { ApiErrorBody } from './thread.api-responses';
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
  @ApiOkResponse({ description: 'The run with its rating.' })
  @ApiNotFoundResponse({
    type: ApiErrorBody,
    description: "No run of yours with this id (it may be another user's).",
  })
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
