/**
 * Single-round-trip writes: our `put`, `putWrites` and `deleteThread` send ONE statement per call,
 * write (or delete) exactly the rows upstream `PostgresSaver` does, and a database written by
 * either saver is read (and a conversation continued) by the other.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { Annotation, Command, END, START, StateGraph, interrupt } from '@langchain/langgraph';
import {
  type BaseCheckpointSaver,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
  ERROR,
  INTERRUPT,
  RESUME,
  SCHEDULED,
  emptyCheckpoint,
  uuid6,
} from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import pg from 'pg';
import {
  CheckpointValueError,
  PostgresCheckpointer,
  getCheckpointerToken,
} from '../../../src/checkpointer';
import { MAX_BINARY_BLOB_PARAMETERS } from '../../../src/checkpointer/saver/write-statements';
import { bootCheckpointer } from '../../support/app';
import { createTestDatabase, type TestDatabase } from '../../support/database';

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase('single_statement');
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
  for (const schema of [
    'ours',
    'upstream',
    'shared',
    'scratch',
    'delete_ours',
    'delete_upstream',
  ]) {
    await new PostgresSaver(pool, undefined, { schema }).setup();
  }
});

afterAll(async () => {
  await pool.end();
  await database.drop();
});

afterEach(() => jest.restoreAllMocks());

// Round-trip and failure tests write to `scratch`, so `ours` and `upstream` hold only the script.
const ours = (schema = 'ours') => new PostgresCheckpointer(pool, undefined, { schema });
const upstream = (schema = 'upstream') => new PostgresSaver(pool, undefined, { schema });

/** Runs `fn` and returns the text of every statement any pg client sent meanwhile. */
async function statementsSentBy(fn: () => Promise<unknown>): Promise<string[]> {
  await pool.query('SELECT 1'); // a warm connection: nothing below is connection setup
  const spy = jest.spyOn(pg.Client.prototype, 'query');
  await fn();
  const texts = spy.mock.calls.map(([q]) => (typeof q === 'string' ? q : String(q)));
  spy.mockRestore();
  return texts;
}

/** A checkpoint whose channels `c0..c{n-1}` all changed, with parent `parentId` (if any). */
function checkpointWith(channels: number, id = uuid6(-1)) {
  const checkpoint: Checkpoint = { ...emptyCheckpoint(), id };
  const newVersions: Record<string, number> = {};
  for (let i = 0; i < channels; i += 1) {
    checkpoint.channel_values[`c${i}`] = { text: `value ${i}`, items: [i, i + 1] };
    checkpoint.channel_versions[`c${i}`] = 1.5 + i;
    newVersions[`c${i}`] = 1.5 + i;
  }
  return { checkpoint, newVersions };
}

const metadata: CheckpointMetadata = { source: 'loop', step: 1, parents: {} };

