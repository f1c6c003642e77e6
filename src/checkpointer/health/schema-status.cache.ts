import { Injectable } from '@nestjs/common';
import { SchemaService, type SchemaStatus } from '../schema/schema.service';

/** A schema status and when it was read. */
export interface TimedSchemaStatus {
  readonly status: SchemaStatus;
  /** `Date.now()` when it was read. */
  readonly readAt: number;
}

/** A cached status, with the `SchemaService.established` generation current when its read began. */
interface CachedSchemaStatus extends TimedSchemaStatus {
  readonly generation: number;
}

/**
 * `SchemaService.status()` (three small queries) read at most once per `maxAgeMs`, so health
 * checks and metrics scrapes do not query the catalog on every call. Concurrent callers share one
 * read; a failed read is not cached.
 *
 * A migration must show at once: a scrape during boot may have cached the schema as it was
 * before the migration, and readiness would report it behind for up to `maxAgeMs`. So the status
 * `SchemaService` establishes when it migrates replaces any cached read older than it, and a read
 * that began before that (it may have seen the catalog before the migration committed) never
 * overwrites it. The cache pulls from `SchemaService` (health imports schema, never the reverse),
 * so a `migrate()` called by anyone, at boot or later, refreshes what health reports.
 */
@Injectable()
export class SchemaStatusCache {
  /** How long a status read stays fresh by default. Default: `10_000`. */
  static readonly DEFAULT_MAX_AGE_MS = 10_000;
  private cached: CachedSchemaStatus | undefined;
  private reading:
    { readonly generation: number; readonly done: Promise<TimedSchemaStatus> } | undefined;

  constructor(private readonly schema: SchemaService) {}

  /** The last status read, however old, or `undefined` if none was read yet. Never queries. */
  get latest(): TimedSchemaStatus | undefined {
    return this.current();
  }

  /** Whether the last read is older than `maxAgeMs` (or there is none). */
  isStale(maxAgeMs = SchemaStatusCache.DEFAULT_MAX_AGE_MS): boolean {
    const cached = this.current();
    return cached === undefined || Date.now() - cached.readAt > maxAgeMs;
  }

  /** The status, read again if the last read is older than `maxAgeMs`. Rejects if the read fails. */
  async get(maxAgeMs = SchemaStatusCache.DEFAULT_MAX_AGE_MS): Promise<TimedSchemaStatus> {
    const cached = this.current();
    if (cached !== undefined && !this.isStale(maxAgeMs)) return cached;
    const generation = this.schema.established?.generation ?? 0;
    // A read in flight from before the last migration is no answer for a caller after it.
    if (this.reading?.generation !== generation) {
      const done = this.schema
        .status()
        .then((status) => this.store({ status, readAt: Date.now(), generation }));
      const reading = { generation, done };
      this.reading = reading;
      done
        .finally(() => {
          if (this.reading === reading) this.reading = undefined;
        })
        .catch(() => undefined); // the callers of get() see the failure
    }
    return this.reading.done;
  }

  /** The cached read, or what `SchemaService` established since it, whichever is newer. */
  private current(): CachedSchemaStatus | undefined {
    const established = this.schema.established;
    if (established !== undefined && (this.cached?.generation ?? 0) < established.generation) {
      this.cached = established;
    }
    return this.cached;
  }

  /** Caches `read` unless a status established after the read began is cached already. */
  private store(read: CachedSchemaStatus): TimedSchemaStatus {
    const current = this.current();
    if (current !== undefined && current.generation > read.generation) return current;
    this.cached = read;
    return read;
  }
}
