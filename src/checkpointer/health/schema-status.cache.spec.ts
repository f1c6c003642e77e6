import type { SchemaService, SchemaStatus } from '../schema/schema.service';
import { SchemaStatusCache } from './schema-status.cache';

function statusOf(upToDate: boolean): SchemaStatus {
  return {
    schema: 'agents',
    checkpoints: { version: upToDate ? 4 : null, latest: 4, current: upToDate },
    app: { applied: [], pending: upToDate ? [] : ['0001_threads'], current: upToDate },
    upToDate,
  };
}

/** A read of the catalog that the test finishes when it wants to. */
interface PendingRead {
  resolve(status: SchemaStatus): void;
}

/** SchemaService's two members the cache uses: reads that the test settles, and what it established. */
function fakeSchemaService() {
  const reads: PendingRead[] = [];
  const fake = {
    established: undefined as
      { status: SchemaStatus; readAt: number; generation: number } | undefined,
    status: jest.fn(
      () =>
        new Promise<SchemaStatus>((resolve) => {
          reads.push({ resolve });
        }),
    ),
    /** What `migrate()` does when it finishes. */
    migrated(status: SchemaStatus) {
      fake.established = {
        status,
        readAt: Date.now(),
        generation: (fake.established?.generation ?? 0) + 1,
      };
    },
  };
  return { fake, reads, service: fake as unknown as SchemaService };
}

describe('SchemaStatusCache', () => {
  it('reports the status a migration established at once, not a cached pre-migration read', async () => {
    const { fake, reads, service } = fakeSchemaService();
    const cache = new SchemaStatusCache(service);
    const before = cache.get();
    reads[0].resolve(statusOf(false));
    expect((await before).status.upToDate).toBe(false);

    fake.migrated(statusOf(true));

    expect(cache.latest?.status.upToDate).toBe(true);
    expect(cache.isStale()).toBe(false);
    expect((await cache.get()).status.upToDate).toBe(true);
    expect(fake.status).toHaveBeenCalledTimes(1);
  });

  it('a read that began before the migration finished never overwrites what it established', async () => {
    const { fake, reads, service } = fakeSchemaService();
    const cache = new SchemaStatusCache(service);
    const early = cache.get();
    fake.migrated(statusOf(true));
    // The early read saw the catalog before the migration committed.
    reads[0].resolve(statusOf(false));

    expect((await early).status.upToDate).toBe(true);
    expect(cache.latest?.status.upToDate).toBe(true);
    expect((await cache.get()).status.upToDate).toBe(true);
  });

  it('a caller after the migration does not join a read in flight from before it', async () => {
    const { fake, reads, service } = fakeSchemaService();
    const cache = new SchemaStatusCache(service);
    const early = cache.get();
    fake.migrated(statusOf(true));
    // Old enough to need a read of its own.
    const late = cache.get(-1);
    expect(fake.status).toHaveBeenCalledTimes(2);
    reads[1].resolve(statusOf(true));
    reads[0].resolve(statusOf(false));

    expect((await late).status.upToDate).toBe(true);
    expect((await early).status.upToDate).toBe(true);
    expect(cache.latest?.status.upToDate).toBe(true);
  });

  it('still reads at most once per maxAgeMs, concurrent callers sharing the read', async () => {
    const { fake, reads, service } = fakeSchemaService();
    const cache = new SchemaStatusCache(service);
    const both = Promise.all([cache.get(), cache.get()]);
    reads[0].resolve(statusOf(true));
    await both;
    await cache.get();
    expect(fake.status).toHaveBeenCalledTimes(1);
  });
});
