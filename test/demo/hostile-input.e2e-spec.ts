/**
 * Input as an attacker crafts it, on the real app: whatever the body, query or cursor, the answer
 * is a 4xx naming the problem or a success, never a 500, and nothing is stored for a refusal.
 */
import {
  type DemoFixture,
  type ThreadPageBody,
  actingAs,
  expectStatus,
  startDemo,
} from './demo.fixture';

const OWNER = 'owner@example.com';

let fixture: DemoFixture;

beforeAll(async () => {
  fixture = await startDemo('demo_hostile');
  const owner = actingAs(fixture.demo, OWNER);
  for (const thread of ['first', 'second', 'third']) {
    expectStatus(await owner.post(`/threads/${thread}/runs`, { prompt: thread }), 201);
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
    expect(page.threads.map((thread) => thread.thread_id)).toEqual(['third', 'second', 'first']);
    const epoch = '1970-01-01T00:00:00.000000Z';
    const none = await owner.get(`/threads?limit=10&cursor=${forgedCursor(1, epoch, epoch, 't')}`);
    expect(expectStatus(none, 200).body).toEqual({ threads: [], next_cursor: null });
  });
});
