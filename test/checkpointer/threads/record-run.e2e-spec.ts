/**
 * ThreadService.recordRun, getThread and renameThread against PostgreSQL: thread creation and
 * titles, idempotent re-recording, run id conflicts, concurrent creation of one thread, prompt
 * limits, verbatim thread ids and input validation.
 */
import { randomUUID } from 'node:crypto';
import {
  InvalidInputError,
  RunConflictError,
  ThreadNotFoundError,
  UNTITLED_THREAD,
} from '../../../src/checkpointer';
import {
  SCHEMA,
  type ThreadsFixture,
  snapshotTables,
  startThreadsFixture,
} from './threads.fixture';

let fx: ThreadsFixture;

beforeAll(async () => {
  fx = await startThreadsFixture('record_run');
});

afterAll(async () => {
  await fx.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('recordRun', () => {
  it('creates the thread on its first run, owned by the user, titled from the prompt', async () => {
    const recorded = await fx.threads.recordRun({
      userEmail: 'ada@example.com',
      threadId: 'first-thread',
      prompt: '  What   is\n the GDP\tof Czechia?  ',
    });

    expect(recorded.runId).toMatch(UUID);
    expect(recorded.threadId).toBe('first-thread');
    expect(recorded.createdAt).toBeInstanceOf(Date);
    const thread = await fx.threads.getThread('ada@example.com', 'first-thread');
    expect(thread).toEqual({
      threadId: 'first-thread',
      title: 'What is the GDP of Czechia?',
      firstPrompt: '  What   is\n the GDP\tof Czechia?  ',
      createdAt: recorded.createdAt,
      lastRunAt: recorded.createdAt,
      runCount: 1,
      runs: [
        {
          runId: recorded.runId,
          prompt: '  What   is\n the GDP\tof Czechia?  ',
          createdAt: recorded.createdAt,
          sentiment: null,
        },
      ],
    });
    await expect(fx.threads.countThreads('ada@example.com')).resolves.toBe(1);
  });

  it('adds later runs in order, bumping activity and the run count but not the title', async () => {
    const user = 'grace@example.com';
    const first = await fx.threads.recordRun({ userEmail: user, threadId: 'g-1', prompt: 'one' });
    const second = await fx.threads.recordRun({ userEmail: user, threadId: 'g-1', prompt: 'two' });
    const third = await fx.threads.recordRun({ userEmail: user, threadId: 'g-1', prompt: 'three' });

    const thread = await fx.threads.getThread(user, 'g-1');
    expect(thread.title).toBe('one');
    expect(thread.firstPrompt).toBe('one');
    expect(thread.runCount).toBe(3);
    expect(thread.createdAt).toEqual(first.createdAt);
    expect(thread.lastRunAt).toEqual(third.createdAt);
    expect(thread.runs.map((r) => [r.runId, r.prompt])).toEqual([
      [first.runId, 'one'],
      [second.runId, 'two'],
      [third.runId, 'three'],
    ]);
    await expect(fx.threads.countThreads(user)).resolves.toBe(1);
  });

  it('normalizes the email once: case and surrounding spaces name the same owner', async () => {
    await fx.threads.recordRun({
      userEmail: '  Mixed.Case@Example.COM ',
      threadId: 'm-1',
      prompt: 'p',
    });
    await fx.threads.recordRun({
      userEmail: 'mixed.case@example.com',
      threadId: 'm-1',
      prompt: 'q',
    });

    const { rows } = await fx.database.query(
      `SELECT owner_email, run_count FROM ${SCHEMA}.users_threads WHERE thread_id = 'm-1'`,
    );
    expect(rows).toEqual([{ owner_email: 'mixed.case@example.com', run_count: 2 }]);
    await expect(fx.threads.countThreads('MIXED.CASE@EXAMPLE.COM')).resolves.toBe(1);
  });

  it('titles an empty or blank first prompt "Untitled conversation"', async () => {
    await fx.threads.recordRun({ userEmail: 'u@example.com', threadId: 'blank', prompt: ' \n\t ' });
    await fx.threads.recordRun({ userEmail: 'u@example.com', threadId: 'empty', prompt: '' });

    expect((await fx.threads.getThread('u@example.com', 'blank')).title).toBe(UNTITLED_THREAD);
    expect((await fx.threads.getThread('u@example.com', 'empty')).title).toBe(UNTITLED_THREAD);
  });

  it('cuts long titles on grapheme boundaries: emoji and combining characters stay whole', async () => {
    // 46 ASCII characters, then graphemes 47-51 are multi-unit: the cut falls among them.
    const prompt = `${'a'.repeat(46)}e\u0301👨‍👩‍👧🇨🇿😀 and more`;
    await fx.threads.recordRun({ userEmail: 'u@example.com', threadId: 'emoji', prompt });

    const { title } = await fx.threads.getThread('u@example.com', 'emoji');
    expect(title).toBe(`${'a'.repeat(46)}e\u0301...`);
    const stored = await fx.database.query(
      `SELECT title FROM ${SCHEMA}.users_threads WHERE thread_id = 'emoji'`,
    );
    expect(stored.rows[0].title).toBe(title);
  });

  it('is idempotent for the same runId, thread, user and prompt: one run, counted once', async () => {
    const runId = randomUUID();
    const input = { userEmail: 'idem@example.com', threadId: 'idem', prompt: 'hello', runId };
    const first = await fx.threads.recordRun(input);
    const again = await fx.threads.recordRun({ ...input, userEmail: 'IDEM@example.com' });

    expect(again).toEqual(first);
    const thread = await fx.threads.getThread('idem@example.com', 'idem');
    expect(thread.runCount).toBe(1);
    expect(thread.runs).toHaveLength(1);
    await expect(fx.threads.countThreads('idem@example.com')).resolves.toBe(1);
  });

  it('accepts a runId in upper case and returns it in canonical lower case', async () => {
    const runId = randomUUID();
    const recorded = await fx.threads.recordRun({
      userEmail: 'case@example.com',
      threadId: 'case',
      prompt: 'p',
      runId: runId.toUpperCase(),
    });
    expect(recorded.runId).toBe(runId);
  });

  it('refuses a runId recorded on another thread, for another user or with another prompt', async () => {
    const runId = randomUUID();
    await fx.threads.recordRun({
      userEmail: 'rc@example.com',
      threadId: 'rc-1',
      prompt: 'p',
      runId,
    });
    const before = await snapshotTables(fx.database);

    await expect(
      fx.threads.recordRun({ userEmail: 'rc@example.com', threadId: 'rc-2', prompt: 'p', runId }),
    ).rejects.toBeInstanceOf(RunConflictError);
    await expect(
      fx.threads.recordRun({
        userEmail: 'other@example.com',
        threadId: 'rc-3',
        prompt: 'p',
        runId,
      }),
    ).rejects.toBeInstanceOf(RunConflictError);
    await expect(
      fx.threads.recordRun({ userEmail: 'rc@example.com', threadId: 'rc-1', prompt: 'q', runId }),
    ).rejects.toBeInstanceOf(RunConflictError);

    // Never reassigned, and no thread created for the refused runs.
    expect(await snapshotTables(fx.database)).toEqual(before);
  });

  it('concurrent first runs of one new thread: one thread, every run, counted once', async () => {
    const user = 'race@example.com';
    const prompts = Array.from({ length: 12 }, (_, i) => `prompt ${i}`);
    const recorded = await Promise.all(
      prompts.map((prompt) => fx.threads.recordRun({ userEmail: user, threadId: 'race', prompt })),
    );

    const thread = await fx.threads.getThread(user, 'race');
    expect(thread.runCount).toBe(prompts.length);
    expect(thread.runs.map((r) => r.runId).sort()).toEqual(recorded.map((r) => r.runId).sort());
    expect(prompts).toContain(thread.firstPrompt);
    expect(thread.lastRunAt.getTime()).toBe(
      Math.max(...thread.runs.map((r) => r.createdAt.getTime())),
    );
    await expect(fx.threads.countThreads(user)).resolves.toBe(1);
  });

  it('concurrent double submit of one runId: one run, both calls answered with it', async () => {
    const runId = randomUUID();
    const input = { userEmail: 'dbl@example.com', threadId: 'dbl', prompt: 'p', runId };
    const answers = await Promise.all([1, 2, 3, 4].map(() => fx.threads.recordRun(input)));

    for (const answer of answers) expect(answer).toEqual(answers[0]);
    const thread = await fx.threads.getThread('dbl@example.com', 'dbl');
    expect(thread.runCount).toBe(1);
    expect(thread.runs.map((r) => r.runId)).toEqual([runId]);
    await expect(fx.threads.countThreads('dbl@example.com')).resolves.toBe(1);
  });

  it('stores a 100,000-character prompt whole and refuses one character more', async () => {
    const prompt = `${'x'.repeat(99_999)}😀`; // 100,000 characters, 100,001 UTF-16 units
    await fx.threads.recordRun({ userEmail: 'big@example.com', threadId: 'big', prompt });
    const thread = await fx.threads.getThread('big@example.com', 'big');
    expect(thread.firstPrompt).toBe(prompt);
    expect(thread.runs[0].prompt).toBe(prompt);
    expect(thread.title).toBe(`${'x'.repeat(47)}...`);

    const before = await snapshotTables(fx.database);
    const tooLong = fx.threads.recordRun({
      userEmail: 'big@example.com',
      threadId: 'big-2',
      prompt: `${prompt}!`,
    });
    await expect(tooLong).rejects.toThrow(InvalidInputError);
    await expect(tooLong).rejects.toMatchObject({ field: 'prompt' });
    expect(await snapshotTables(fx.database)).toEqual(before);
  });

  it('assertRunInput refuses, without the database, exactly the input recordRun refuses', async () => {
    const good = { userEmail: 'Check@Example.com ', threadId: 'any-id', prompt: 'hello' };
    const bad = [
      [{ ...good, prompt: 'x'.repeat(100_001) }, 'prompt'],
      [{ ...good, prompt: 'nul \u0000' }, 'prompt'],
      [{ ...good, runId: 'not-a-uuid' }, 'runId'],
      [{ ...good, threadId: '' }, 'threadId'],
      [{ ...good, userEmail: ' ' }, 'userEmail'],
    ] as const;
    const before = await snapshotTables(fx.database);
    expect(() => fx.threads.assertRunInput(good)).not.toThrow();
    for (const [input, field] of bad) {
      expect(() => fx.threads.assertRunInput(input)).toThrow(
        expect.objectContaining({ name: 'InvalidInputError', field }) as Error,
      );
      await expect(fx.threads.recordRun(input)).rejects.toMatchObject({
        name: 'InvalidInputError',
        field,
      });
    }
    expect(await snapshotTables(fx.database)).toEqual(before);
  });

  it('stores and returns an injection-shaped thread id verbatim', async () => {
    const threadId = `x'); DROP TABLE ${SCHEMA}.users_threads; -- "quoted" \\ %s $1 ü`;
    const recorded = await fx.threads.recordRun({
      userEmail: 'inj@example.com',
      threadId,
      prompt: 'p',
    });

    expect(recorded.threadId).toBe(threadId);
    expect((await fx.threads.getThread('inj@example.com', threadId)).threadId).toBe(threadId);
    const listed = await fx.threads.listThreads('inj@example.com');
    expect(listed.items.map((t) => t.threadId)).toEqual([threadId]);
    const { rows } = await fx.database.query(
      `SELECT thread_id FROM ${SCHEMA}.users_threads WHERE owner_email = 'inj@example.com'`,
    );
    expect(rows).toEqual([{ thread_id: threadId }]);
  });

  it('honours threads.maxPromptLength', async () => {
    const small = await startThreadsFixture('record_run_small', {
      threads: { maxPromptLength: 5 },
    });
    try {
      await small.threads.recordRun({ userEmail: 'a@b.c', threadId: 't', prompt: '12345' });
      await expect(
        small.threads.recordRun({ userEmail: 'a@b.c', threadId: 't', prompt: '123456' }),
      ).rejects.toMatchObject({ name: 'InvalidInputError', field: 'prompt' });
    } finally {
      await small.close();
    }
  });

  it.each([
    ['userEmail', 'blank', { userEmail: '   ' }],
    ['userEmail', 'over 320 characters', { userEmail: `${'a'.repeat(315)}@b.com` }],
    ['userEmail', 'with NUL', { userEmail: 'a\u0000@b.c' }],
    ['threadId', 'empty', { threadId: '' }],
    ['threadId', 'over 255 characters', { threadId: 'x'.repeat(256) }],
    ['threadId', 'with a newline', { threadId: 'line\nbreak' }],
    ['threadId', 'with NUL', { threadId: 'nul\u0000' }],
    ['threadId', 'not a string', { threadId: 42 }],
    ['prompt', 'with NUL', { prompt: 'nul \u0000 byte' }],
    ['prompt', 'with a lone surrogate', { prompt: 'lone \ud800 surrogate' }],
    ['prompt', 'missing', { prompt: undefined }],
    ['runId', 'not a UUID', { runId: 'not-a-uuid' }],
    ['runId', 'with a trailing space', { runId: `${randomUUID()} ` }],
  ])('refuses a %s %s, naming it, and stores nothing', async (field, _label, bad) => {
    const before = await snapshotTables(fx.database);
    const input = { userEmail: 'v@example.com', threadId: 'valid', prompt: 'p', ...bad };
    const attempt = fx.threads.recordRun(input as never);
    await expect(attempt).rejects.toThrow(InvalidInputError);
    await expect(attempt).rejects.toMatchObject({ field });
    expect(await snapshotTables(fx.database)).toEqual(before);
  });

  it('accepts a thread id of exactly 255 characters, emoji counted as one', async () => {
    const threadId = '😀'.repeat(255);
    await fx.threads.recordRun({ userEmail: 'len@example.com', threadId, prompt: 'p' });
    expect((await fx.threads.getThread('len@example.com', threadId)).threadId).toBe(threadId);
  });
});

describe('getThread and renameThread', () => {
  it('renames a thread, collapsing whitespace, and refuses a blank title', async () => {
    await fx.threads.recordRun({ userEmail: 'ren@example.com', threadId: 'ren', prompt: 'old' });

    const renamed = await fx.threads.renameThread('ren@example.com', 'ren', '  New \n name ');
    expect(renamed).toMatchObject({ threadId: 'ren', title: 'New name', runCount: 1 });
    expect((await fx.threads.getThread('ren@example.com', 'ren')).title).toBe('New name');
    await expect(fx.threads.renameThread('ren@example.com', 'ren', ' \n ')).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'title',
    });
    await expect(
      fx.threads.renameThread('ren@example.com', 'ren', 'y'.repeat(256)),
    ).rejects.toMatchObject({ field: 'title' });
  });

  it('reports a missing thread as ThreadNotFoundError', async () => {
    await expect(fx.threads.getThread('ren@example.com', 'missing')).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
    await expect(fx.threads.renameThread('ren@example.com', 'missing', 't')).rejects.toBeInstanceOf(
      ThreadNotFoundError,
    );
  });
});
