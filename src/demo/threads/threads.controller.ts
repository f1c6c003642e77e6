import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Retryable, SentimentService, ThreadService } from '../../checkpointer';
import { UserEmail } from '../auth/authenticated-user';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { CHAT_GRAPH, type ChatGraph, type ChatMessage } from '../graph/chat-graph';
import { ChatTurnService } from './chat-turn.service';
import { ApiThreadGone, ApiThreadNotFound, ApiTurnErrors } from './thread.api-responses';
import {
  CreateRunBody,
  CreateThreadBody,
  ListThreadsQuery,
  RenameThreadBody,
  ThreadIdParams,
} from './thread.requests';
import { toThreadDetail, toThreadItem } from './thread.responses';

/** A user's conversations. Every route acts as the token's user, on that user's threads only. */
@ApiTags('threads')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Retryable()
@Controller('threads')
export class ThreadsController {
  constructor(
    private readonly threads: ThreadService,
    private readonly sentiments: SentimentService,
    private readonly turns: ChatTurnService,
    @Inject(CHAT_GRAPH) private readonly graph: ChatGraph,
  ) {}

  /**
   * Creates a thread of the user's, with an id the server generates: `thread_id` of the answer is
   * where its runs go. Untitled until its first run names it, unless a title is given.
   */
  @Post()
  @ApiCreatedResponse({ description: 'The new thread, yours alone, with no run yet.' })
  async create(@UserEmail() userEmail: string, @Body() { title }: CreateThreadBody) {
    return toThreadItem(await this.threads.createThread(userEmail, { title }));
  }

  /**
   * One turn on the user's thread: waits for the thread's running turn (one at a time, across
   * every replica), records the run, then runs the graph on the thread.
   */
  @Post(':threadId/runs')
  @ApiCreatedResponse({ description: '`{ runId, threadId, reply }`' })
  @ApiTurnErrors()
  createRun(
    @UserEmail() userEmail: string,
    @Param() { threadId }: ThreadIdParams,
    @Body() body: CreateRunBody,
  ) {
    return this.turns.take({ userEmail, threadId, ...body });
  }

  /** `?limit&cursor`: `{ threads, next_cursor }`; `?page&limit`: the original API's page shape. */
  @Get()
  async list(@UserEmail() userEmail: string, @Query() query: ListThreadsQuery) {
    if (query.page !== undefined) {
      if (query.cursor !== undefined)
        throw new BadRequestException(['use either page or cursor, not both']);
      const page = await this.threads.listThreadsPage(userEmail, {
        page: query.page,
        limit: query.limit,
      });
      return {
        threads: page.items.map(toThreadItem),
        total_count: page.total,
        page: page.page,
        limit: page.limit,
        has_more: page.hasMore,
      };
    }
    const page = await this.threads.listThreads(userEmail, {
      limit: query.limit,
      cursor: query.cursor,
    });
    return { threads: page.items.map(toThreadItem), next_cursor: page.nextCursor };
  }

  /** The thread, its runs with their sentiment, and the messages of its latest checkpoint. */
  @Get(':threadId')
  @ApiOkResponse({ description: 'The thread, its messages and its runs.' })
  @ApiThreadNotFound()
  async get(@UserEmail() userEmail: string, @Param() { threadId }: ThreadIdParams) {
    const thread = await this.threads.getThread(userEmail, threadId);
    const state = await this.graph.getState({ configurable: { thread_id: thread.threadId } });
    const messages = (state.values as { messages?: ChatMessage[] }).messages ?? [];
    return toThreadDetail(thread, messages);
  }

  @Patch(':threadId')
  @ApiOkResponse({ description: 'The renamed thread.' })
  @ApiThreadNotFound()
  async rename(
    @UserEmail() userEmail: string,
    @Param() { threadId }: ThreadIdParams,
    @Body() { title }: RenameThreadBody,
  ) {
    return toThreadItem(await this.threads.renameThread(userEmail, threadId, title));
  }

  /**
   * Deletes the thread with its checkpoints and runs, all or nothing, for good: the rows deleted
   * per table. A turn still running on it stops at its next checkpoint (its request answers 410);
   * the id stays unusable, for everyone.
   */
  @Delete(':threadId')
  @HttpCode(200)
  @ApiOkResponse({ description: '`{ thread_id, deleted_counts }`: the rows deleted per table.' })
  @ApiThreadNotFound()
  @ApiThreadGone()
  async remove(@UserEmail() userEmail: string, @Param() { threadId }: ThreadIdParams) {
    return {
      thread_id: threadId,
      deleted_counts: await this.threads.deleteThread(userEmail, threadId),
    };
  }

  /** `{ [runId]: boolean }` for the thread's rated runs. */
  @Get(':threadId/sentiments')
  @ApiOkResponse({ description: '`{ [runId]: boolean }` for the rated runs.' })
  @ApiThreadNotFound()
  async sentimentsOf(@UserEmail() userEmail: string, @Param() { threadId }: ThreadIdParams) {
    return this.sentiments.getSentiments(userEmail, threadId);
  }
}
