/**
 * Input as an attacker crafts it, on the real app: whatever the body, query or cursor, the answer
 * is a 4xx naming the problem or a success, never a 500, and nothing is stored for a refusal.
 */
import {
  type DemoFixture,
  type ThreadPageBody,
  actingAs,
  createThread,
  expectStatus,
  snapshotDemoTables,
  startDemo,
} from './demo.fixture';

const OWNER = 'owner@example.com';

let fixture: DemoFixture;
/** The owner's threads, named by their first prompts. */
const threads: Record<string, string> = {};
/** Where the routes below point: the owner's first thread, created before any test runs. */
const FIRST = '{first}';
const at = (path: string) => path.replace(FIRST, threads.first);

beforeAll(async () => {
  fixture = await startDemo('demo_hostile');
  const owner = actingAs(fixture.demo, OWNER);
  for (const prompt of ['first', 'second', 'third']) {
    threads[prompt] = await createThread(fixture.demo, OWNER);
    expectStatus(await owner.post(`/threads/${threads[prompt]}/runs`, { prompt }), 201);
  }
});

afterAll(async () => {
  await fixture.close();
});

/** A cursor as `encodeThreadCursor` would write it, with whatever parts the attacker likes. */
const forgedCursor = (...parts: unknown[]) =>
  Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');

describe('GET /threads?cursor: any cursor is a 400 naming it, or a page', () => {
  it.each([
    [
      'year 0000',
      forgedCursor(1, '0000-01-01T00:00:00.000000Z', '0000-01-01T00:00:00.000000Z', 't'),
    ],
    [
      'year 0000 in the key only',
      forgedCursor(1, '2025-01-01T00:00:00.000000Z', '0000-01-01T00:00:00.000000Z', 't'),
    ],
    [
      'a negative year',
      forgedCursor(1, '-0001-01-01T00:00:00.000000Z', '-0001-01-01T00:00:00.000000Z', 't'),
    ],
    [
      'year 10000',
      forgedCursor(1, '10000-01-01T00:00:00.000000Z', '10000-01-01T00:00:00.000000Z', 't'),
    ],
    ['numbers for instants', forgedCursor(1, 1e308, -1e308, 't')],
    [
      'a thread id that is an object',
      forgedCursor(1, '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z', { a: 1 }),
    ],
    ['random bytes', Buffer.from('d1c3f1a2b4e5f60718293a4b5c6d7e8f', 'hex').toString('base64url')],
  ])('%s: 400 naming cursor', async (_case, cursor) => {
    const response = await actingAs(fixture.demo, OWNER).get(
      `/threads?limit=1&cursor=${encodeURIComponent(cursor)}`,
    );
    expect({ status: response.status, body: response.body }).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: ['cursor is malformed'],
        field: 'cursor',
      },
    });
  });

  it('the first and last instants a cursor may hold page normally', async () => {
    const owner = actingAs(fixture.demo, OWNER);
    const latest = '9999-12-31T23:59:59.999999Z';
    const all = await owner.get(
      `/threads?limit=10&cursor=${forgedCursor(1, latest, latest, '\uffff')}`,
    );
    const page = expectStatus(all, 200).body as ThreadPageBody;
    expect(page.threads.map((thread) => thread.thread_id)).toEqual([
      threads.third,
      threads.second,
      threads.first,
    ]);
    const epoch = '1970-01-01T00:00:00.000000Z';
    const none = await owner.get(`/threads?limit=10&cursor=${forgedCursor(1, epoch, epoch, 't')}`);
    expect(expectStatus(none, 200).body).toEqual({ threads: [], next_cursor: null });
  });
});