describe('round trips', () => {
  it.each([0, 1, 3, 10])('put with %i changed channels sends one statement', async (n) => {
    const { checkpoint, newVersions } = checkpointWith(n);
    const config = { configurable: { thread_id: `rt-put-${n}`, checkpoint_ns: '' } };
    const sent = await statementsSentBy(() =>
      ours('scratch').put(config, checkpoint, metadata, newVersions),
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toMatch(/BEGIN|COMMIT/i);
    // Upstream, for the record: a transaction with a statement per row.
    const { checkpoint: again } = checkpointWith(n);
    const upstreamSent = await statementsSentBy(() =>
      upstream('scratch').put(config, again, metadata, newVersions),
    );
    expect(upstreamSent).toHaveLength(n + 3);
  });

  it.each([
    ['1 write', [['messages', 'hi']]],
    ['5 writes', [0, 1, 2, 3, 4].map((i) => [`ch${i}`, i])],
    [
      'special channels (upsert)',
      [
        [INTERRUPT, 'x'],
        [RESUME, 'y'],
        [ERROR, 'z'],
      ],
    ],
  ] as const)('putWrites with %s sends one statement', async (_, writes) => {
    const config = {
      configurable: { thread_id: 'rt-writes', checkpoint_ns: '', checkpoint_id: uuid6(-1) },
    };
    const sent = await statementsSentBy(() =>
      ours('scratch').putWrites(config, writes as unknown as [string, unknown][], 'task-1'),
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toMatch(/BEGIN|COMMIT/i);
  });

  it('putWrites with no writes sends nothing', async () => {
    const config = {
      configurable: { thread_id: 'rt-none', checkpoint_ns: '', checkpoint_id: 'x' },
    };
    expect(await statementsSentBy(() => ours('scratch').putWrites(config, [], 'task-1'))).toEqual(
      [],
    );
  });
});

/** Every row of the three checkpoint tables in `schema`, as comparable JSON. */
async function tableContents(schema: string) {
  const read = async (table: string, order: string) =>
    (
      await pool.query<{ row: unknown; blob: string | null }>(
        `SELECT to_jsonb(t) - 'blob' AS row, encode(t.blob, 'hex') AS blob FROM "${schema}".${table} t ORDER BY ${order}`,
      )
    ).rows;
  return {
    checkpoints: (
      await pool.query(
        `SELECT to_jsonb(t) AS row FROM "${schema}".checkpoints t ORDER BY thread_id, checkpoint_ns, checkpoint_id`,
      )
    ).rows,
    blobs: await read('checkpoint_blobs', 'thread_id, checkpoint_ns, channel, version'),
    writes: await read(
      'checkpoint_writes',
      'thread_id, checkpoint_ns, checkpoint_id, task_id, idx',
    ),
  };
}

/**
 * A script of writes covering every branch of upstream's SQL: blobs inserted, blobs already
 * present (DO NOTHING keeps the first), "empty" channels, a checkpoint upserted twice (DO UPDATE),
 * writes inserted (DO NOTHING keeps the first of duplicate special channels),
 * writes upserted (the last one wins), a namespace, and more writes than binary parameters.
 */
async function writeScript(saver: BaseCheckpointSaver, threadId = 'script'): Promise<void> {
  // Fixed ids and timestamps: both savers must produce byte-identical rows.
  const at = (id: string): Checkpoint => ({
    ...emptyCheckpoint(),
    id: `1f0a0000-0000-6000-8000-00000000000${id}`,
    ts: '2025-01-01T00:00:00.000Z',
  });
  const thread = { thread_id: threadId, checkpoint_ns: '' };
  const first: Checkpoint = at('1');
  first.channel_values = { messages: ['hello'], counter: 1 };
  first.channel_versions = { messages: 1, counter: 1, gone: 1 };
  // `gone` is versioned but has no value: upstream stores it as type "empty", blob NULL.
  await saver.put({ configurable: thread }, first, metadata, { messages: 1, counter: 1, gone: 1 });

  const second: Checkpoint = at('2');
  second.channel_values = { messages: ['hello', 'again'], counter: 'CHANGED BUT SAME VERSION' };
  second.channel_versions = { messages: 2, counter: 1 };
  const child = { configurable: { ...thread, checkpoint_id: first.id } };
  await saver.put(child, second, { ...metadata, step: 5 }, { messages: 2, counter: 1 });
  // The same checkpoint id again: upstream updates checkpoint and metadata in place.
  await saver.put(child, second, { ...metadata, step: 2 }, { messages: 2 });

  const writesOf = (checkpointId: string, ns = '') => ({
    configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpointId },
  });
  await saver.putWrites(
    writesOf(second.id),
    [
      ['messages', 'a'],
      [INTERRUPT, 'first interrupt'],
      ['messages', 'b'],
      [INTERRUPT, 'second interrupt'],
    ],
    'task-insert',
  );
  await saver.putWrites(writesOf(second.id), [['messages', 'not overwritten']], 'task-insert');
  await saver.putWrites(
    writesOf(second.id),
    [
      [RESUME, 'first resume'],
      [SCHEDULED, true],
      [RESUME, 'second resume'],
    ],
    'task-upsert',
  );
  await saver.putWrites(writesOf(second.id), [[SCHEDULED, 'overwritten']], 'task-upsert');

  const nested: Checkpoint = at('3');
  nested.channel_values = { inner: { deep: [1, 2, 3] } };
  nested.channel_versions = { inner: 3 };
  await saver.put(
    { configurable: { thread_id: threadId, checkpoint_ns: 'child:1' } },
    nested,
    metadata,
    {
      inner: 3,
    },
  );
  const many = Array.from(
    { length: MAX_BINARY_BLOB_PARAMETERS + 5 },
    (_, i) => [`bulk${i}`, { i }] as [string, unknown],
  );
  await saver.putWrites(writesOf(nested.id, 'child:1'), many, 'task-bulk');
}

describe('the rows written', () => {
  it('are exactly the rows upstream writes, for every branch of its SQL', async () => {
    await writeScript(ours());
    await writeScript(upstream());
    const [mine, theirs] = await Promise.all([tableContents('ours'), tableContents('upstream')]);
    expect(mine.checkpoints).toHaveLength(3);
    expect(mine.blobs).toHaveLength(5); // counter v1 stored once, by the first put
    expect(mine.writes).toHaveLength(3 + 2 + MAX_BINARY_BLOB_PARAMETERS + 5);
    expect(mine).toEqual(theirs);
  });

  it('are all or nothing: a put whose checkpoint row fails leaves no blob behind', async () => {
    const { checkpoint, newVersions } = checkpointWith(3);
    const broken = { ...checkpoint, id: undefined as unknown as string }; // checkpoint_id NOT NULL
    const config = { configurable: { thread_id: 'atomic', checkpoint_ns: '' } };
    await expect(ours('scratch').put(config, broken, metadata, newVersions)).rejects.toThrow(
      /not-null/,
    );
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM scratch.checkpoint_blobs WHERE thread_id = 'atomic'`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('reject a NUL character in metadata, storing nothing: ours typed, upstream a raw 22P05', async () => {
    // Upstream strips raw NUL bytes, but JSON escapes them as \u0000, which JSONB refuses.
    const config = { configurable: { thread_id: 'nul', checkpoint_ns: '' } };
    const nul = { ...metadata, note: 'a\u0000b' };
    const attempt = (saver: BaseCheckpointSaver) => {
      const { checkpoint, newVersions } = checkpointWith(2);
      return saver.put(config, checkpoint, nul, newVersions);
    };
    await expect(attempt(ours('scratch'))).rejects.toBeInstanceOf(CheckpointValueError);
    await expect(attempt(upstream('scratch'))).rejects.toMatchObject({ code: '22P05' });
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM scratch.checkpoint_blobs WHERE thread_id = 'nul'`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('fail as upstream does without thread_id or checkpoint_id, storing nothing', async () => {
    const noThread = { configurable: { checkpoint_ns: '', checkpoint_id: 'no-thread' } };
    const noCheckpoint = { configurable: { thread_id: 'missing', checkpoint_ns: '' } };
    for (const config of [noThread, noCheckpoint]) {
      await expect(ours('scratch').putWrites(config, [['m', 1]], 't')).rejects.toThrow(/not-null/);
      await expect(upstream('scratch').putWrites(config, [['m', 1]], 't')).rejects.toThrow(
        /not-null/,
      );
    }
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM scratch.checkpoint_writes
        WHERE checkpoint_id = 'no-thread' OR thread_id = 'missing'`,
    );
    expect(rows[0].n).toBe(0);
    await expect(
      ours('scratch').put({}, checkpointWith(1).checkpoint, metadata, {}),
    ).rejects.toThrow('Missing "configurable" field in "config" param');
  });
});

/** What a saver reads back of a thread: every tuple, with its config, values and writes. */
async function readBack(saver: BaseCheckpointSaver, threadId: string, ns = '') {
  const tuples: CheckpointTuple[] = [];
  for await (const tuple of saver.list({
    configurable: { thread_id: threadId, checkpoint_ns: ns },
  })) {
    tuples.push(tuple);
  }
  const latest = await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: ns } });
  return { tuples, latest };
}

describe('one database, either saver', () => {
  it.each([
    ['ours writes, upstream reads', ours, upstream],
    ['upstream writes, ours reads', upstream, ours],
  ] as const)('%s', async (label, writer, reader) => {
    const schema = label.startsWith('ours') ? 'ours' : 'upstream';
    const { tuples, latest } = await readBack(reader(schema), 'script');
    expect(await readBack(writer(schema), 'script')).toEqual({ tuples, latest });
    expect(tuples).toHaveLength(2);
    expect(latest?.checkpoint.channel_values).toEqual({
      messages: ['hello', 'again'],
      counter: 1, // DO NOTHING kept the first value stored for version 1
    });
    expect(latest?.metadata).toEqual({ ...metadata, step: 2 });
    expect(latest?.pendingWrites).toEqual([
      ['task-insert', INTERRUPT, 'first interrupt'],
      ['task-insert', 'messages', 'a'],
      ['task-insert', 'messages', 'b'],
      ['task-upsert', RESUME, 'second resume'], // idx -4: upstream reads by (task_id, idx)
      ['task-upsert', SCHEDULED, 'overwritten'], // idx -2
    ]);
    const nested = await readBack(reader(schema), 'script', 'child:1');
    expect(nested.latest?.pendingWrites).toHaveLength(MAX_BINARY_BLOB_PARAMETERS + 5);
    expect(nested.latest?.checkpoint.channel_values).toEqual({ inner: { deep: [1, 2, 3] } });
  });

  const Chat = Annotation.Root({
    messages: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  });
  const chat = (saver: BaseCheckpointSaver) =>
    new StateGraph(Chat)
      .addNode('reply', (s) => ({ messages: [`echo ${s.messages[s.messages.length - 1]}`] }))
      .addNode('approve', () => ({ messages: [`approved: ${interrupt<string, string>('ok?')}`] }))
      .addConditionalEdges(START, (s) =>
        s.messages[s.messages.length - 1] === 'deploy' ? 'approve' : 'reply',
      )
      .addEdge('reply', END)
      .addEdge('approve', END)
      .compile({ checkpointer: saver });

  let app: INestApplicationContext | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('a LangGraph conversation continues across savers, interrupts included', async () => {
    app = await bootCheckpointer({ connectionString: database.url, schema: 'shared' });
    const module = chat(app.get<BaseCheckpointSaver>(getCheckpointerToken()));
    const plain = chat(upstream('shared'));
    const config = { configurable: { thread_id: 'across' } };

    await module.invoke({ messages: ['one'] }, config);
    await plain.invoke({ messages: ['two'] }, config);
    await module.invoke({ messages: ['deploy'] }, config); // pauses in `approve`
    expect((await plain.getState(config)).next).toEqual(['approve']);
    await plain.invoke(new Command({ resume: 'yes' }), config);
    await module.invoke({ messages: ['deploy'] }, config);
    const last = await module.invoke(new Command({ resume: 'again' }), config);
    await plain.invoke({ messages: ['three'] }, config);

    const expected = [
      'one',
      'echo one',
      'two',
      'echo two',
      'deploy',
      'approved: yes',
      'deploy',
      'approved: again',
    ];
    expect(last.messages).toEqual(expected);
    for (const graph of [module, plain]) {
      expect((await graph.getState(config)).values.messages).toEqual([
        ...expected,
        'three',
        'echo three',
      ]);
    }
  });
});

describe('deleteThread', () => {
  it('sends one statement, where upstream sends five', async () => {
    await writeScript(ours('scratch'), 'rt-delete');
    const sent = await statementsSentBy(() => ours('scratch').deleteThread('rt-delete'));
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toMatch(/BEGIN|COMMIT/i);
    const upstreamSent = await statementsSentBy(() =>
      upstream('scratch').deleteThread('rt-delete'),
    );
    expect(upstreamSent).toEqual([
      'BEGIN',
      expect.any(String),
      expect.any(String),
      expect.any(String),
      'COMMIT',
    ]);
  });

  it('deletes exactly the rows upstream deletes: the thread in every namespace, nothing else', async () => {
    for (const [schema, saver] of [
      ['delete_ours', ours('delete_ours')],
      ['delete_upstream', upstream('delete_upstream')],
    ] as const) {
      // Same rows in both schemas; `doomed` has two namespaces and writes in both.
      for (const threadId of ['doomed', 'kept', 'doomed-not']) await writeScript(saver, threadId);
      expect((await tableContents(schema)).checkpoints).toHaveLength(9);
    }
    await ours('delete_ours').deleteThread('doomed');
    await upstream('delete_upstream').deleteThread('doomed');
    const [mine, theirs] = await Promise.all([
      tableContents('delete_ours'),
      tableContents('delete_upstream'),
    ]);
    expect(mine).toEqual(theirs);
    const threadsLeft = (rows: { row: unknown }[]) =>
      [...new Set(rows.map((r) => (r.row as { thread_id: string }).thread_id))].sort();
    expect(threadsLeft(mine.checkpoints)).toEqual(['doomed-not', 'kept']);
    expect(threadsLeft(mine.blobs)).toEqual(['doomed-not', 'kept']);
    expect(threadsLeft(mine.writes)).toEqual(['doomed-not', 'kept']);
    expect(mine.writes).toHaveLength(2 * (3 + 2 + MAX_BINARY_BLOB_PARAMETERS + 5));
  });

  it('is all or nothing: a failing delete of the writes leaves the checkpoints and blobs', async () => {
    await writeScript(ours('scratch'), 'atomic-delete');
    const before = await tableContents('scratch');
    await pool.query(`CREATE FUNCTION scratch.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused by test trigger'; END $$`);
    await pool.query(`CREATE TRIGGER refuse BEFORE DELETE ON scratch.checkpoint_writes
      FOR EACH ROW EXECUTE FUNCTION scratch.refuse()`);
    try {
      await expect(ours('scratch').deleteThread('atomic-delete')).rejects.toThrow(
        'refused by test trigger',
      );
    } finally {
      await pool.query(`DROP FUNCTION scratch.refuse() CASCADE`);
    }
    expect(await tableContents('scratch')).toEqual(before);
    await ours('scratch').deleteThread('atomic-delete');
    const after = await tableContents('scratch');
    expect(after.checkpoints.length).toBeLessThan(before.checkpoints.length);
  });

  it('deletes nothing for a thread that has no rows', async () => {
    const before = await tableContents('delete_ours');
    await ours('delete_ours').deleteThread('never-written');
    expect(await tableContents('delete_ours')).toEqual(before);
  });
});
