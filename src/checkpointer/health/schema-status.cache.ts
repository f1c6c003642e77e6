import { Injectable } from '@nestjs/common';
import { SchemaService, type SchemaStatus } from '../schema/schema.service';

/** A schema status and when it was read. */
export interface TimedSchemaStatus {
  readonly status: SchemaStatus;
  /** `Date.now()` when it was read. */
  readonly readAt: number;
}

/**
 * `SchemaService.status()` (three small queries) read at most once per `maxAgeMs`, so health
 * checks and metrics scrapes do not query the catalog on every call. Concurrent callers share one
 * read; a failed read is not cached.
 */
@Injectable()
export class SchemaStatusCache {
  /** How long a status read stays fresh by default. Default: `10_000`. */
  static readonly DEFAULT_MAX_AGE_MS = 10_000;
  private cached: TimedSchemaStatus | undefined;
  private reading: Promise<TimedSchemaStatus> | undefined;

  constructor(private readonly schema: SchemaService) {}

  /** The last status read, however old, or `undefined` if none was read yet. Never queries. */
  get latest(): TimedSchemaStatus | undefined {
    return this.cached;
  }

  /** Whether the last read is older than `maxAgeMs` (or there is none). */
  isStale(maxAgeMs = SchemaStatusCache.DEFAULT_MAX_AGE_MS): boolean {
    return this.cached === undefined || Date.now() - this.cached.readAt > maxAgeMs;
  }

  /** The status, read again if the last read is older than `maxAgeMs`. Rejects if the read fails. */
  async get(maxAgeMs = SchemaStatusCache.DEFAULT_MAX_AGE_MS): Promise<TimedSchemaStatus> {
    if (this.cached !== undefined && !this.isStale(maxAgeMs)) return this.cached;
    this.reading ??= this.schema
      .status()
      .then((status) => (this.cached = { status, readAt: Date.now() }))
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }
}