describe('bodies nested past any request: a 400 that says so, on every route', () => {
  const RUN_ID = '3c6d0f4e-8a1b-4c2d-9e3f-5a6b7c8d9e0f';
  const routes = [
    ['post', '/threads'],
    ['post', `/threads/${FIRST}/runs`],
    ['patch', `/threads/${FIRST}`],
    ['put', `/runs/${RUN_ID}/sentiment`],
    // Routes without a body still get one parsed when a client sends it.
    ['get', '/threads'],
    ['delete', `/threads/${FIRST}`],
  ] as const;
  const deep = (depth: number, open: string, close: string, leaf: string) =>
    `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;
  const bodies = [
    ['1,500 nested arrays', deep(1500, '[', ']', '')],
    ['1,500 nested objects', deep(1500, '{"a":', '}', '1')],
    ['arrays and objects, 100,000 deep', deep(50_000, '[{"a":', '}]', 'null')],
    ['a prompt nested 1,500 deep', `{"prompt":${deep(1500, '[', ']', '"hi"')}}`],
    ['a sentiment nested 1,500 deep', `{"sentiment":${deep(1500, '{"a":', '}', 'true')}}`],
    ['one level too deep', deep(33, '[', ']', '')],
  ] as const;
  const cases = routes.flatMap(([method, path]) =>
    bodies.map(
      ([what, body]) => [`${method.toUpperCase()} ${path}: ${what}`, method, path, body] as const,
    ),
  );

  it.each(cases)('%s', async (_case, method, path, body) => {
    const before = await snapshotDemoTables(fixture.database);
    const response = await fixture.demo
      .http()
      [method](at(path))
      .set('Authorization', fixture.demo.bearer(OWNER))
      .set('Content-Type', 'application/json')
      .send(body);
    expect({ status: response.status, body: response.body }).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: ['body must not nest arrays and objects more than 32 levels deep'],
      },
    });
    expect(await snapshotDemoTables(fixture.database)).toEqual(before);
  });

  it('at the limit, a body reaches validation, which names the field', async () => {
    const response = await actingAs(fixture.demo, OWNER).post(`/threads/${threads.first}/runs`, {
      prompt: JSON.parse(deep(31, '[', ']', '"hi"')) as unknown,
    });
    expect(expectStatus(response, 400).body.message).toEqual(['prompt must be a string']);
  });

  it('a form body stays flat: a nested key is an unknown field, a deep one too', async () => {
    for (const form of ['prompt[a]=hi', `prompt${'[a]'.repeat(1500)}=hi`]) {
      const response = await fixture.demo
        .http()
        .post(`/threads/${threads.first}/runs`)
        .set('Authorization', fixture.demo.bearer(OWNER))
        .type('form')
        .send(form);
      expect(expectStatus(response, 400).body.message).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^property prompt\[a\].* should not exist$/),
        ]),
      );
    }
  });

  it('__proto__ and constructor in a body pollute nothing', async () => {
    const response = await fixture.demo
      .http()
      .post(`/threads/${threads.first}/runs`)
      .set('Authorization', fixture.demo.bearer(OWNER))
      .set('Content-Type', 'application/json')
      .send('{"prompt":"x","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}');
    expect(response.status).toBeLessThan(500);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('query strings are flat: nested or repeated parameters are a 400 naming them', () => {
  it.each([
    ['limit[a][b]=1', 'limit[a][b]=1', 'limit[a][b]'],
    ['cursor[]=x', 'cursor[]=x', 'cursor[]'],
    ['cursor[a]=x', 'cursor[a]=x', 'cursor[a]'],
    ['page[]=1', 'page[]=1', 'page[]'],
    ['limit[a]...[a]=1, 1,500 deep', `limit${'[a]'.repeat(1500)}=1`, 'limit[a]'],
    ['cursor=a&cursor=b', 'cursor=a&cursor=b', 'cursor must be a string'],
    ['limit=1&limit=2', 'limit=1&limit=2', 'limit must be an integer'],
  ])('?%s', async (_case, query, named) => {
    const response = await actingAs(fixture.demo, OWNER).get(`/threads?${query}`);
    const { message } = expectStatus(response, 400).body as { message: string[] };
    expect(message).toContainEqual(expect.stringContaining(named));
  });
});
