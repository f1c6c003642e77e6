/**
 * Any PostgreSQL identifier works as the schema, end to end: our own statements, Kysely, upstream
 * PostgresSaver's SQL and setup(), the migration lock and the catalog reads. What cannot work is
 * refused at boot with one clear message: more than 63 bytes (PostgreSQL would silently truncate
 * it), a NUL, an empty name, and a double quote (upstream interpolates the name unescaped).
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import {
  CheckpointerConfigError,
  CheckpointerHealthIndicator,
  PostgresCheckpointer,
  SchemaService,
  ThreadService,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import { expectedConversation, threeStepGraph } from '../../support/graphs';

const fixture = useCheckpointerDatabase('schema_names');

/** 63 bytes of UTF-8 in 33 characters: the longest name PostgreSQL keeps whole. */
const LONGEST = `${'é'.repeat(30)}end`;
const RULE =
  'schema must be a PostgreSQL identifier: 1-63 bytes, no NUL character, no double quote';

const NAMES = ['custom-schema', 'Mixed Case', 'ünïcødé', 'dollar$$sign', 'a;b', LONGEST];

describe('schema names', () => {
  it('the longest test name is 63 bytes', () => {
    expect(Buffer.byteLength(LONGEST, 'utf8')).toBe(63);
  });

  it.each(NAMES)('boots, checkpoints and tracks threads in schema %j', async (schema) => {
    const app = await fixture.boot({ schema });
    expect((await app.get(SchemaService).status()).upToDate).toBe(true);
    const { rows } = await fixture.database.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
      [schema],
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['checkpoint_blobs', 'checkpoint_writes', 'checkpoints']),
    );

    // A LangGraph graph: put, putWrites and getTuple through upstream's reads and our writes.
    const saver = app.get<BaseCheckpointSaver>(getCheckpointerToken());
    const threads = app.get(ThreadService);
    const { threadId } = await threads.createThread('ada@example.com');
    const config = { configurable: { thread_id: threadId } };
    const graph = threeStepGraph(saver);
    await graph.invoke({ messages: ['hello'] }, config);
    expect((await graph.getState(config)).values.messages).toEqual(
      expectedConversation(1, () => 'hello'),
    );
    const listed = [];
    for await (const tuple of saver.list(config, { filter: { source: 'loop' } })) {
      listed.push(tuple);
    }
    expect(listed.length).toBeGreaterThan(0);

    await threads.recordRun({ userEmail: 'ada@example.com', threadId, prompt: 'hello' });
    const page = await threads.listThreads('ada@example.com');
    expect(page.items.map((t) => t.threadId)).toEqual([threadId]);
    const deleted = await threads.deleteThread('ada@example.com', threadId);
    expect(deleted.checkpoints).toBeGreaterThan(0);
    expect(await saver.getTuple(config)).toBeUndefined();

    const health = await app.get(CheckpointerHealthIndicator).isHealthy('checkpointer');
    expect(health.checkpointer).toMatchObject({ status: 'up', schema: { name: schema } });
  });

  it.each([
    ['64 bytes', `${LONGEST}x`, `"${LONGEST}x" (64 bytes)`],
    ['a NUL character', 'nul\u0000name', '"nul\\u0000name"'],
    ['an empty name', '', '""'],
    ['a double quote', 'with"quote', '"with\\"quote"'],
  ])('refuses %s with the clear message', async (_, schema, shown) => {
    const error = await fixture.boot({ schema }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CheckpointerConfigError);
    expect((error as CheckpointerConfigError).problems).toEqual([
      `${RULE} (upstream PostgresSaver does not escape it), got ${shown}`,
    ]);
  });

  it('PostgresCheckpointer built by hand refuses a name upstream cannot carry', () => {
    const pool = {} as never;
    expect(() => new PostgresCheckpointer(pool, undefined, { schema: 'with"quote' })).toThrow(
      new CheckpointerConfigError(
        [`${RULE} (upstream PostgresSaver does not escape it), got "with\\"quote"`],
        'PostgresCheckpointer options',
      ),
    );
  });
});
