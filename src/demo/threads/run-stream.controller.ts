import type { ServerResponse } from 'node:http';
import { Body, Controller, Logger, Param, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Retryable } from '../../checkpointer';
import { UserEmail } from '../auth/authenticated-user';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { toApiError } from '../errors/api-error';
import { ChatTurnService } from './chat-turn.service';
import { ServerSentEvents } from './server-sent-events';
import { ApiTurnErrors } from './thread.api-responses';
import { CreateRunBody, ThreadIdParams } from './thread.requests';

const EVENTS_EXAMPLE = [
  'event: run\ndata: {"runId":"6f1c…","threadId":"0b6e…"}\n',
  'event: chunk\ndata: {"text":"You said \\"Hello!\\". "}\n',
  'event: chunk\ndata: {"text":"This is message 2 "}\n',
  'event: chunk\ndata: {"text":"of this conversation."}\n',
  'event: end\ndata: {"runId":"6f1c…","threadId":"0b6e…","reply":"You said \\"Hello!\\". This is message 2 of this conversation."}\n',
].join('\n');

const EVENTS_DESCRIPTION = [
  'A `text/event-stream` of JSON events, each `event: <name>` and one `data:` line:',
  '',
  '- `run` `{ runId, threadId }`: the run is recorded (first event, once);',
  '- `chunk` `{ text }`: a piece of the answer, in order; the pieces join into the answer;',
  '- `end` `{ runId, threadId, reply }`: the answer is checkpointed (last event);',
  '- `error` `{ statusCode, error, message, retryAfterSeconds? }`: instead of `end`, the turn ' +
    'failed after the stream began, with the status, error and message its JSON error body ' +
    'would have had (410 thread deleted meanwhile, 409 lease lost, 503 database unavailable, ' +
    '500), and `Retry-After` as a number when it applies.',
  '',
  'Failures before the turn starts (400, 401, 404, 409 busy, 410, 422 limit, 503) are plain ' +
    'JSON error answers, as on `POST /threads/{threadId}/runs`. A client that disconnects does ' +
    'not stop the turn: its answer is checkpointed, as `GET /threads/{threadId}` shows.',
].join('\n');

/** The streaming twin of `POST /threads/:threadId/runs`, as server-sent events. */
@ApiTags('threads')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Retryable()
@Controller('threads')
export class RunStreamController {
  private readonly logger = new Logger('RunStreamController');

  constructor(private readonly turns: ChatTurnService) {}

  /**
   * One turn on the user's thread, its answer streamed as it is written: the same auth,
   * validation, ownership, one-turn-at-a-time, limits, retries and errors as the JSON route.
   */
  @Post(':threadId/runs/stream')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: EVENTS_DESCRIPTION,
    content: { 'text/event-stream': { schema: { type: 'string', example: EVENTS_EXAMPLE } } },
  })
  @ApiTurnErrors()
  async streamRun(
    @UserEmail() userEmail: string,
    @Param() { threadId }: ThreadIdParams,
    @Body() body: CreateRunBody,
    @Res() response: ServerResponse,
  ): Promise<void> {
    const events = new ServerSentEvents(response);
    try {
      const turn = await this.turns.stream(
        { userEmail, threadId, ...body },
        {
          started: ({ runId, threadId: id }) => events.send('run', { runId, threadId: id }),
          chunk: (text) => events.send('chunk', { text }),
        },
      );
      events.send('end', turn);
    } catch (error) {
      // Before the stream: a plain error answer (the RetryInterceptor's 503, the filter's body).
      if (!events.opened) throw error;
      const { body: errorBody, retryAfterSeconds } = toApiError(error, (unexpected) =>
        this.logger.error(
          `unhandled ${unexpected instanceof Error ? `${unexpected.name}: ${unexpected.message}` : String(unexpected)}`,
        ),
      );
      events.send(
        'error',
        retryAfterSeconds === undefined ? errorBody : { ...errorBody, retryAfterSeconds },
      );
    }
    events.end();
  }
}
