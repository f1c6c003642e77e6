import {
  type BlobRow,
  MAX_BINARY_BLOB_PARAMETERS,
  type WriteRow,
  deleteThreadStatement,
  distinctByIdx,
  putCheckpointStatement,
  putWritesStatement,
} from './write-statements';

const blob = (s: string) => new TextEncoder().encode(s);
const write = (idx: number, channel: string, value: string): WriteRow => [
  't',
  '',
  'c',
  'task',
  idx,
  channel,
  'json',
  blob(value),
];
const checkpointRow = {
  threadId: 't',
  checkpointNs: '',
  checkpointId: 'c2',
  parentCheckpointId: 'c1',
  checkpoint: { v: 4 },
  metadata: { step: 1 },
};

describe('putCheckpointStatement', () => {
  it('is the bare checkpoint upsert when no channel changed', () => {
    const { text, values } = putCheckpointStatement('agents', checkpointRow, []);
    expect(text).not.toContain('checkpoint_blobs');
    expect(text).toContain('INSERT INTO "agents".checkpoints');
    expect(text).toContain(
      'DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata',
    );
    expect(values).toEqual(['t', '', 'c2', 'c1', { v: 4 }, { step: 1 }]);
  });

  it('inserts the blobs in a CTE, each payload a binary parameter of its own', () => {
    const blobs: BlobRow[] = [
      ['t', '', 'messages', '2.5', 'json', blob('[1]')],
      ['t', '', 'gone', '1', 'empty', undefined],
    ];
    const { text, values } = putCheckpointStatement('agents', checkpointRow, blobs);
    expect(text).toMatch(/^WITH blobs AS \(\s+INSERT INTO "agents"\.checkpoint_blobs/);
    expect(text).toContain(
      'unnest($7::text[], $8::text[], $9::text[], ARRAY[$10::bytea, $11::bytea]::bytea[])',
    );
    expect(text).toContain('ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING');
    expect(values.slice(6)).toEqual([
      ['messages', 'gone'],
      ['2.5', '1'],
      ['json', 'empty'],
      blob('[1]'),
      undefined,
    ]);
  });

  it('guarded: the guard sees the parent, the checkpoint and the channels it writes', () => {
    const blobs: BlobRow[] = [['t', '', 'messages', '2.5', 'json', blob('[1]')]];
    const { text } = putCheckpointStatement('agents', checkpointRow, blobs, true);
    expect(text).toMatch(
      /^WITH guard AS \(SELECT "agents"\.checkpointer_checkpoint_writable\(\$1::text, \$2::text, \$4::text, \$5::jsonb, \$7::text\[\]\) AS status\)/,
    );
    expect(text.match(/WHERE \(SELECT status FROM guard\) = 'writable'/g)).toHaveLength(2);
    expect(text).toMatch(/SELECT status FROM guard$/);
    const bare = putCheckpointStatement('agents', checkpointRow, [], true).text;
    expect(bare).toContain("$5::jsonb, '{}'::text[]) AS status");
  });

  it('quotes the schema as one identifier, whatever it contains, and refuses a NUL', () => {
    const { text } = putCheckpointStatement('a"; DROP TABLE x; --', checkpointRow, []);
    expect(text).toContain('INSERT INTO "a""; DROP TABLE x; --".checkpoints');
    expect(() => putCheckpointStatement('a\u0000b', checkpointRow, [])).toThrow(
      /not a valid PostgreSQL identifier/,
    );
  });
});

describe('putWritesStatement', () => {
  it('is nothing at all for no writes', () => {
    expect(putWritesStatement('public', [], false)).toBeUndefined();
  });

  it('upserts special channels and inserts the rest, as upstream chooses', () => {
    const upsert = putWritesStatement('public', [write(-3, '__interrupt__', 'x')], true);
    expect(upsert?.text).toContain(
      'DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob',
    );
    const insert = putWritesStatement('public', [write(0, 'messages', 'x')], false);
    expect(insert?.text).toMatch(/ON CONFLICT \([^)]+\) DO NOTHING$/);
    expect(insert?.values).toEqual(['t', '', 'c', 'task', [0], ['messages'], ['json'], blob('x')]);
  });

  it('sends the payloads as one bytea[] array past the parameter limit', () => {
    const many = Array.from({ length: MAX_BINARY_BLOB_PARAMETERS + 1 }, (_, i) =>
      write(i, `ch${i}`, String(i)),
    );
    const statement = putWritesStatement('public', many, false);
    expect(statement?.text).toContain('unnest($5::int4[], $6::text[], $7::text[], $8::bytea[])');
    expect(statement?.values).toHaveLength(8);
  });
});

describe('distinctByIdx', () => {
  const rows = [write(-3, 'i', 'first'), write(0, 'm', 'a'), write(-3, 'i', 'second')];

  it('keeps the first of a key, as upstream INSERT ... DO NOTHING in sequence does', () => {
    expect(distinctByIdx(rows, 'first').map((r) => [r[4], r[7]])).toEqual([
      [-3, blob('first')],
      [0, blob('a')],
    ]);
  });

  it('keeps the last of a key, as upstream upserts in sequence do', () => {
    expect(distinctByIdx(rows, 'last').map((r) => [r[4], r[7]])).toEqual([
      [-3, blob('second')],
      [0, blob('a')],
    ]);
  });
});

describe('deleteThreadStatement', () => {
  it("deletes the thread from upstream's three tables in the schema, in one statement", () => {
    const { text, values } = deleteThreadStatement('agents', 'thread-1');
    const deletes = [...text.matchAll(/DELETE FROM (\S+) WHERE thread_id = \$1::text/g)];
    expect(deletes.map((m) => m[1]).sort()).toEqual([
      '"agents".checkpoint_blobs',
      '"agents".checkpoint_writes',
      '"agents".checkpoints',
    ]);
    expect(text).not.toContain(';');
    expect(values).toEqual(['thread-1']);
  });

  it('guarded: one call of checkpointer_reset_thread, which takes the thread lock', () => {
    expect(deleteThreadStatement('agents', 'thread-1', true)).toEqual({
      text: 'SELECT * FROM "agents".checkpointer_reset_thread($1::text)',
      values: ['thread-1'],
    });
  });

  it('refuses a schema that is not a PostgreSQL identifier', () => {
    expect(() => deleteThreadStatement('x'.repeat(64), 't')).toThrow(
      /not a valid PostgreSQL identifier/,
    );
  });
});
