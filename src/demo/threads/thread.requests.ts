import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { THREAD_INPUT_LIMITS } from '../../checkpointer';

/**
 * Request shapes, validated by the global `ValidationPipe` (whitelist, unknown fields rejected,
 * types transformed). The services validate again at their own boundary; these give HTTP
 * callers a 400 that names the field before any work starts.
 */

export class ThreadIdParams {
  @ApiProperty({
    description: 'The conversation (LangGraph thread) id, as `POST /threads` returned it.',
    maxLength: 255,
  })
  @IsString()
  @Length(1, THREAD_INPUT_LIMITS.threadIdMaxLength)
  threadId: string;
}

export class RunIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  runId: string;
}

export class CreateThreadBody {
  @ApiPropertyOptional({
    minLength: 1,
    maxLength: THREAD_INPUT_LIMITS.titleMaxLength,
    description: 'Default: none; the first run names the thread after its prompt.',
  })
  @IsOptional()
  @IsString()
  @Length(1, THREAD_INPUT_LIMITS.titleMaxLength)
  title?: string;
}

export class CreateRunBody {
  @ApiProperty({ description: "The user's message.", example: 'What is a checkpointer?' })
  @IsString()
  prompt: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Your id for this run (e.g. a LangSmith run id). Default: generated.',
  })
  @IsOptional()
  @IsUUID()
  runId?: string;
}

export class RenameThreadBody {
  @ApiProperty({ minLength: 1, maxLength: THREAD_INPUT_LIMITS.titleMaxLength })
  @IsString()
  @Length(1, THREAD_INPUT_LIMITS.titleMaxLength)
  title: string;
}

export class SentimentBody {
  @ApiProperty({
    type: Boolean,
    nullable: true,
    description: 'Up (true), down (false), or cleared (null).',
  })
  // class-validator would list the values as "true, false, " (null prints as nothing).
  @IsIn([true, false, null], { message: 'sentiment must be true, false or null' })
  sentiment: boolean | null;
}

/** `?limit&cursor` pages by cursor; `?page&limit` by page number (the original API's shape). */
export class ListThreadsQuery {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: 100,
    description: 'Page size. Default: 20 (cursor) or 10 (page).',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page.' })
  @IsOptional()
  @IsString()
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, description: 'Page number: selects the page-number shape.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page?: number;
}
