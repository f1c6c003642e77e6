/**
 * Text PostgreSQL cannot hold: a NUL character (U+0000, refused by jsonb and text alike) or a
 * lone surrogate (not encodable as UTF-8: jsonb refuses it, text silently replaces it). LangGraph's
 * MemorySaver stores both; upstream PostgresSaver fails with a raw 22P05/22021 or rewrites the id.
 * The saver refuses them with `CheckpointValueError` naming the field, before any statement is
 * sent, so nothing is half written. Channel VALUES are serialized to bytea and stored faithfully.
 */
import type { INestApplicationContext } from '@nestjs/common';
import {
  type BaseCheckpointSaver,
  type Checkpoint,
  type CheckpointMetadata,
  emptyCheckpoint,
  uuid6,
} from '@langchain/langgraph-checkpoint';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { CheckpointValueError, getCheckpointerToken } from '../../../src/checkpointer';
import { useCheckpointerDatabase } from '../../support/checkpointer-fixture';
import { snapshotModuleTables } from '../../support/table-snapshot';

const fixture = useCheckpointerDatabase('unstorable', { schema: 'unstorable' });
let app: INestApplicationContext;
let saver: BaseCheckpointSaver;

beforeAll(async () => {
  app = await fixture.boot();
  saver = app.get<BaseCheckpointSaver>(getCheckpointerToken());
});

afterEach(() => jest.restoreAllMocks());

const metadata: CheckpointMetadata = { source: 'loop', step: 1, parents: {} };

/** A checkpoint with one changed channel, so a put would write a blob and a checkpoint row. */
function checkpointWith(value: unknown = 'hello', channel = 'messages') {
  const checkpoint: Checkpoint = {
    ...emptyCheckpoint(),
    id: uuid6(-1),
    channel_values: { [channel]: value },
    channel_versions: { [channel]: 1 },
  };
  return { checkpoint, newVersions: { [channel]: 1 } };
}

const configOf = (threadId: string = randomUUID()) => ({
  configurable: { thread_id: threadId, checkpoint_ns: '' },
});

/** The error `fn` fails with, asserting that no statement reached any pg connection meanwhile. */
async function refusalOf(fn: () => Promise<unknown>): Promise<CheckpointValueError> {
  const before = await snapshotModuleTables(fixture.database, 'unstorable');
  const sent = jest.spyOn(pg.Client.prototype, 'query');
  const error = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(sent).not.toHaveBeenCalled();
  sent.mockRestore();
  expect(await snapshotModuleTables(fixture.database, 'unstorable')).toEqual(before);
  expect(error).toBeInstanceOf(CheckpointValueError);
  return error as CheckpointValueError;
}

describe('put', () => {
  it.each([
    ['a NUL in a value', { ...metadata, note: 'a\u0000b' }, 'metadata.note', 'a NUL character'],
    ['a NUL in a key', { ...metadata, ['k\u0000']: 1 }, 'metadata["k\\u0000"]', 'a NUL character'],
    [
      'a NUL deep inside',
      { ...metadata, writes: { listen: { messages: ['ok', 'x\u0000'] } } },
      'metadata.writes.listen.messages[1]',
      'a NUL character',
    ],
    ['a lone surrogate', { ...metadata, note: 'a\ud800b' }, 'metadata.note', 'a lone surrogate'],
  ])('refuses metadata with %s, naming the field', async (_, bad, field, what) => {
    const { checkpoint, newVersions } = checkpointWith();
    const error = await refusalOf(() => saver.put(configOf(), checkpoint, bad, newVersions));
    expect(error.field).toBe(field);
    expect(error.operation).toBe('put');
    expect(error.message).toBe(
      `saver.put: ${field} contains ${what}, which PostgreSQL cannot store; nothing was written`,
    );
  });

  it('refuses a NUL in a channel name and in the thread id', async () => {
    const { checkpoint, newVersions } = checkpointWith('hello', 'chan\u0000nel');
    const channel = await refusalOf(() => saver.put(configOf(), checkpoint, metadata, newVersions));
    expect(channel.field).toBe('checkpoint.channel_versions["chan\\u0000nel"]');

    const ok = checkpointWith();
    const thread = await refusalOf(() =>
      saver.put(configOf('t\u0000'), ok.checkpoint, metadata, ok.newVersions),
    );
    expect(thread.field).toBe('config.configurable.thread_id');
  });

  it('stores a NUL inside channel values faithfully (they are bytea)', async () => {
    const config = configOf();
    const { checkpoint, newVersions } = checkpointWith('a\u0000b');
    await saver.put(config, checkpoint, metadata, newVersions);
    const tuple = await saver.getTuple(config);
    expect(tuple?.checkpoint.channel_values).toEqual({ messages: 'a\u0000b' });
  });
});

describe('putWrites', () => {
  it('refuses a NUL in a channel or the task id; values are fine', async () => {
    const { checkpoint, newVersions } = checkpointWith();
    const stored = await saver.put(configOf(), checkpoint, metadata, newVersions);
    const channel = await refusalOf(() =>
      saver.putWrites(
        stored,
        [
          ['ok', 1],
          ['bad\u0000', 2],
        ],
        'task',
      ),
    );
    expect(channel).toMatchObject({ field: 'writes[1].channel', operation: 'putWrites' });
    expect(channel.message).toMatch(/nothing was written$/);
    const task = await refusalOf(() => saver.putWrites(stored, [['ok', 1]], 'task\u0000'));
    expect(task.field).toBe('taskId');

    await saver.putWrites(stored, [['ok', 'a\u0000b']], 'task');
    expect((await saver.getTuple(stored))?.pendingWrites).toEqual([['task', 'ok', 'a\u0000b']]);
  });
});

describe('reads', () => {
  it('list refuses a metadata filter with a NUL, naming it (never a raw 22P05)', async () => {
    const error = await refusalOf(() =>
      saver.list(configOf(), { filter: { note: 'a\u0000b' } }).next(),
    );
    expect(error).toMatchObject({ field: 'filter.note', operation: 'list' });
    expect(error.message).toBe(
      'saver.list: filter.note contains a NUL character, which PostgreSQL cannot store; nothing was sent',
    );
  });

  it('getTuple and deleteThread refuse a thread id with a NUL (never a raw 22021)', async () => {
    const read = await refusalOf(() => saver.getTuple(configOf('t\u0000')));
    expect(read).toMatchObject({ field: 'config.configurable.thread_id', operation: 'getTuple' });
    const deleted = await refusalOf(() => saver.deleteThread('t\u0000'));
    expect(deleted).toMatchObject({ field: 'threadId', operation: 'deleteThread' });
  });
});
